package org.buildswarm.protocol.api;

/**
 * Asks for environments with their history.
 *
 * @param project only this project's; null for all
 * @param historyLimit history entries per environment (0: the default, {@value #DEFAULT_HISTORY})
 */
public record ListEnvironments(String project, int historyLimit) {
  public static final int DEFAULT_HISTORY = 20;
}
