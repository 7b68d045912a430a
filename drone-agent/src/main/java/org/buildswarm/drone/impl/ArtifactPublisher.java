package org.buildswarm.drone.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.message.AssignJob;

/**
 * Publishes the files a job declares once its steps succeed: each is checked to be a regular file
 * inside the workspace, hashed, and streamed to a gateway with the attempt's job token. A missing
 * or escaping file is the job's fault and fails it; a gateway that cannot take the file is not:
 * after a few tries the file is reported as not published and the build stands (a slow or absent
 * artifact sink never fails a build). Blocking; runs on the job's thread.
 */
public final class ArtifactPublisher {
  private static final int ATTEMPTS = 3;

  private final Supplier<String> gatewayUrl;
  private final HttpClient http;
  private final Duration uploadTimeout;
  private final long retryDelayMs;

  /**
   * @param gatewayUrl finds a gateway's base URL (blocking, may throw); asked again after a failure
   * @param uploadTimeout the longest one upload may take before it is tried again
   */
  public ArtifactPublisher(Supplier<String> gatewayUrl, Duration uploadTimeout, long retryDelayMs) {
    this.gatewayUrl = gatewayUrl;
    this.uploadTimeout = uploadTimeout;
    this.retryDelayMs = retryDelayMs;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    this.jobResults = new JobResultCache(this::knownGateway, http, uploadTimeout);
  }

  private final JobResultCache jobResults;

  /** The gateway's cache of job results, through the same client and gateway as the artifacts. */
  public JobResultCache jobResults() {
    return jobResults;
  }

  /**
   * A gateway's base URL for a job's environment, looked up at most once a minute (once in 5 s while
   * none answers: a job must not wait on a lookup it may never use); null when none answers.
   */
  public String knownGateway() {
    long now = System.nanoTime();
    Known known = this.known;
    if (known != null && now - known.at() < (known.url() == null ? UNKNOWN_GATEWAY_NANOS : KNOWN_GATEWAY_NANOS)) {
      return known.url();
    }
    String url;
    try {
      url = gatewayUrl.get();
    } catch (RuntimeException e) {
      url = null;
    }
    this.known = new Known(url, now);
    return url;
  }

  private record Known(String url, long at) {}

  private static final long KNOWN_GATEWAY_NANOS = 60_000_000_000L;
  private static final long UNKNOWN_GATEWAY_NANOS = 5_000_000_000L;
  private volatile Known known;

  /**
   * @return why the job must fail (a declared file is missing or leaves the workspace), or null
   */
  public String publish(AssignJob job, Path workspace, Consumer<String> log) {
    List<ArtifactSpec> artifacts = job.execution().artifacts();
    if (artifacts.isEmpty()) {
      return null;
    }
    Path root;
    try {
      root = workspace.toRealPath();
    } catch (IOException e) {
      return "the workspace is gone: " + e.getMessage();
    }
    record Ready(ArtifactSpec spec, Path file, String sha256, long size) {}
    java.util.ArrayList<Ready> ready = new java.util.ArrayList<>();
    for (ArtifactSpec spec : artifacts) {
      Path file;
      try {
        file = root.resolve(spec.path()).toRealPath();
      } catch (IOException e) {
        return "artifact \"" + spec.name() + "\": no file at " + spec.path();
      }
      if (!file.startsWith(root)) {
        return "artifact \"" + spec.name() + "\": " + spec.path() + " leads outside the workspace";
      }
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return "artifact \"" + spec.name() + "\": " + spec.path() + " is not a regular file";
      }
      try {
        ready.add(new Ready(spec, file, sha256(file), Files.size(file)));
      } catch (IOException e) {
        return "artifact \"" + spec.name() + "\": cannot read " + spec.path() + ": " + e.getMessage();
      }
    }
    for (Ready artifact : ready) {
      upload(job, artifact.spec(), artifact.file(), artifact.sha256(), artifact.size(), log);
    }
    return null;
  }

  private void upload(AssignJob job, ArtifactSpec spec, Path file, String sha256, long size, Consumer<String> log) {
    String failure = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        String base = gatewayUrl.get();
        URI target = URI.create(base.endsWith("/") ? base : base + "/").resolve("api/v1/jobs/" + job.attempt().jobId()
            + "/artifacts/" + URLEncoder.encode(spec.name(), StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(target)
            .timeout(uploadTimeout)
            .header("authorization", "Bearer " + job.jobToken())
            .header("content-type", "application/octet-stream")
            .header("x-checksum-sha256", sha256)
            .header("x-file-name", file.getFileName().toString())
            .PUT(HttpRequest.BodyPublishers.ofFile(file))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 || response.statusCode() == 201) {
          log.accept("==> published artifact \"" + spec.name() + "\" (" + human(size) + ", sha256 " + sha256.substring(0, 12)
              + ")");
          return;
        }
        failure = "HTTP " + response.statusCode() + " " + response.body();
        if (response.statusCode() < 500 && response.statusCode() != 429) {
          break; // refused for good: trying again cannot help
        }
      } catch (IOException | RuntimeException e) {
        failure = e.getMessage() == null ? e.toString() : e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = "interrupted";
        break;
      }
      if (attempt < ATTEMPTS) {
        try {
          Thread.sleep(retryDelayMs << (attempt - 1));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    log.accept("==> artifact \"" + spec.name() + "\" was NOT published: " + failure);
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[256 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
        digest.update(buffer, 0, read);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
    return String.format(Locale.ROOT, "%.1f %sB", bytes / (double) (1L << (unit * 10)), " KMGTPE".charAt(unit));
  }
}
