package org.buildswarm.orchestrator.discovery.impl;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * HTTP POSTs to the outside world (forge statuses, notifications) that must arrive but must never
 * hold anything up: one at a time per key, the newest replacing one not yet sent (a commit's final
 * status supersedes its pending one), retried with backoff while the other side is away or failing
 * (5xx, 429, no answer), given up on at once for a refusal (other 4xx) or after
 * {@link #MAX_ATTEMPTS}. Used on one Vert.x context.
 */
public final class Outbox {
  static final int MAX_ATTEMPTS = 12;
  private static final long MAX_BACKOFF_MS = 5 * 60_000;
  private static final long TIMEOUT_MS = 10_000;

  /** One POST; {@code key} names what it is about, {@code what} says it for people. */
  public record Post(String key, String url, Map<String, String> headers, Buffer body, String what) {}

  /** What became of a post (called on the outbox's context). */
  public interface Listener {
    void delivered(Post post);

    /** @param retrying whether it is tried again */
    void failed(Post post, String problem, int attempt, boolean retrying);
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final Listener listener;
  private final long firstBackoffMs;
  private final Map<String, Post> waiting = new HashMap<>();
  private final Map<String, Integer> attempts = new HashMap<>();
  private final Set<String> busy = new HashSet<>();
  private final Set<Long> timers = new HashSet<>();
  private boolean closed;

  /** @param firstBackoffMs the wait before the first retry; each next one doubles, up to 5 min */
  public Outbox(Vertx vertx, Listener listener, long firstBackoffMs) {
    this.vertx = vertx;
    this.listener = listener;
    this.firstBackoffMs = firstBackoffMs;
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) TIMEOUT_MS)
        .setIdleTimeout(30).setKeepAlive(true));
  }

  public void send(Post post) {
    if (closed) {
      return;
    }
    waiting.put(post.key(), post);
    attempts.remove(post.key());
    if (!busy.contains(post.key())) {
      next(post.key());
    }
  }

  /** Posts whose key matches, not yet delivered (waiting, being sent or between retries). */
  public int pending(java.util.function.Predicate<String> key) {
    Set<String> keys = new HashSet<>(waiting.keySet());
    keys.addAll(busy);
    return (int) keys.stream().filter(key).count();
  }

  public void close() {
    closed = true;
    timers.forEach(vertx::cancelTimer);
    client.close();
  }

  private void next(String key) {
    Post post = waiting.remove(key);
    if (post == null || closed) {
      busy.remove(key);
      return;
    }
    busy.add(key);
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(post.url())
        .setTimeout(TIMEOUT_MS);
    post.headers().forEach(request::putHeader);
    client.request(request)
        .compose(outgoing -> outgoing.send(post.body()))
        .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString())))
        .onComplete(result -> {
          if (result.succeeded() && result.result().status() / 100 == 2) {
            attempts.remove(key);
            listener.delivered(post);
            next(key);
            return;
          }
          int attempt = attempts.merge(key, 1, Integer::sum);
          String problem;
          boolean worthRetrying;
          if (result.succeeded()) {
            Answer answer = result.result();
            problem = "HTTP " + answer.status() + (answer.body().isBlank() ? "" : ": " + shorten(answer.body()));
            worthRetrying = answer.status() >= 500 || answer.status() == 429 || answer.status() == 408;
          } else {
            problem = result.cause().getMessage() == null ? result.cause().getClass().getSimpleName()
                : result.cause().getMessage();
            worthRetrying = true;
          }
          boolean retrying = worthRetrying && attempt < MAX_ATTEMPTS;
          listener.failed(post, problem, attempt, retrying);
          if (retrying && !waiting.containsKey(key)) {
            waiting.put(key, post);
          } else if (!retrying) {
            attempts.remove(key);
          }
          if (!waiting.containsKey(key)) {
            busy.remove(key);
            return;
          }
          long delay = Math.min(MAX_BACKOFF_MS, firstBackoffMs << Math.min(20, attempt - 1));
          long[] timer = new long[1];
          timer[0] = vertx.setTimer(retrying ? delay : 1, id -> {
            timers.remove(timer[0]);
            next(key);
          });
          timers.add(timer[0]);
        });
  }

  private record Answer(int status, String body) {}

  private static String shorten(String text) {
    String line = text.strip().replaceAll("\\s+", " ");
    return line.length() <= 200 ? line : line.substring(0, 199) + "…";
  }
}
