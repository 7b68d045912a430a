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
  void logChunksTravelAsRawBytes() {
    byte[] data = "line one\nünïcödé\n\u0000binary\n".getBytes(StandardCharsets.UTF_8);
    LogChunk chunk = new LogChunk("d1", new AttemptRef(5, 3, Long.MAX_VALUE), "tok", 1L << 40, data, true);
    Buffer wire0 = Buffer.buffer().appendString("prefix");
    new LogChunkCodec(null).encodeToWire(wire0, chunk);
    LogChunk back = (LogChunk) new LogChunkCodec(null).decodeFromWire(6, wire0);
    assertThat(back.drone()).isEqualTo("d1");
    assertThat(back.jobToken()).isEqualTo("tok");
    assertThat(back.attempt()).isEqualTo(chunk.attempt());
    assertThat(back.offset()).isEqualTo(chunk.offset());
    assertThat(back.eof()).isTrue();
    assertThat(back.data()).isEqualTo(data);
    Buffer wire = Buffer.buffer();
    new LogChunkCodec(null).encodeToWire(wire, chunk);
    // length, job, attempt, token, offset, eof, drone "d1", job token "tok", data length: then the data as is
    assertThat(wire.length()).isEqualTo(4 + 8 + 4 + 8 + 8 + 1 + (2 + 2) + (2 + 3) + 4 + data.length);
  }
}
