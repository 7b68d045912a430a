package org.buildswarm.gateway.impl;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Secrets;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.DeleteToken;
import org.buildswarm.protocol.api.ListTokens;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenSummary;

/**
 * API tokens under {@code /api/v1/tokens} (admins only) and {@code /api/v1/whoami}. A new token is
 * made here and shown once in the reply; the orchestrator stores only its SHA-256.
 */
public final class TokenRoutes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

  private final Vertx vertx;
  private final Authenticator auth;
  private final DeliveryOptions delivery;
  private final SecureRandom random = new SecureRandom();

  public TokenRoutes(Vertx vertx, Authenticator auth, long timeoutMs) {
    this.vertx = vertx;
    this.auth = auth;
    this.delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  public void mount(Router router) {
    router.get("/api/v1/whoami").handler(auth.require(Role.VIEWER)).handler(ctx -> {
      TokenInfo info = ctx.get(Authenticator.PRINCIPAL);
      HttpReplies.json(ctx, 200, Map.of("name", info.name(), "role", roleName(info.role())));
    });
    router.get("/api/v1/tokens").handler(auth.require(Role.ADMIN)).handler(ctx ->
        vertx.eventBus().request(Addresses.TOKEN_LIST, new ListTokens(), delivery).onComplete(result -> {
          if (result.succeeded()) {
            HttpReplies.json(ctx, 200, result.result().body());
          } else {
            HttpReplies.failure(ctx, result.cause());
          }
        }));
    router.post("/api/v1/tokens").handler(auth.require(Role.ADMIN)).handler(this::create);
    router.delete("/api/v1/tokens/:name").handler(auth.require(Role.ADMIN)).handler(ctx ->
        vertx.eventBus().<TokenSummary>request(Addresses.TOKEN_DELETE,
            new DeleteToken(ctx.pathParam("name"), Authenticator.principalName(ctx)), delivery).onComplete(result -> {
              if (result.succeeded()) {
                auth.forgetAll();
                HttpReplies.json(ctx, 200, result.result().body());
              } else {
                HttpReplies.failure(ctx, result.cause());
              }
            }));
  }

  private void create(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      HttpReplies.error(ctx, 400, "bad_request", "the body must be a JSON object: " + e.getMessage(), null);
      return;
    }
    String name = body == null ? null : body.getValue("name") instanceof String text ? text : null;
    if (name == null || !NAME.matcher(name).matches()) {
      HttpReplies.error(ctx, 400, "bad_request", "\"name\" is required: 1 to 64 letters, digits, '.', '_', '@' or '-',"
          + " starting with a letter or digit", null);
      return;
    }
    Role role;
    try {
      role = Role.valueOf(String.valueOf(body.getValue("role", "developer")).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      HttpReplies.error(ctx, 400, "bad_request", "\"role\" must be viewer, developer or admin", null);
      return;
    }
    String token = Secrets.newToken(random);
    vertx.eventBus().<TokenSummary>request(Addresses.TOKEN_CREATE,
        new CreateToken(name, role, Secrets.sha256Hex(token), Authenticator.principalName(ctx)), delivery)
        .onComplete(result -> {
          if (result.failed()) {
            HttpReplies.failure(ctx, result.cause());
            return;
          }
          TokenSummary created = result.result().body();
          Map<String, Object> reply = new LinkedHashMap<>();
          reply.put("name", created.name());
          reply.put("role", roleName(created.role()));
          reply.put("createdAt", created.createdAt());
          reply.put("token", token);
          HttpReplies.json(ctx, 201, reply);
        });
  }

  private static String roleName(Role role) {
    return role.name().toLowerCase(Locale.ROOT);
  }
}
