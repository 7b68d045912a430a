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
    error.put("message", message);
    if (details != null) {
      error.put("details", details);
    }
    json(ctx, status, Map.of("error", error));
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
    error(ctx, 500, "internal", String.valueOf(failure.getMessage()), null);
  }

  public static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 409 -> "conflict";
      case 413 -> "payload_too_large";
      case 422 -> "invalid_pipeline";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal" : "error";
    };
  }
}
