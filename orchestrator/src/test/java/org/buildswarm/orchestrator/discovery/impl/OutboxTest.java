package org.buildswarm.orchestrator.discovery.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The outbox against a real HTTP server that is away, refuses, or is slow. */
@ExtendWith(VertxExtension.class)
class OutboxTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private Vertx vertx;
  private HttpServer server;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failFirst = new AtomicInteger();
  private volatile int refuseWith;
  private final List<String> outcomes = new CopyOnWriteArrayList<>();
  private Outbox outbox;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx; // VertxExtension closes it after each test
    server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      if (refuseWith > 0) {
        request.response().setStatusCode(refuseWith).end("{\"message\": \"Bad credentials\"}");
      } else if (failFirst.getAndDecrement() > 0) {
        request.response().setStatusCode(502).end();
      } else {
        received.add(body.toString());
        // Slow enough that posts sent meanwhile pile up behind this one.
        vertx.setTimer(200, id -> request.response().setStatusCode(201).end());
      }
    }));
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    vertx.runOnContext(v -> outbox = new Outbox(vertx, new Outbox.Listener() {
      @Override
      public void delivered(Outbox.Post post) {
        outcomes.add("delivered " + post.body());
      }

      @Override
      public void failed(Outbox.Post post, String problem, int attempt, boolean retrying) {
        outcomes.add("failed " + post.body() + " (" + problem + ", attempt " + attempt + (retrying ? ", retrying" : "") + ")");
      }
    }, 50));
    await().atMost(TIMEOUT).until(() -> outbox != null);
  }

  private void send(String key, String body) {
    vertx.runOnContext(v -> outbox.send(new Outbox.Post(key, "http://127.0.0.1:" + server.actualPort() + "/statuses",
        Map.of("content-type", "application/json"), Buffer.buffer(body), body)));
  }

  @Test
  void aForgeThatIsAwayGetsThePostOnceItIsBackAndANewerStateReplacesOneNotYetSent() throws Exception {
    failFirst.set(3);
    send("commit-1", "pending");
    await().atMost(TIMEOUT).until(() -> received.contains("pending"));
    assertThat(outcomes).filteredOn(outcome -> outcome.startsWith("failed")).hasSize(3)
        .allSatisfy(outcome -> assertThat(outcome).contains("HTTP 502", "retrying"));

    send("commit-2", "first");
    // "first" is being sent: the next two wait, and only the newer goes.
    await().atMost(TIMEOUT).until(() -> received.contains("first"));
    send("commit-2", "second");
    send("commit-2", "third");
    await().atMost(TIMEOUT).until(() -> received.contains("third"));
    await().during(Duration.ofMillis(300)).atMost(TIMEOUT).untilAsserted(
        () -> assertThat(received).containsSubsequence("first", "third").doesNotContain("second"));
  }

  @Test
  void aRefusalIsGivenUpAtOnceAndSaysWhy() throws Exception {
    refuseWith = 401;
    send("commit-3", "success");
    await().atMost(TIMEOUT).until(() -> !outcomes.isEmpty());
    await().during(Duration.ofMillis(300)).atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(outcomes).containsExactly("failed success (HTTP 401: {\"message\": \"Bad credentials\"}, attempt 1)");
      assertThat(received).isEmpty();
    });
  }
}
