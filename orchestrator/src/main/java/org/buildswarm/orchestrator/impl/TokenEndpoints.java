package org.buildswarm.orchestrator.impl;

import io.vertx.core.Future;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.store.Store;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.DeleteToken;
import org.buildswarm.protocol.api.TokenList;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.api.TokensChanged;
import org.buildswarm.protocol.api.VerifyJobToken;
import org.buildswarm.protocol.api.VerifyToken;

/**
 * API tokens (verified for the gateway, listed, created and revoked; only their hashes are kept)
 * and job tokens (verified against the attempt they were minted for).
 */
public final class TokenEndpoints {
  private static final Logger LOG = Logger.getLogger(TokenEndpoints.class.getName());

  private final Endpoints endpoints;
  private final OrchestratorCore core;
  private final Store store;

  public TokenEndpoints(Endpoints endpoints, OrchestratorCore core, Store store) {
    this.endpoints = endpoints;
    this.core = core;
    this.store = store;
  }

  public void register() {
    endpoints.<VerifyToken>on(Addresses.TOKEN_VERIFY, message -> Endpoints.reply(message,
        store.findToken(message.body().tokenSha256()).compose(found -> found.isPresent()
            ? Future.succeededFuture(found.get())
            : Endpoints.refusal(ApiFailures.UNAUTHORIZED, "unknown token"))));
    endpoints.<VerifyJobToken>on(Addresses.JOB_TOKEN_VERIFY, message -> core.verifyJobToken(message.body().jobToken())
        .ifPresentOrElse(message::reply, () -> message.fail(ApiFailures.UNAUTHORIZED,
            "the job token is not valid, or its attempt is no longer current")));
    endpoints.on(Addresses.TOKEN_LIST, message -> Endpoints.reply(message, store.listTokens().map(TokenList::new)));
    endpoints.<CreateToken>on(Addresses.TOKEN_CREATE, message -> {
      CreateToken request = message.body();
      Endpoints.reply(message, store.saveToken(request.tokenSha256(), request.name(), request.role()).compose(saved -> {
        if (!saved) {
          return Endpoints.refusal(ApiFailures.CONFLICT, "a token named \"" + request.name()
              + "\" exists; revoke it first or choose another name");
        }
        LOG.info(request.requestedBy() + " created API token \"" + request.name() + "\" (" + request.role() + ")");
        return Future.succeededFuture(new TokenSummary(request.name(), request.role(), System.currentTimeMillis()));
      }));
    });
    endpoints.<DeleteToken>on(Addresses.TOKEN_DELETE, message -> {
      DeleteToken request = message.body();
      Endpoints.reply(message, store.listTokens().compose(tokens -> {
        TokenSummary token = tokens.stream().filter(t -> t.name().equals(request.name())).findFirst().orElse(null);
        if (token == null) {
          return Endpoints.refusal(ApiFailures.NOT_FOUND, "no API token named \"" + request.name() + "\"");
        }
        return store.deleteToken(request.name()).compose(deleted -> {
          if (!deleted) {
            return Endpoints.refusal(ApiFailures.CONFLICT, "\"" + request.name()
                + "\" is the last admin token; create another admin token before revoking it");
          }
          LOG.info(request.requestedBy() + " revoked API token \"" + request.name() + "\"");
          endpoints.vertx().eventBus().publish(Addresses.TOKENS_CHANGED, new TokensChanged(request.name()));
          return Future.succeededFuture(token);
        });
      }));
    });
  }
}
