package org.buildswarm.gateway.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.buildswarm.protocol.ProtocolJson;

/**
 * JSON responses, and errors in the one shape every client can rely on:
 * {@code {"error":{"code":"…","message":"…","details":…}}}.
 */
public final class HttpReplies {
  private HttpReplies() {}

  public static void json(RoutingContext ctx, int status, Object body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(Buffer.buffer(ProtocolJson.toBytes(body)));
  }

  public static void error(RoutingContext ctx, int status, String code, String message, Object details) {
    if (ctx.response().ended() || ctx.response().headWritten()) {
      return;
    }
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", forPeople(status, message));
    if (details != null) {
      error.put("details", details);
    }
    json(ctx, status, Map.of("error", error));
  }

  /**
   * What may be said to a client: an internal failure's text (exception and class names, SQL, a
   * parser's internals) goes to the log, and the client gets what kind of failure it was.
   */
  static String forPeople(int status, String message) {
    if (message == null || !INTERNALS.matcher(message).find()) {
      return message;
    }
    LOG.warning("answered " + status + " without the internal detail: " + message);
    return status >= 500 ? (status == 503 ? "the swarm cannot do this right now; try again shortly" : "internal error")
        : "the request was not understood";
  }

  private static final java.util.regex.Pattern INTERNALS = java.util.regex.Pattern.compile(
      "(\\b(java|javax|io\\.vertx|io\\.netty|com\\.fasterxml|org\\.(h2|postgresql|buildswarm|jdbi))\\.[a-z]"
          + "|[A-Za-z]+(Exception|Error)\\b|\\bat \\[Source|\\b(SELECT|INSERT|UPDATE|DELETE)\\b.*\\b(FROM|INTO|SET|WHERE)\\b"
          + "|\\bSQL(State)?\\b|\\$\\d)");
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(HttpReplies.class.getName());

  /** A request body that is not the JSON it must be: where it went wrong, not how the parser saw it. */
  public static void badJson(RoutingContext ctx, RuntimeException e) {
    java.util.regex.Matcher at = java.util.regex.Pattern.compile("line: (\\d+), column: (\\d+)")
        .matcher(String.valueOf(e.getMessage()));
    error(ctx, 400, "bad_request", "the body must be a JSON object" + (at.find()
        ? " (not valid JSON at line " + at.group(1) + ", column " + at.group(2) + ")" : ""), null);
  }

  /** A path as safe to repeat in a message: printable, at most 200 characters. */
  public static String shown(String path) {
    String printable = String.valueOf(path).replaceAll("\\p{Cntrl}", "?");
    return printable.length() > 200 ? printable.substring(0, 197) + "..." : printable;
  }

  /**
   * A request Netty could not decode: a request line or headers too long (414, 431) or malformed
   * (400), answered in the error shape, then the connection is closed.
   */
  public static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    String text = cause == null ? "" : String.valueOf(cause.getMessage());
    int status;
    String code;
    String message;
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException || text.startsWith("An HTTP line is larger")) {
      status = 414;
      code = "uri_too_long";
      message = "the request line is too long";
    } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException
        || text.startsWith("HTTP header is larger")) {
      status = 431;
      code = "headers_too_large";
      message = "the request's headers are too large";
    } else {
      status = 400;
      code = "bad_request";
      message = "the request is malformed";
    }
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    request.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8")
        .putHeader("connection", "close").end(Buffer.buffer(ProtocolJson.toBytes(Map.of("error", error))));
  }

  /** True if the failure means the orchestrator could not be reached (rather than that it refused). */
  public static boolean unreachable(Throwable failure) {
    return failure instanceof ReplyException reply
        && (reply.failureType() == ReplyFailure.NO_HANDLERS || reply.failureType() == ReplyFailure.TIMEOUT);
  }

  /** Maps an event-bus failure (orchestrator away, or its refusal) to an HTTP error. */
  public static void failure(RoutingContext ctx, Throwable failure) {
    if (failure instanceof ReplyException reply) {
      if (unreachable(reply)) {
        ctx.response().putHeader("retry-after", "5");
        error(ctx, 503, "orchestrator_unavailable", "the orchestrator is not reachable right now; try again shortly", null);
        return;
      }
      int status = reply.failureCode() >= 400 && reply.failureCode() < 600 ? reply.failureCode() : 500;
      if (status == 503) {
        ctx.response().putHeader("retry-after", "5");
      }
      error(ctx, status, codeFor(status), reply.getMessage(), null);
      return;
    }
    LOG.warning("a request failed: " + failure);
    error(ctx, 500, "internal", "internal error", null);
  }

  public static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 409 -> "conflict";
      case 405 -> "method_not_allowed";
      case 413 -> "payload_too_large";
      case 422 -> "invalid_pipeline";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal" : "error";
    };
  }
}
