package org.buildswarm.orchestrator.ha;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.shareddata.AsyncMap;
import java.util.logging.Logger;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.SwarmStatus;

/**
 * One leading orchestrator per swarm, whatever its store: the leader holds a record in the
 * cluster's shared map (Hazelcast, or this JVM's map on a single host) and renews it every few
 * seconds. Another orchestrator that finds the record held by a leader that answers — or that still
 * renews it — is refused, told who leads; a record nobody renews any more (its holder was killed) is
 * taken over once it has not changed for {@link #STALE_MS}. On one PostgreSQL store the advisory
 * lock elects among orchestrators and this record only keeps a second store out; without a
 * store-level election (the embedded store) it is the only thing that does.
 *
 * <p>A partition can still leave one leader on each side; only a shared PostgreSQL store (its lock
 * and epoch fencing) makes that impossible, which is why high availability needs one.
 */
public final class ClusterLeadership {
  private static final Logger LOG = Logger.getLogger(ClusterLeadership.class.getName());
  static final String MAP = "buildswarm.leadership";
  static final String KEY = "orchestrator";
  /** How often the leader renews its record. */
  static final long RENEW_MS = 2_000;
  /** A record unchanged this long, whose holder does not answer, is taken over. */
  static final long STALE_MS = 3 * RENEW_MS;

  /**
   * The leader's record.
   *
   * @param node the orchestrator's node name (as {@code swarm status} shows it)
   * @param storeId the identity of its store (the same for orchestrators sharing one PostgreSQL)
   * @param store its store, for people
   * @param beat how many times it renewed the record
   */
  public record Leader(String node, String storeId, String store, long beat) {}

  /** Another orchestrator leads; the message says which, with which store, and what to do. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean sameStore;
    private final long retryInMs;

    Refused(String message, boolean sameStore, long retryInMs) {
      super(message);
      this.sameStore = sameStore;
      this.retryInMs = retryInMs;
    }

    /**
     * When trying again may succeed: soon, when the leader is silent (its record is taken over once
     * stale); 0 when it answers (it leads for as long as it runs).
     */
    public long retryInMs() {
      return retryInMs;
    }

