package org.buildswarm.protocol.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.LineTime;
import org.buildswarm.protocol.message.LogChunk;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.Test;

/** What crosses the clustered event bus comes out as it went in. */
class CodecsTest {
  private static <T> T roundTrip(io.vertx.core.eventbus.MessageCodec<T, T> codec, T value) {
    Buffer buffer = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(buffer, value);
    return codec.decodeFromWire(6, buffer);
  }

  @Test
  void recordsSurviveTheWire() {
    AssignJob assignment = new AssignJob("d1", 3, new AttemptRef(42, 2, 99), 7, "test (17, linux)",
        new JobExecution(List.of(new Step("make", "make -j$BUILDSWARM_CORES")), Map.of("A", "b"), 4, 60_000,
            new SourceSpec(SourceSpec.GIT, "https://example.org/r.git", "abc"),
            List.of(new org.buildswarm.protocol.message.ArtifactSpec("app.jar", "target/app.jar")), List.of("NPM_TOKEN")),
        "42.2.99.0123abcd");
    assertThat(roundTrip(new RecordMessageCodec<>(AssignJob.class, null), assignment)).isEqualTo(assignment);
    RegisterDrone register = new RegisterDrone("d", 1, "h", 8, List.of("linux"), DroneMode.PAUSED, true,
        List.of(new AttemptRef(1, 1, 1)));
    assertThat(roundTrip(new RecordMessageCodec<>(RegisterDrone.class, null), register)).isEqualTo(register);
  }

  @Test
  void testResultsTravelWithTheReportAndViewsSayTestsNullWhenThereAreNone() throws Exception {
    org.buildswarm.protocol.api.TestSummary summary = new org.buildswarm.protocol.api.TestSummary(5, 2, 1, 1, 1, 1234);
    org.buildswarm.protocol.message.JobFinished finished = new org.buildswarm.protocol.message.JobFinished("d1",
        new AttemptRef(4, 1, 9), org.buildswarm.protocol.message.JobOutcome.FAILED, 1, "test", List.of("boom"), 1, 2,
        "failed", null, new org.buildswarm.protocol.message.TestResults(summary, List.of(
            new org.buildswarm.protocol.api.TestFailure("s", "a.B", "c", "failure", "m", "T", "trace", "out", 5)), true));
    assertThat(roundTrip(new RecordMessageCodec<>(org.buildswarm.protocol.message.JobFinished.class, null), finished))
        .isEqualTo(finished);
    org.buildswarm.protocol.api.JobView job = new org.buildswarm.protocol.api.JobView(1, 2, "j",
        org.buildswarm.protocol.JobState.RUNNING, 1, null, null, 1, null, null, null, null, null, null, null, null, null);
    String json = org.buildswarm.protocol.ProtocolJson.toJson(new org.buildswarm.protocol.api.RunDetail(null, List.of(job)));
    assertThat(json).contains("\"tests\":null}],\"tests\":null}");
    org.buildswarm.protocol.api.JobView tested = new org.buildswarm.protocol.api.JobView(3, 2, "k",
        org.buildswarm.protocol.JobState.FAILED, 1, null, null, 1, null, null, null, null, null, null, null, null, null,
        summary);
    org.buildswarm.protocol.api.RunDetail detail = new org.buildswarm.protocol.api.RunDetail(null, List.of(job, tested,
        tested));
    assertThat(detail.tests()).isEqualTo(new org.buildswarm.protocol.api.TestSummary(10, 4, 2, 2, 2, 2468));
    assertThat(org.buildswarm.protocol.ProtocolJson.mapper().readValue(org.buildswarm.protocol.ProtocolJson.toJson(detail),
        org.buildswarm.protocol.api.RunDetail.class)).isEqualTo(detail);
  }

  @Test
  void logChunksTravelAsRawBytes() {
    byte[] data = "line one\nünïcödé\n\u0000binary\n".getBytes(StandardCharsets.UTF_8);
    List<LineTime> times = List.of(new LineTime(1L << 40, 1_700_000_000_123L), new LineTime((1L << 40) + 9, 1_700_000_000_456L));
    LogChunk chunk = new LogChunk("d1", new AttemptRef(5, 3, Long.MAX_VALUE), "tok", 1L << 40, data, true, times);
    Buffer wire0 = Buffer.buffer().appendString("prefix");
    new LogChunkCodec(null).encodeToWire(wire0, chunk);
    LogChunk back = (LogChunk) new LogChunkCodec(null).decodeFromWire(6, wire0);
    assertThat(back.drone()).isEqualTo("d1");
    assertThat(back.jobToken()).isEqualTo("tok");
    assertThat(back.attempt()).isEqualTo(chunk.attempt());
    assertThat(back.offset()).isEqualTo(chunk.offset());
    assertThat(back.eof()).isTrue();
    assertThat(back.data()).isEqualTo(data);
    assertThat(back.times()).isEqualTo(times);
    Buffer wire = Buffer.buffer();
    new LogChunkCodec(null).encodeToWire(wire, chunk);
    // length, job, attempt, token, offset, eof, drone "d1", job token "tok", data length: then the data as is,
    // then the number of times and each time's offset and epoch ms
    assertThat(wire.length()).isEqualTo(4 + 8 + 4 + 8 + 8 + 1 + (2 + 2) + (2 + 3) + 4 + data.length + 4 + 2 * 16);
  }

  @Test
  void aChunkWithoutTimesIsReadAsOneWithNone() {
    byte[] data = "old\n".getBytes(StandardCharsets.UTF_8);
    // The payload of protocol 7, which ended with the data.
    Buffer payload = Buffer.buffer().appendLong(5).appendInt(1).appendLong(9).appendLong(0).appendByte((byte) 0)
        .appendShort((short) 2).appendString("d1").appendShort((short) 0).appendInt(data.length).appendBytes(data);
    Buffer wire = Buffer.buffer().appendInt(payload.length()).appendBuffer(payload);
    LogChunk back = (LogChunk) new LogChunkCodec(null).decodeFromWire(0, wire);
    assertThat(back.data()).isEqualTo(data);
    assertThat(back.times()).isEmpty();
    assertThat(new LogChunk("d1", new AttemptRef(5, 1, 9), null, 0, data, false).times()).isEmpty();
  }

  @Test
  void aChunkClaimingMoreTimesThanItCarriesIsRefused() {
    LogChunk chunk = new LogChunk("d1", new AttemptRef(5, 1, 9), null, 0, new byte[] {'x'}, false,
        List.of(new LineTime(0, 1)));
    Buffer wire = Buffer.buffer();
    new LogChunkCodec(null).encodeToWire(wire, chunk);
    // the count sits 16 bytes before the end: claim a million
    wire.setInt(wire.length() - 16 - 4, 1_000_000);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LogChunkCodec(null).decodeFromWire(0, wire))
        .hasMessageContaining("1000000 times");
  }
}
