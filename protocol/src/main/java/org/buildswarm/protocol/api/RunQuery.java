package org.buildswarm.protocol.api;

import org.buildswarm.protocol.RunState;

/**
 * A page of runs, newest first: at most {@code limit} runs with an id below {@code before}, of
 * {@code project}, on {@code branch} and in {@code state} where those are given (null: any).
 */
public record RunQuery(int limit, Long before, String project, String branch, RunState state) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  public RunQuery {
    limit = limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT);
  }

  public RunQuery(int limit, Long before, String project) {
    this(limit, before, project, null, null);
  }
}
