package org.buildswarm.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.buildswarm.protocol.message.AttemptRef;

/**
 * Job tokens: an attempt's credential toward the gateways ({@code job.attempt.fencing.mac}), for
 * its artifact uploads and its log. The MAC key comes from the control plane's credentials
 * ({@link Credentials#jobTokenKey()}), so every orchestrator and gateway of the swarm recognises
 * them and no drone can mint one; whether the attempt is still current is decided separately,
 * against the live state.
 */
public final class JobTokens {
  private static final int MAC_BYTES = 16;

  private final SecretKeySpec key;

  public JobTokens(Credentials control) {
    this(control.jobTokenKey());
  }

  public JobTokens(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  public String mint(AttemptRef attempt) {
    String body = attempt.jobId() + "." + attempt.attempt() + "." + attempt.token();
    return body + "." + HexFormat.of().formatHex(mac(body));
  }

  /** The attempt a token was minted for, or empty if it is malformed or was not minted with this key. */
  public Optional<AttemptRef> verify(String token) {
    if (token == null || token.length() > 200) {
      return Optional.empty();
    }
    int lastDot = token.lastIndexOf('.');
    if (lastDot < 0) {
      return Optional.empty();
    }
    String body = token.substring(0, lastDot);
    String[] parts = body.split("\\.");
    byte[] presented;
    try {
      presented = HexFormat.of().parseHex(token.substring(lastDot + 1));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (parts.length != 3 || !MessageDigest.isEqual(presented, mac(body))) {
      return Optional.empty();
    }
    try {
      return Optional.of(new AttemptRef(Long.parseLong(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] full = mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
      return java.util.Arrays.copyOf(full, MAC_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }
}
