package org.buildswarm.protocol.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.auth.Credentials;
import org.buildswarm.protocol.auth.Envelopes;
import org.buildswarm.protocol.auth.JobTokens;
import org.buildswarm.protocol.auth.Rejected;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.LogChunk;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.Test;

/**
 * The event bus's seals, as the codecs apply them: who may send what to whom, and what a node
 * without the right credentials gets (a {@link Rejected} that no handler acts on).
 */
class EnvelopesTest {
  private final Credentials control = Credentials.newSwarm(new SecureRandom());
  private final Credentials d1 = control.forDrone("d1");
  private final Credentials d2 = control.forDrone("d2");
  private final Credentials otherSwarm = Credentials.newSwarm(new SecureRandom());

  private static <T> Object carry(Credentials from, Credentials to, Class<T> type, T value) {
    Buffer wire = Buffer.buffer();
    new RecordMessageCodec<>(type, from == null ? null : new Envelopes(from)).encodeToWire(wire, value);
    return new RecordMessageCodec<>(type, new Envelopes(to)).decodeFromWire(0, wire);
  }

  private static Heartbeat heartbeat(String drone) {
    return new Heartbeat(drone, 1, 2, 0.5, 1, 1, 1, DroneMode.ACTIVE, List.of(), null);
  }

  private static AssignJob assignment(String drone) {
    return new AssignJob(drone, 1, new AttemptRef(1, 1, 1), 1, "job", new JobExecution(List.of(new Step("s", "true")),
        Map.of(), 1, 1_000, SourceSpec.none(), List.of(), List.of()), "t");
  }

  private static String reason(Object received) {
    assertThat(received).isInstanceOf(Rejected.class);
    return ((Rejected) received).reason();
  }

  @Test
  void aDroneSpeaksForItselfToTheControlPlaneAndTheControlPlaneToEachDrone() {
    assertThat(carry(d1, control, Heartbeat.class, heartbeat("d1"))).isEqualTo(heartbeat("d1"));
    assertThat(carry(control, d1, AssignJob.class, assignment("d1"))).isEqualTo(assignment("d1"));
    CreateToken create = new CreateToken("ops", Role.ADMIN, "abc", "gateway");
    assertThat(carry(control, control, CreateToken.class, create)).isEqualTo(create);
  }

  @Test
  void aNodeWithoutCredentialsOrWithAnotherSwarmsGetsNothingThrough() {
    CreateToken create = new CreateToken("ops", Role.ADMIN, "abc", "rogue");
    assertThat(reason(carry(null, control, CreateToken.class, create))).contains("not sealed");
    assertThat(reason(carry(otherSwarm, control, CreateToken.class, create))).contains("seal does not match");
    assertThat(reason(carry(otherSwarm.forDrone("d1"), control, Heartbeat.class, heartbeat("d1"))))
        .contains("seal does not match");
  }

  @Test
  void aDronesCredentialsNeitherActForAnotherDroneNorReachTheControlPlanesAddresses() {
    assertThat(reason(carry(d1, control, Heartbeat.class, heartbeat("d2")))).isEqualTo("drone d1 may not speak for drone d2");
    assertThat(reason(carry(d1, control, CreateToken.class, new CreateToken("x", Role.ADMIN, "abc", "d1"))))
        .isEqualTo("drone d1 may not send CreateToken");
    assertThat(reason(carry(d1, d2, Heartbeat.class, heartbeat("d1")))).isEqualTo("drone d1 may not send to a drone");
    assertThat(reason(carry(control, d2, AssignJob.class, assignment("d1"))))
        .as("sealed for d1: d2 cannot take it").contains("takes only what the control plane sealed for it");
    assertThat(reason(carry(d1, d1, AssignJob.class, assignment("d1"))))
        .as("a drone cannot forge a command to itself").isEqualTo("drone d1 may not send to a drone");
  }

  @Test
  void aSealedMessageIsAcceptedOnceAReplayIsRefused() {
    Buffer wire = Buffer.buffer();
    new RecordMessageCodec<>(Heartbeat.class, new Envelopes(d1)).encodeToWire(wire, heartbeat("d1"));
    MessageCodec<Heartbeat, Heartbeat> receiver = new RecordMessageCodec<>(Heartbeat.class, new Envelopes(control));
    assertThat(receiver.decodeFromWire(0, wire)).isEqualTo(heartbeat("d1"));
    assertThat(reason(receiver.decodeFromWire(0, wire))).contains("received before (replayed)");
  }

  @Test
  void aTamperedMessageIsRefused() {
    Buffer wire = Buffer.buffer();
    new RecordMessageCodec<>(Heartbeat.class, new Envelopes(d1)).encodeToWire(wire, heartbeat("d1"));
    byte[] bytes = wire.getBytes();
    bytes[bytes.length - 5] ^= 1; // one bit of the JSON
    Object received = new RecordMessageCodec<>(Heartbeat.class, new Envelopes(control)).decodeFromWire(0,
        Buffer.buffer(bytes));
    assertThat(reason(received)).contains("seal does not match");
  }

  @Test
  void aLogChunkNeedsItsAttemptsJobTokenSoNoDroneWritesAnothersLog() {
    JobTokens tokens = new JobTokens(control);
    AttemptRef mine = new AttemptRef(7, 1, 42);
    AttemptRef theirs = new AttemptRef(8, 1, 43);
    byte[] data = "hello\n".getBytes(StandardCharsets.UTF_8);
    LogChunk good = new LogChunk("d1", mine, tokens.mint(mine), 0, data, false);
    LogChunk stolen = new LogChunk("d1", theirs, tokens.mint(mine), 0, data, false);
    LogChunk forged = new LogChunk("d1", theirs, "8.1.43.00000000000000000000000000000000", 0, data, false);
    assertThat(carryChunk(good)).isInstanceOfSatisfying(LogChunk.class, chunk -> {
      assertThat(chunk.attempt()).isEqualTo(mine);
      assertThat(chunk.data()).isEqualTo(data);
    });
    assertThat(reason(carryChunk(stolen))).contains("without that attempt's job token");
    assertThat(reason(carryChunk(forged))).contains("without that attempt's job token");
  }

  private Object carryChunk(LogChunk chunk) {
    Buffer wire = Buffer.buffer();
    new LogChunkCodec(new Envelopes(d1)).encodeToWire(wire, chunk);
    return new LogChunkCodec(new Envelopes(control)).decodeFromWire(0, wire);
  }
}
