package org.buildswarm.protocol.api;

/**
 * Failure codes of event-bus API replies (carried by {@code ReplyException.failureCode()}), chosen
 * to match the HTTP status the gateway answers with.
 */
public final class ApiFailures {
  private ApiFailures() {}

  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int INTERNAL = 500;
  public static final int UNAVAILABLE = 503;
}
