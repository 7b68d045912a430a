package org.buildswarm.gateway;

import io.vertx.core.eventbus.EventBus;
import java.util.Map;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.Secrets;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.VerifyJobToken;
import org.buildswarm.protocol.api.VerifyToken;

/** The orchestrator's token checks, as a gateway test needs them: these tokens known, any other refused. */
final class StandInTokens {
  private StandInTokens() {}

  /** Answers API-token checks for {@code tokens} (raw token → who it is). */
  static void answer(EventBus bus, Map<String, TokenInfo> tokens) {
    answer(bus, tokens, Map.of());
  }

  /** And job-token checks for {@code jobTokens} (raw job token → what its attempt may do). */
  static void answer(EventBus bus, Map<String, TokenInfo> tokens, Map<String, JobTokenInfo> jobTokens) {
    Map<String, TokenInfo> byHash = new java.util.HashMap<>();
    tokens.forEach((token, info) -> byHash.put(Secrets.sha256Hex(token), info));
    bus.<VerifyToken>consumer(Addresses.TOKEN_VERIFY, message -> {
      TokenInfo info = byHash.get(message.body().tokenSha256());
      if (info != null) {
        message.reply(info);
      } else {
        message.fail(ApiFailures.UNAUTHORIZED, "unknown token");
      }
    });
    if (!jobTokens.isEmpty()) {
      bus.<VerifyJobToken>consumer(Addresses.JOB_TOKEN_VERIFY, message -> {
        JobTokenInfo info = jobTokens.get(message.body().jobToken());
        if (info != null) {
          message.reply(info);
        } else {
          message.fail(ApiFailures.UNAUTHORIZED, "the job token is not valid, or its attempt is no longer current");
        }
      });
    }
  }
}
