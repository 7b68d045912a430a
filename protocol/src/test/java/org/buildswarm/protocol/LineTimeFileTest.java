package org.buildswarm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.message.LineTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineTimeFileTest {
  @TempDir
  Path dir;

  @Test
  void readsTheEntriesOfARangeByBisectionAcrossBlocks() throws Exception {
    List<LineTime> times = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      times.add(new LineTime(i * 10L, 1_000_000L + i));
    }
    Path file = dir.resolve("1.times");
    Files.write(file, LineTimeFile.encode(times));
    assertThat(LineTimeFile.read(file, 0, Long.MAX_VALUE)).isEqualTo(times);
    assertThat(LineTimeFile.read(file, 45, 75)).containsExactly(times.get(5), times.get(6), times.get(7));
    assertThat(LineTimeFile.read(file, 50, 51)).containsExactly(times.get(5));
    assertThat(LineTimeFile.read(file, 40_000, 60_000)).isEqualTo(times.subList(4_000, 6_000));
    assertThat(LineTimeFile.read(file, 99_991, Long.MAX_VALUE)).isEmpty();
    assertThat(LineTimeFile.read(file, 7, 7)).isEmpty();
    assertThat(LineTimeFile.lastOffset(file)).isEqualTo(99_990);
  }

  @Test
  void aTornLastRecordAndAMissingFileReadAsNothing() throws Exception {
    Path file = dir.resolve("2.times");
    assertThat(LineTimeFile.read(file, 0, Long.MAX_VALUE)).isEmpty();
    assertThat(LineTimeFile.lastOffset(file)).isEqualTo(-1);
    Files.write(file, LineTimeFile.encode(List.of(new LineTime(0, 5), new LineTime(3, 6))));
    Files.write(file, new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 1}, StandardOpenOption.APPEND);
    assertThat(LineTimeFile.read(file, 0, Long.MAX_VALUE)).containsExactly(new LineTime(0, 5), new LineTime(3, 6));
    assertThat(LineTimeFile.lastOffset(file)).isEqualTo(3);
  }
}
