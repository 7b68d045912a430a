package org.buildswarm.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Secrets;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.VerifyJobToken;
import org.buildswarm.protocol.api.VerifyToken;

/**
 * Bearer-token checks for mutating calls. Tokens are looked up by their SHA-256 (the raw token
 * never leaves the gateway); a verified token is trusted for a short while without asking again.
 * No token, an unknown token, or an orchestrator that cannot say: refused.
 */
public final class Authenticator {
  /** Where a handler finds who is calling. */
  public static final String PRINCIPAL = "buildswarm.principal";

  private final Vertx vertx;
  private final long cacheMs;
  private final long timeoutMs;
  private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
      return size() > 1_000;
    }
  };

  private record Cached(TokenInfo info, long until) {}

  /** Call on the context that uses it: revocations anywhere in the swarm empty the cache. */
  public Authenticator(Vertx vertx, long cacheMs, long timeoutMs) {
    this.vertx = vertx;
    this.cacheMs = cacheMs;
    this.timeoutMs = timeoutMs;
    vertx.eventBus().consumer(Addresses.TOKENS_CHANGED, message -> forgetAll());
  }

  /** Trusts nothing it verified before (a token was revoked). */
  public void forgetAll() {
    cache.clear();
  }

  /** The name of the token a request was made with, or null before authentication. */
  public static String principalName(RoutingContext ctx) {
    TokenInfo info = ctx.get(PRINCIPAL);
    return info == null ? null : info.name();
  }

  /**
   * The token a request carries: a bearer token, or the password of Basic credentials (all that
   * Gradle's and Maven's HTTP clients can send); null when it carries none.
   */
  static String presentedToken(io.vertx.core.http.HttpServerRequest request) {
    String header = request.getHeader("authorization");
    if (header == null) {
      return null;
    }
    if (header.regionMatches(true, 0, "Bearer ", 0, 7) && header.length() > 7) {
      String token = header.substring(7).trim();
      return token.isEmpty() ? null : token;
    }
    if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String pair = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
            java.nio.charset.StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        String token = colon < 0 ? "" : pair.substring(colon + 1);
        return token.isEmpty() ? null : token;
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  /** A route handler that lets the request through only for a token with at least {@code role}. */
  public io.vertx.core.Handler<RoutingContext> require(Role role) {
    return require(role, false, false);
  }

  /**
   * For the build tools' caches: like {@link #require(Role)}, and also lets a job token of an
   * attempt now running through to developer calls (a build inside a job writing the cache), as
   * "job N (name)". Unauthenticated calls are challenged for Basic credentials too, which is what
   * Gradle answers (not for the web API: a browser would prompt its user).
   */
  public io.vertx.core.Handler<RoutingContext> requireForBuildTools(Role role) {
    return require(role, Role.DEVELOPER.allows(role), true);
  }

  private io.vertx.core.Handler<RoutingContext> require(Role role, boolean jobTokens, boolean basicChallenge) {
    return ctx -> {
      String token = presentedToken(ctx.request());
      if (token == null) {
        java.util.List<String> challenges = basicChallenge
            ? java.util.List.of("Bearer realm=\"buildswarm\"", "Basic realm=\"buildswarm\"")
            : java.util.List.of("Bearer realm=\"buildswarm\"");
        ctx.response().headers().set("www-authenticate", challenges);
        HttpReplies.error(ctx, 401, "unauthorized", "this call needs an API token: Authorization: Bearer <token>", null);
        return;
      }
      String hash = Secrets.sha256Hex(token);
      verify(hash).onComplete(result -> {
        if (result.failed()) {
          if (result.cause() instanceof io.vertx.core.eventbus.ReplyException reply && reply.failureCode() == 401) {
            if (jobTokens) {
              verifyJob(ctx, token);
            } else {
              HttpReplies.error(ctx, 401, "unauthorized", "unknown API token", null);
            }
          } else {
            HttpReplies.failure(ctx, result.cause());
          }
          return;
        }
        TokenInfo info = result.result();
        if (!info.role().allows(role)) {
          HttpReplies.error(ctx, 403, "forbidden", "token \"" + info.name() + "\" has role "
              + info.role().name().toLowerCase(java.util.Locale.ROOT) + "; this call needs "
              + role.name().toLowerCase(java.util.Locale.ROOT), null);
          return;
        }
        ctx.put(PRINCIPAL, info);
        ctx.next();
      });
    };
  }

  /** Where {@link #requireJobToken()} leaves the attempt a request acts for. */
  public static final String JOB = "buildswarm.job";

  /**
   * Only the job token of an attempt now running gets through (a drone acting for its job); the
   * attempt it names is left in the context under {@link #JOB}.
   */
  public io.vertx.core.Handler<RoutingContext> requireJobToken() {
    return ctx -> {
      String token = presentedToken(ctx.request());
      if (token == null) {
        ctx.response().headers().set("www-authenticate", "Bearer realm=\"buildswarm\"");
        HttpReplies.error(ctx, 401, "unauthorized", "this call needs a running job's token: Authorization: Bearer "
            + "$BUILDSWARM_JOB_TOKEN", null);
        return;
      }
      verifyJob(ctx, token);
    };
  }

  private void verifyJob(RoutingContext ctx, String token) {
    vertx.eventBus().<JobTokenInfo>request(Addresses.JOB_TOKEN_VERIFY, new VerifyJobToken(token),
        new DeliveryOptions().setSendTimeout(timeoutMs)).onComplete(verified -> {
          if (verified.failed()) {
            if (verified.cause() instanceof io.vertx.core.eventbus.ReplyException reply && reply.failureCode() == 401) {
              HttpReplies.error(ctx, 401, "unauthorized", "unknown API token, and no running job's token", null);
            } else {
              HttpReplies.failure(ctx, verified.cause());
            }
            return;
          }
          JobTokenInfo job = verified.result().body();
          // A job acts with a developer's rights on what it may touch, never more.
          ctx.put(PRINCIPAL, new TokenInfo("job " + job.jobId() + " (" + job.jobName() + ")", Role.DEVELOPER));
          ctx.put(JOB, job);
          ctx.next();
        });
  }

  private Future<TokenInfo> verify(String hash) {
    long now = System.currentTimeMillis();
    Cached cached = cache.get(hash);
    if (cached != null && cached.until() > now) {
      return Future.succeededFuture(cached.info());
    }
    return vertx.eventBus().<TokenInfo>request(Addresses.TOKEN_VERIFY, new VerifyToken(hash),
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(reply -> {
          cache.put(hash, new Cached(reply.body(), now + cacheMs));
          return reply.body();
        });
  }
}
