package org.buildswarm.orchestrator.ha;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;

import java.util.Map;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.ProtocolCodecs;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.SwarmStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One leader per swarm: the record in the shared map, who is refused, and when a silent leader is replaced. */
@ExtendWith(VertxExtension.class)
class ClusterLeadershipTest {
  private Vertx vertx;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx; // VertxExtension closes it after each test
    ProtocolCodecs.register(vertx.eventBus());
  }

  private ClusterLeadership leadership() {
    return new ClusterLeadership(vertx, 100, 600);
  }

  /** The leader answers status requests, as a leading orchestrator does. */
  private void answersAs(String node, long epoch) {
    vertx.eventBus().consumer(Addresses.STATUS, message -> message.reply(new SwarmStatus(node, epoch, 0, 0, Map.of(),
        null, 0, 0, 0, 0, 0, Map.of(), true, 0, 0, 0, Map.of())));
  }

  @Test
  void aSecondOrchestratorIsRefusedWhileTheFirstLeadsAndTheMessageSaysWhoAndWithWhichStore() throws Exception {
    await(leadership().claim("10.0.0.1:5701", "store-a", "embedded H2 in /var/lib/a"));
    answersAs("10.0.0.1:5701", 4);

    Throwable refused = catchFailure(leadership().claim("10.0.0.2:5701", "store-b", "embedded H2 in /var/lib/b"));
    assertThat(refused).isInstanceOf(ClusterLeadership.Refused.class);
    assertThat(((ClusterLeadership.Refused) refused).sameStore()).isFalse();
    assertThat(refused.getMessage()).isEqualTo("orchestrator 10.0.0.1:5701 (epoch 4) leads this swarm, with store "
        + "embedded H2 in /var/lib/a; orchestrator 10.0.0.2:5701 will not lead while it does: two orchestrators with "
        + "different stores would hand out the same run ids. Stop one, or point both at one PostgreSQL store (--store) "
        + "for high availability");

    Throwable standby = catchFailure(leadership().claim("10.0.0.3:5701", "store-a", "PostgreSQL x"));
    assertThat(((ClusterLeadership.Refused) standby).sameStore()).isTrue();
    assertThat(standby.getMessage()).endsWith("it shares that store, so it stands by and takes over when that one stops");
  }

  @Test
  void aLeaderThatRenewsItsRecordIsNotReplacedEvenWhenItDoesNotAnswer() throws Exception {
    await(leadership().claim("first", "s", "s"));
    ClusterLeadership second = leadership();
    long deadline = System.currentTimeMillis() + 1_500; // well past the stale time
    while (System.currentTimeMillis() < deadline) {
      assertThat(catchFailure(second.claim("second", "s", "s"))).isInstanceOf(ClusterLeadership.Refused.class);
      Thread.sleep(50);
    }
  }

  @Test
  void aRecordNobodyRenewsOrAnswersForIsTakenOverOnceItIsStale() throws Exception {
    // What a killed leader leaves behind: its record, renewed by nobody, and no answer to status requests.
    String dead = ProtocolJson.toJson(new ClusterLeadership.Leader("dead", "s", "s", 7));
    await(vertx.sharedData().<String, String>getAsyncMap(ClusterLeadership.MAP)
        .compose(map -> map.put(ClusterLeadership.KEY, dead)));
    ClusterLeadership candidate = leadership();
    assertThat(catchFailure(candidate.claim("next", "s", "s"))).as("not at first sight")
        .isInstanceOf(ClusterLeadership.Refused.class);
    Thread.sleep(700);
    await(candidate.claim("next", "s", "s"));
    String record = await(vertx.sharedData().<String, String>getAsyncMap(ClusterLeadership.MAP)
        .compose(map -> map.get(ClusterLeadership.KEY)));
    assertThat(record).contains("\"node\":\"next\"");
  }

  @Test
  void theSameNodeRestartedTakesItsRecordBackAtOnce() throws Exception {
    String previousLife = ProtocolJson.toJson(new ClusterLeadership.Leader("me", "s", "s", 42));
    await(vertx.sharedData().<String, String>getAsyncMap(ClusterLeadership.MAP)
        .compose(map -> map.put(ClusterLeadership.KEY, previousLife)));
    await(leadership().claim("me", "s", "s"));
  }

  @Test
  void aLeaderWhoseRecordIsTakenStopsLeadingAndAReleasedRecordIsFreeAtOnce() throws Exception {
    ClusterLeadership first = leadership();
    await(first.claim("first", "s", "s"));
    await(vertx.sharedData().<String, String>getAsyncMap(ClusterLeadership.MAP)
        .compose(map -> map.put(ClusterLeadership.KEY, ProtocolJson.toJson(new ClusterLeadership.Leader("usurper", "s",
            "s", 0)))));
    await(first.lost());

    await(vertx.sharedData().<String, String>getAsyncMap(ClusterLeadership.MAP)
        .compose(map -> map.remove(ClusterLeadership.KEY)));
    ClusterLeadership second = leadership();
    await(second.claim("second", "s", "s"));
    await(second.release());
    await(leadership().claim("third", "s", "s"));
  }

  private static Throwable catchFailure(Future<?> future) throws Exception {
    try {
      await(future);
    } catch (Exception refused) {
      return refused; // Vert.x's await throws the future's own failure
    }
    throw new AssertionError("it was not refused");
  }
}
