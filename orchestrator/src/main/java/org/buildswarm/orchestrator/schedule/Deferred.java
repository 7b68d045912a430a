package org.buildswarm.orchestrator.schedule;

/**
 * A ready job the scheduler looked at and chose not to place although a drone had room for it.
 *
 * @param why {@link Why#RESERVED}: the free cores are held for {@code otherJobId}, which waits for
 *     them on {@code drone}; {@link Why#FAIR_SHARE}: project {@code otherProject} holds fewer cores,
 *     so its jobs went first
 */
public record Deferred(long jobId, Why why, String drone, long otherJobId, String otherProject) {
  public enum Why { RESERVED, FAIR_SHARE }
}
