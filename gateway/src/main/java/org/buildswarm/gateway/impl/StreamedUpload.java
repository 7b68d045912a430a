package org.buildswarm.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A request body streamed to a temp file, hashed (SHA-256) and counted as it arrives, with
 * backpressure, refused past a size limit: never held in memory. What fails is answered only after
 * the temp file is gone, so "nothing was stored" is true when the client hears it.
 */
final class StreamedUpload {
  /** The body, whole, in {@code file} (the caller moves or deletes it). */
  record Received(Path file, String sha256, long size) {}

  /** Why a body was not taken: the HTTP status, code and message to answer with. */
  static final class Refused extends RuntimeException {
    final int status;
    final String code;

    Refused(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }

    void answer(RoutingContext ctx) {
      HttpReplies.error(ctx, status, code, getMessage(), null);
    }
  }

  private StreamedUpload() {}

  /**
   * Receives the body of a paused request into {@code temp}.
   *
   * @param expectedSha256 the SHA-256 the client declared (checked), or null to take what comes
   * @param what the name of the thing uploaded, for messages ("the artifact", "the cache entry")
   */
  static Future<Received> receive(Vertx vertx, HttpServerRequest request, Path temp, long maxBytes,
      String expectedSha256, String what) {
    long declared = contentLength(request);
    if (declared > maxBytes) {
      return Future.failedFuture(new Refused(413, "payload_too_large", what + " is " + declared
          + " bytes; the limit is " + maxBytes));
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader("expect"))) {
      request.response().writeContinue();
    }
    return vertx.fileSystem().open(temp.toString(), new OpenOptions().setWrite(true).setCreateNew(true))
        .recover(failure -> Future.failedFuture(new Refused(500, "internal", "cannot store " + what + ": "
            + failure.getMessage())))
        .compose(file -> new Receiver(vertx, request, file, temp, maxBytes, expectedSha256, what).start());
  }

  private static long contentLength(HttpServerRequest request) {
    try {
      String header = request.getHeader("content-length");
      return header == null ? -1 : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static final class Receiver {
    private final Vertx vertx;
    private final HttpServerRequest request;
    private final AsyncFile file;
    private final Path temp;
    private final long maxBytes;
    private final String expected;
    private final String what;
    private final MessageDigest digest;
    private final Promise<Received> result = Promise.promise();
    private long received;
    private boolean failed;
    private boolean fileClosed;

    Receiver(Vertx vertx, HttpServerRequest request, AsyncFile file, Path temp, long maxBytes, String expected,
        String what) {
      this.vertx = vertx;
      this.request = request;
      this.file = file;
      this.temp = temp;
      this.maxBytes = maxBytes;
      this.expected = expected;
      this.what = what;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    Future<Received> start() {
      request.handler(chunk -> {
        if (failed) {
          return;
        }
        received += chunk.length();
        if (received > maxBytes) {
          fail(413, "payload_too_large", what + " is larger than the limit of " + maxBytes + " bytes");
          return;
        }
        digest.update(chunk.getBytes());
        file.write(chunk);
        if (file.writeQueueFull()) {
          request.pause();
          file.drainHandler(v -> request.resume());
        }
      });
      request.exceptionHandler(error -> fail(400, "bad_request", "the upload broke off: " + error.getMessage()));
      request.endHandler(v -> {
        if (failed) {
          return;
        }
        fileClosed = true;
        file.close().onComplete(closed -> {
          if (closed.failed()) {
            fail(500, "internal", "cannot store " + what + ": " + closed.cause().getMessage());
            return;
          }
          String actual = HexFormat.of().formatHex(digest.digest());
          if (expected != null && !actual.equals(expected)) {
            fail(422, "checksum_mismatch", "the body's SHA-256 is " + actual + ", not " + expected
                + " as declared; nothing was stored");
            return;
          }
          result.complete(new Received(temp, actual, received));
        });
      });
      request.resume();
      return result.future();
    }

    private void fail(int status, String code, String message) {
      if (failed) {
        return;
      }
      failed = true;
      request.handler(null);
      // Closing twice throws, and the answer would never be sent.
      Future<Void> closing = fileClosed ? Future.succeededFuture() : file.close();
      fileClosed = true;
      closing.transform(closed -> vertx.fileSystem().delete(temp.toString()))
          .onComplete(deleted -> result.fail(new Refused(status, code, message)));
    }
  }
}
