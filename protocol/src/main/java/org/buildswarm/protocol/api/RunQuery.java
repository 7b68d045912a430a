package org.buildswarm.protocol.api;

/** A page of runs, newest first: at most {@code limit} runs with an id below {@code before}. */
public record RunQuery(int limit, Long before, String project) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  public RunQuery {
    limit = limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT);
  }
}