    /** Whether the leader uses this orchestrator's store (high availability: stand by) or another (misconfigured). */
    public boolean sameStore() {
      return sameStore;
    }
  }

  private final Vertx vertx;
  private final long renewMs;
  private final long staleMs;
  private String held;
  private long renewTimer = -1;
  private long lastRenewed;
  /** Completes when the record held now is lost; a new one for each time it is taken. */
  private Promise<Void> lost = Promise.promise();
  /** A record seen held by another, and since when (this node's clock) it has not changed. */
  private String watched;
  private long watchedSince;

  public ClusterLeadership(Vertx vertx) {
    this(vertx, RENEW_MS, STALE_MS);
  }

  /** With other timings (tests). */
  ClusterLeadership(Vertx vertx, long renewMs, long staleMs) {
    this.vertx = vertx;
    this.renewMs = renewMs;
    this.staleMs = staleMs;
  }

  /**
   * Takes the leadership record for {@code me}, or fails with {@link Refused} while another
   * orchestrator holds it.
   */
  public Future<Void> claim(String node, String storeId, String store) {
    Leader me = new Leader(node, storeId, store, 0);
    return vertx.sharedData().<String, String>getAsyncMap(MAP).compose(map -> map.putIfAbsent(KEY, json(me))
        .compose(existing -> {
          if (existing == null) {
            return hold(map, json(me));
          }
          Leader other = parse(existing);
          if (other.node().equals(node)) {
            // An earlier life of this very node (killed, restarted): its record is ours.
            return map.replaceIfPresent(KEY, existing, json(me))
                .compose(replaced -> replaced ? hold(map, json(me)) : claim(node, storeId, store));
          }
          return answer(other).compose(status -> {
            long now = System.currentTimeMillis();
            if (!existing.equals(watched)) {
              watched = existing;
              watchedSince = now;
            }
            if (status == null && now - watchedSince >= staleMs) {
              LOG.warning("orchestrator " + other.node() + " holds the leadership but neither answers nor renews it; "
                  + "taking over");
              return map.removeIfPresent(KEY, existing).compose(removed -> claim(node, storeId, store));
            }
            return Future.failedFuture(refused(other, status, me,
                status == null ? Math.max(100, staleMs - (now - watchedSince) + 100) : 0));
          });
        }))
        .recover(failure -> failure instanceof Refused || failure instanceof RuntimeException
            ? Future.failedFuture(failure) : Future.failedFuture(new IllegalStateException(failure)));
  }

  private static Refused refused(Leader other, SwarmStatus status, Leader me, long retryInMs) {
    boolean same = other.storeId().equals(me.storeId());
    String leader = "orchestrator " + other.node() + (status == null ? "" : " (epoch " + status.epoch() + ")");
    return new Refused(leader + " leads this swarm, with store " + other.store() + "; orchestrator " + me.node()
        + " will not lead while it does" + (same
            ? ": it shares that store, so it stands by and takes over when that one stops"
            : ": two orchestrators with different stores would hand out the same run ids. Stop one, or point both "
                + "at one PostgreSQL store (--store) for high availability"), same, retryInMs);
  }

  /** The leader's answer to a status request, or null if it does not answer. */
  private Future<SwarmStatus> answer(Leader other) {
    return vertx.eventBus().<Object>request(Addresses.STATUS, new GetStatus(), new DeliveryOptions().setSendTimeout(2_000))
        .map(reply -> reply.body() instanceof SwarmStatus status ? status : null)
        .otherwise((SwarmStatus) null);
  }

  private Future<Void> hold(AsyncMap<String, String> map, String record) {
    held = record;
    lost = Promise.promise();
    watched = null;
    lastRenewed = System.currentTimeMillis();
    renewTimer = vertx.setPeriodic(renewMs, id -> renew(map));
    return Future.succeededFuture();
  }

  private void renew(AsyncMap<String, String> map) {
    String current = held;
    if (current == null) {
      return;
    }
    Leader mine = parse(current);
    String next = json(new Leader(mine.node(), mine.storeId(), mine.store(), mine.beat() + 1));
    map.replaceIfPresent(KEY, current, next).onComplete(done -> {
      if (held == null) {
        return;
      }
      if (done.succeeded() && done.result()) {
        held = next;
        lastRenewed = System.currentTimeMillis();
      } else if (done.succeeded()) {
        loseIt("another orchestrator took over the leadership record");
      } else if (System.currentTimeMillis() - lastRenewed > staleMs) {
        loseIt("the leadership record could not be renewed for " + staleMs / 1000 + " s (" + done.cause().getMessage()
            + ")");
      }
    });
  }

  private void loseIt(String why) {
    LOG.severe(why + "; this orchestrator stops leading");
    vertx.cancelTimer(renewTimer);
    held = null;
    lost.tryComplete();
  }

  /**
   * Completes if the record taken last is lost while held (taken over, or not renewable): stop
   * leading at once. One instance lives as long as its orchestrator node, so that what it saw of a
   * silent leader's record carries over from one attempt to lead to the next.
   */
  public Future<Void> lost() {
    return lost.future();
  }

  /** Gives the record up (if held), so another can lead at once. */
  public Future<Void> release() {
    vertx.cancelTimer(renewTimer);
    String record = held;
    held = null;
    if (record == null) {
      return Future.succeededFuture();
    }
    return vertx.sharedData().<String, String>getAsyncMap(MAP).compose(map -> map.removeIfPresent(KEY, record))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  private static String json(Leader leader) {
    return ProtocolJson.toJson(leader);
  }

  private static Leader parse(String record) {
    return ProtocolJson.fromBytes(record.getBytes(java.nio.charset.StandardCharsets.UTF_8), Leader.class);
  }
}
