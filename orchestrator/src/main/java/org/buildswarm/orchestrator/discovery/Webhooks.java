package org.buildswarm.orchestrator.discovery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The parts of GitHub's and Gitea's webhooks that work discovery relies on. Pure. */
final class Webhooks {
  private static final String ZEROS = "0000000000000000000000000000000000000000";

  private Webhooks() {}

  /**
   * GitHub sends {@code X-Hub-Signature-256: sha256=<hex>}, Gitea {@code X-Gitea-Signature: <hex>};
   * both are HMAC-SHA256 of the raw body. Compared in constant time.
   */
  static boolean signatureMatches(String provider, String signature, String secret, byte[] body) {
    if (signature == null || secret == null) {
      return false;
    }
    String sent = signature.trim().toLowerCase(Locale.ROOT);
    if ("github".equals(provider)) {
      if (!sent.startsWith("sha256=")) {
        return false;
      }
      sent = sent.substring("sha256=".length());
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
      return MessageDigest.isEqual(expected, sent.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Pushes (of branches and tags) and created refs start work; deletions, pings and the rest do not. */
  static boolean startsWork(String event, byte[] body) {
    if (event.equals("create")) {
      return true;
    }
    if (!event.equals("push")) {
      return false;
    }
    try {
      var payload = org.buildswarm.protocol.ProtocolJson.mapper().readTree(body);
      return !payload.path("deleted").asBoolean(false) && !ZEROS.equals(payload.path("after").asText(""));
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * {@code owner/name} of a repository URL ({@code https://host/owner/name.git},
   * {@code ssh://git@host/owner/name}, {@code git@host:owner/name.git}); null if it has no two path parts.
   */
  static String ownerAndName(String url) {
    String path = normalize(url);
    int scheme = path.indexOf("://");
    if (scheme > 0) {
      int slash = path.indexOf('/', scheme + 3);
      path = slash < 0 ? "" : path.substring(slash + 1);
    } else if (path.matches("[^/]+@[^/:]+:.*")) {
      path = path.substring(path.indexOf(':') + 1);
    }
    String[] parts = path.split("/");
    if (parts.length < 2 || parts[parts.length - 2].isEmpty() || parts[parts.length - 1].isEmpty()) {
      return null;
    }
    return parts[parts.length - 2] + "/" + parts[parts.length - 1];
  }

  /** One repository, however its URL is written: scheme and host case, ".git", a trailing slash. */
  static String normalize(String url) {
    String normalized = url.trim();
    while (normalized.endsWith("/")) {
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    if (normalized.endsWith(".git")) {
      normalized = normalized.substring(0, normalized.length() - 4);
    }
    int scheme = normalized.indexOf("://");
    if (scheme > 0) {
      int path = normalized.indexOf('/', scheme + 3);
      String head = path < 0 ? normalized : normalized.substring(0, path);
      normalized = head.toLowerCase(Locale.ROOT) + (path < 0 ? "" : normalized.substring(path));
    }
    return normalized;
  }
}
