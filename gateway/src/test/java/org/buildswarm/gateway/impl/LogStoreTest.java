package org.buildswarm.gateway.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.buildswarm.protocol.message.AttemptRef;
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
}
