package org.buildswarm.gateway.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.LineTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStoreTest {
  @TempDir
  Path root;

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void appendsInOrderAndIgnoresResentChunks() throws Exception {
    LogStore store = new LogStore(root);
    AttemptRef attempt = new AttemptRef(5, 1, 77);
    assertThat(store.append(attempt, 0, bytes("hello "), false)).isEqualTo(6);
    assertThat(store.append(attempt, 0, bytes("hello "), false)).as("resend").isEqualTo(6);
    assertThat(store.append(attempt, 3, bytes("lo world"), false)).as("overlap appends only the new part").isEqualTo(11);
    assertThat(store.append(attempt, 20, bytes("gap"), false)).as("a gap is refused with the length to resend from")
        .isEqualTo(11);
    LogStore.LogFile file = store.find(5, null);
    assertThat(Files.readString(file.path())).isEqualTo("hello world");
    assertThat(file.complete()).isFalse();
    assertThat(store.append(attempt, 11, bytes("\n"), true)).isEqualTo(12);
    assertThat(store.find(5, 1).complete()).isTrue();
  }

  @Test
  void findsTheLatestAttemptUnlessOneIsNamed() throws Exception {
    LogStore store = new LogStore(root);
    store.append(new AttemptRef(9, 1, 1), 0, bytes("first"), true);
    store.append(new AttemptRef(9, 2, 2), 0, bytes("second"), false);
    assertThat(store.find(9, null).attempt()).isEqualTo(2);
    assertThat(Files.readString(store.find(9, 1).path())).isEqualTo("first");
    assertThat(store.find(9, 3)).isNull();
    assertThat(store.find(10, null)).isNull();
  }

  @Test
  void timesAreKeptOnlyForTheBytesAChunkAddsLikeTheBytes() throws Exception {
    LogStore store = new LogStore(root);
    AttemptRef attempt = new AttemptRef(6, 1, 77);
    store.append(attempt, 0, bytes("one\ntwo\n"), false, List.of(new LineTime(0, 100), new LineTime(4, 200)));
    // resent with the next bytes: only the entries for what is new are kept
    store.append(attempt, 0, bytes("one\ntwo\nthree\n"), false,
        List.of(new LineTime(0, 999), new LineTime(4, 999), new LineTime(8, 300)));
    store.append(attempt, 8, bytes("three\n"), false, List.of(new LineTime(8, 999))); // nothing new
    store.append(attempt, 30, bytes("gap\n"), false, List.of(new LineTime(30, 999))); // refused, and its times
    // entries outside the chunk's bytes or out of order are dropped
    store.append(attempt, 14, bytes("four\nfive\n"), false,
        List.of(new LineTime(3, 999), new LineTime(19, 500), new LineTime(14, 400), new LineTime(24, 999)));
    assertThat(store.times(6, null, 0)).isEqualTo(new LogStore.LogTimes(1,
        List.of(new LineTime(0, 100), new LineTime(4, 200), new LineTime(8, 300), new LineTime(19, 500))));
    assertThat(store.times(6, 1, 5).times()).containsExactly(new LineTime(8, 300), new LineTime(19, 500));
    assertThat(store.times(6, 2, 0)).isNull();
    assertThat(store.times(7, null, 0)).isNull();

    // a new gateway (restart) goes on from what is on disk
    LogStore restarted = new LogStore(root);
    restarted.append(attempt, 14, bytes("four\nfive\nsix\n"), true, List.of(new LineTime(19, 999), new LineTime(24, 600)));
    assertThat(restarted.times(6, null, 19).times()).containsExactly(new LineTime(19, 500), new LineTime(24, 600));
    assertThat(Files.size(root.resolve("6/1.times"))).isEqualTo(5 * 16);
  }

  @Test
  void aCrashBetweenTheTimesAndTheBytesNeitherLosesNorDoublesAResentChunksTimes() throws Exception {
    AttemptRef attempt = new AttemptRef(8, 1, 77);
    new LogStore(root).append(attempt, 0, bytes("a\n"), false, List.of(new LineTime(0, 100)));
    // what a crash after writing the next chunk's times (the last record torn) and before its bytes leaves
    Path index = root.resolve("8/1.times");
    Files.write(index, org.buildswarm.protocol.LineTimeFile.encode(List.of(new LineTime(2, 200), new LineTime(4, 300))),
        java.nio.file.StandardOpenOption.APPEND);
    Files.write(index, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    LogStore restarted = new LogStore(root);
    assertThat(restarted.times(8, null, 0).times()).as("nothing past the log's end").containsExactly(new LineTime(0, 100));
    restarted.append(attempt, 2, bytes("b\nc\nd\n"), false,
        List.of(new LineTime(2, 200), new LineTime(4, 300), new LineTime(6, 400)));
    assertThat(restarted.times(8, null, 0).times()).containsExactly(new LineTime(0, 100), new LineTime(2, 200),
        new LineTime(4, 300), new LineTime(6, 400));
  }
}
