package org.buildswarm.protocol.api;

import java.util.List;

/** Every API token, oldest first. Request it with {@link ListTokens}. */
public record TokenList(List<TokenSummary> tokens) {
  public TokenList {
    tokens = tokens == null ? List.of() : List.copyOf(tokens);
  }
}
