package org.buildswarm.drone.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.LineTimeFile;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;
import org.buildswarm.protocol.message.LogAck;
import org.buildswarm.protocol.message.LogChunk;

/**
 * Ships attempt logs from their local spool files to the log sink in numbered (byte-offset)
 * chunks, one chunk in flight per attempt, resending from the sink's acknowledged length. When the
 * sink is slow or away the file simply grows on local disk; the build never waits for it. Each
 * chunk carries the entries of the log's time index ({@link LineTimes}) that point into its bytes.
 * Runs on the drone verticle's context.
 */
public final class LogShipper {
  private static final Logger LOG = Logger.getLogger(LogShipper.class.getName());
  private static final long MAX_BACKOFF_MS = 10_000;

  private final String drone;
  private final Vertx vertx;
  private final int chunkBytes;
  private final long sendTimeoutMs;
  private final Map<Long, Shipment> shipments = new LinkedHashMap<>();
  private long timer = -1;

  private static final class Shipment {
    final AttemptRef attempt;
    final String jobToken;
    final Path file;
    long offset;
    boolean complete;
    boolean inFlight;
    long notBefore;
    long backoffMs = 250;

    Shipment(AttemptRef attempt, String jobToken, Path file) {
      this.attempt = attempt;
      this.jobToken = jobToken;
      this.file = file;
    }
  }

  /** @param drone the drone whose attempts' logs it ships (each chunk says so, and the gateway checks it) */
  public LogShipper(Vertx vertx, String drone, int chunkBytes, long sendTimeoutMs) {
    this.vertx = vertx;
    this.drone = drone;
    this.chunkBytes = chunkBytes;
    this.sendTimeoutMs = sendTimeoutMs;
  }

  public void start(long pollMs) {
    timer = vertx.setPeriodic(pollMs, id -> shipAll());
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  /** Starts shipping an attempt's log file as it grows. */
  /** @param jobToken the attempt's job token: proof for the gateway that this drone was given the attempt */
  public void track(AttemptRef attempt, String jobToken, Path file) {
    shipments.put(attempt.token(), new Shipment(attempt, jobToken, file));
  }

  /** The attempt's log is complete: ship the rest, then mark the end. */
  public void complete(AttemptRef attempt) {
    Shipment shipment = shipments.get(attempt.token());
    if (shipment != null) {
      shipment.complete = true;
      ship(shipment);
    }
  }

  /** Logs not yet fully delivered. */
  public int backlog() {
    return shipments.size();
  }

  /** Completes when every complete log is delivered, or after {@code timeoutMs}. */
  public Future<Void> flush(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    vertx.setPeriodic(50, id -> {
      boolean anyComplete = shipments.values().stream().anyMatch(s -> s.complete);
      if (!anyComplete || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      } else {
        shipAll();
      }
    });
    return done.future();
  }

  private void shipAll() {
    for (Shipment shipment : new ArrayList<>(shipments.values())) {
      ship(shipment);
    }
  }

  private void ship(Shipment shipment) {
    long now = System.currentTimeMillis();
    if (shipment.inFlight || now < shipment.notBefore) {
      return;
    }
    shipment.inFlight = true;
    boolean complete = shipment.complete;
    long offset = shipment.offset;
    vertx.executeBlocking(() -> read(shipment.file, offset), false).compose(chunk -> {
      boolean eof = complete && offset + chunk.data().length >= chunk.fileLength();
      if (chunk.data().length == 0 && !eof) {
        return Future.succeededFuture(new Sent(offset, false));
      }
      LogChunk message = new LogChunk(drone, shipment.attempt, shipment.jobToken, offset, chunk.data(), eof,
          chunk.times());
      return vertx.eventBus().<LogAck>request(Addresses.LOG_APPEND, message,
              new DeliveryOptions().setSendTimeout(sendTimeoutMs))
          .map(reply -> new Sent(reply.body().length(), eof && reply.body().length() >= chunk.fileLength()));
    }).onComplete(result -> {
      shipment.inFlight = false;
      if (result.failed()) {
        shipment.notBefore = System.currentTimeMillis() + shipment.backoffMs;
        shipment.backoffMs = Math.min(MAX_BACKOFF_MS, shipment.backoffMs * 2);
        return;
      }
      shipment.backoffMs = 250;
      Sent sent = result.result();
      if (sent.delivered()) {
        shipments.remove(shipment.attempt.token());
        vertx.executeBlocking(() -> Files.deleteIfExists(shipment.file)
            | Files.deleteIfExists(LineTimes.beside(shipment.file)), false);
      } else if (sent.acknowledged() != shipment.offset) {
        shipment.offset = sent.acknowledged();
        ship(shipment); // more may be waiting
      }
    });
  }

  /** The sink's length after a send, and whether that was the whole, complete log. */
  private record Sent(long acknowledged, boolean delivered) {}

  private record Chunk(byte[] data, long fileLength, List<LineTime> times) {}

  private Chunk read(Path file, long offset) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      int size = (int) Math.max(0, Math.min(chunkBytes, length - offset));
      byte[] data = new byte[size];
      if (size > 0) {
        in.seek(offset);
        in.readFully(data);
      }
      // After the bytes: an entry is written before the bytes it points into, so none of theirs is missed.
      List<LineTime> times = size == 0 ? List.of() : LineTimeFile.read(LineTimes.beside(file), offset, offset + size);
      return new Chunk(data, length, times);
    } catch (java.io.FileNotFoundException e) {
      LOG.fine("log " + file + " is gone");
      return new Chunk(new byte[0], 0, List.of());
    }
  }
}
