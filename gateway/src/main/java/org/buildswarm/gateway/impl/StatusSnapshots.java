package org.buildswarm.gateway.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.GetQueue;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.ListDrones;
import org.buildswarm.protocol.api.RunQuery;

/**
 * The swarm's overview (status, drones, queue, recent runs) as last seen live, kept so the gateway
 * can still answer when the orchestrator is unreachable. Taken every few seconds and written to
 * disk atomically (temp file, fsync, rename), so a gateway restarted during an outage still has it.
 * Used on one context only.
 */
public final class StatusSnapshots {
  private static final Logger LOG = Logger.getLogger(StatusSnapshots.class.getName());
  /** Parts of the overview; also the keys other routes fall back to. */
  public static final String STATUS = "status";
  public static final String DRONES = "drones";
  public static final String QUEUE = "queue";
  public static final String RUNS = "runs";
  static final int QUEUE_SHOWN = 100;
  static final int RUNS_SHOWN = 30;

  private final Vertx vertx;
  private final Path file;
  private final DeliveryOptions delivery;
  private Map<String, Object> latest;
  private long latestAt;
  private boolean writing;

  /**
   * @param file where the snapshot is kept
   * @param timeoutMs how long to wait for the orchestrator before calling it unreachable
   */
  public StatusSnapshots(Vertx vertx, Path file, long timeoutMs) {
    this.vertx = vertx;
    this.file = file;
    this.delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  /** Reads the snapshot left by an earlier run of this gateway, if any. */
  public Future<Void> load() {
    return vertx.executeBlocking(() -> {
      if (!Files.isRegularFile(file)) {
        return null;
      }
      try {
        Map<String, Object> stored = ProtocolJson.mapper().readValue(file.toFile(), new TypeReference<>() {});
        return stored;
      } catch (IOException e) {
        LOG.warning("ignoring an unreadable status snapshot " + file + ": " + e.getMessage());
        return null;
      }
    }, false).map(stored -> {
      if (stored != null && stored.get("at") instanceof Number at && latest == null) {
        latest = stored;
        latestAt = at.longValue();
      }
      return null;
    });
  }

  /**
   * The overview now, from the orchestrator, recorded as the newest snapshot; failed if the
   * orchestrator did not answer every part.
   */
  public Future<Map<String, Object>> live() {
    Future<Object> status = ask(Addresses.STATUS, new GetStatus());
    Future<Object> drones = ask(Addresses.DRONE_LIST, new ListDrones());
    Future<Object> queue = ask(Addresses.QUEUE_LIST, new GetQueue(QUEUE_SHOWN));
    Future<Object> runs = ask(Addresses.RUN_LIST, new RunQuery(RUNS_SHOWN, null, null));
    return Future.all(status, drones, queue, runs).map(all -> {
      Map<String, Object> overview = new LinkedHashMap<>();
      long now = System.currentTimeMillis();
      overview.put("at", now);
      overview.put(STATUS, status.result());
      overview.put(DRONES, drones.result());
      overview.put(QUEUE, queue.result());
      overview.put(RUNS, runs.result());
      // Stored as plain JSON values, the same shape a snapshot read back from disk has.
      Map<String, Object> plain = ProtocolJson.mapper().convertValue(overview, new TypeReference<>() {});
      latest = plain;
      latestAt = now;
      return plain;
    });
  }

  private Future<Object> ask(String address, Object request) {
    return vertx.eventBus().request(address, request, delivery).map(reply -> reply.body());
  }

  /** Takes a snapshot and writes it, unless the last write is still going. */
  public Future<Void> capture() {
    return live().compose(overview -> {
      if (writing) {
        return Future.<Void>succeededFuture();
      }
      writing = true;
      return vertx.executeBlocking(() -> {
        write(overview);
        return (Void) null;
      }, false).onComplete(done -> {
        writing = false;
        if (done.failed()) {
          LOG.log(Level.WARNING, "could not write the status snapshot " + file, done.cause());
        }
      });
    });
  }

  private void write(Map<String, Object> overview) throws IOException {
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(java.nio.ByteBuffer.wrap(ProtocolJson.toBytes(overview)));
      channel.force(true);
    }
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The newest snapshot (plain JSON values), or null if there has never been one. */
  public Map<String, Object> latest() {
    return latest;
  }

  /** When the newest snapshot was taken (epoch ms), 0 if never. */
  public long latestAt() {
    return latestAt;
  }
}
