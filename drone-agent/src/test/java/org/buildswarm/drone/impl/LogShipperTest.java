package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;
import org.buildswarm.protocol.message.LogAck;
import org.buildswarm.protocol.message.LogChunk;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A sink that is away, then slow, neither stalls the job writing its log nor gets a byte twice. */
@ExtendWith(VertxExtension.class)
class LogShipperTest {
  @TempDir
  Path work;

  private Vertx vertx;
  private Context context;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
    context = vertx.getOrCreateContext();
  }

  private <T> T on(Supplier<T> call) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> result.complete(call.get()));
    return result.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aLogWrittenWhileTheSinkIsAwayThenSlowArrivesWholeAndOnce() throws Exception {
    AttemptRef attempt = new AttemptRef(7, 1, 99);
    Path spool = work.resolve("7-1.log");
    Files.createFile(spool);
    LogShipper shipper = on(() -> {
      LogShipper created = new LogShipper(vertx, "d1", 4 * 1024, 300);
      created.start(20);
      created.track(attempt, "job-token", spool);
      return created;
    });

    // The job writes its whole log while nobody listens (it only ever writes a local file).
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    try (OutputStream out = Files.newOutputStream(spool, java.nio.file.StandardOpenOption.APPEND)) {
      for (int i = 0; i < 2_000; i++) {
        byte[] line = ("line " + i + " of a build that does not wait for its log sink\n").getBytes();
        out.write(line);
        out.flush();
        expected.write(line);
      }
    }
    Thread.sleep(300); // tries meanwhile fail with no handler and back off

    // The sink comes back, slower than the drone's patience for its first answers: resends follow.
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger ignored = new AtomicInteger();
    MessageConsumer<LogChunk> consumer = vertx.eventBus().consumer(Addresses.LOG_APPEND, message -> {
      LogChunk chunk = message.body();
      int request = requests.incrementAndGet();
      synchronized (sink) {
        if (chunk.offset() == sink.size()) {
          sink.write(chunk.data(), 0, chunk.data().length);
        } else {
          ignored.incrementAndGet();
        }
      }
      long length = sink.size();
      vertx.setTimer(request <= 3 ? 600 : 1, id -> message.reply(new LogAck("d1", length)));
    });
    on(() -> {
      shipper.complete(attempt);
      return null;
    });
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(
        () -> assertThat(on(shipper::backlog)).as("everything delivered").isZero());
    consumer.unregister();
    assertThat(sink.toByteArray()).as("whole, in order, no byte twice").isEqualTo(expected.toByteArray());
    assertThat(ignored.get()).as("the slow answers made the drone resend; the resends changed nothing").isPositive();
    assertThat(spool).as("the spool goes once delivered").doesNotExist();
  }

  @Test
  void eachChunkCarriesTheTimesOfTheLinesInItsBytesAndBothSpoolsGoOnceDelivered() throws Exception {
    AttemptRef attempt = new AttemptRef(8, 1, 100);
    Path spool = work.resolve("8-1.log");
    Path timesSpool = LineTimes.beside(spool);
    assertThat(timesSpool.getFileName().toString()).isEqualTo("8-1.times");
    long[] clock = {5_000};
    try (OutputStream out = Files.newOutputStream(spool); OutputStream index = Files.newOutputStream(timesSpool)) {
      JobLog log = new JobLog(out, new LineTimes(new java.io.BufferedOutputStream(index), () -> clock[0], 0), 0, 20, 200);
      log.line("==> [1/1] build");
      for (int i = 0; i < 300; i++) {
        byte[] line = ("line " + i + " — ünïcode\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        log.output(line, line.length);
        clock[0] += 37;
      }
      log.close();
    }
    java.util.List<LineTime> written = org.buildswarm.protocol.LineTimeFile.read(timesSpool, 0, Long.MAX_VALUE);
    assertThat(written).hasSizeGreaterThan(50);
    byte[] expected = Files.readAllBytes(spool);

    java.util.List<LogChunk> chunks = new java.util.concurrent.CopyOnWriteArrayList<>();
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    vertx.eventBus().<LogChunk>consumer(Addresses.LOG_APPEND, message -> {
      LogChunk chunk = message.body();
      chunks.add(chunk);
      synchronized (sink) {
        if (chunk.offset() == sink.size()) {
          sink.write(chunk.data(), 0, chunk.data().length);
        }
        message.reply(new LogAck("d1", sink.size()));
      }
    });
    LogShipper shipper = on(() -> {
      LogShipper created = new LogShipper(vertx, "d1", 1000, 2_000); // chunks end mid-line and mid-character
      created.start(20);
      created.track(attempt, "job-token", spool);
      created.complete(attempt);
      return created;
    });
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).untilAsserted(
        () -> assertThat(on(shipper::backlog)).as("everything delivered").isZero());
    assertThat(sink.toByteArray()).isEqualTo(expected);
    java.util.List<LineTime> shipped = new java.util.ArrayList<>();
    for (LogChunk chunk : chunks) {
      for (LineTime time : chunk.times()) {
        assertThat(time.offset()).as("inside its chunk").isBetween(chunk.offset(), chunk.offset() + chunk.data().length - 1);
      }
      shipped.addAll(chunk.times());
    }
    assertThat(chunks).hasSizeGreaterThan(5);
    assertThat(shipped).isEqualTo(written);
    assertThat(spool).doesNotExist();
    assertThat(timesSpool).as("the time index goes with its log").doesNotExist();
  }
}
