package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.buildswarm.protocol.LineTimeFile;
import org.buildswarm.protocol.message.LineTime;
import org.junit.jupiter.api.Test;

/** The time index a job log keeps beside itself: coalesced, exact in bytes, and the drone's lines always in it. */
class JobLogTimesTest {
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream indexBytes = new ByteArrayOutputStream();
  private final JobLog log = new JobLog(logBytes, new LineTimes(indexBytes, clock::get, 0), 0, 20, 200);

  private void output(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    log.output(bytes, bytes.length);
  }

  private List<LineTime> times() {
    return decode(indexBytes.toByteArray());
  }

  private static List<LineTime> decode(byte[] index) {
    ByteBuffer buffer = ByteBuffer.wrap(index);
    List<LineTime> times = new ArrayList<>();
    while (buffer.remaining() >= LineTimeFile.RECORD_BYTES) {
      times.add(new LineTime(buffer.getLong(), buffer.getLong()));
    }
    assertThat(buffer.remaining()).as("whole records only").isZero();
    return times;
  }

  /** The byte offset where {@code text} starts in the log written so far. */
  private long offsetOf(String text) {
    String written = logBytes.toString(StandardCharsets.ISO_8859_1);
    int at = written.indexOf(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    assertThat(at).as("%s in the log", text).isNotNegative();
    return at;
  }

  @Test
  void linesWithin100MsOfAnIndexedOneShareItsEntry() {
    output("first\n");
    clock.addAndGet(40);
    output("second\nthird\n");
    clock.addAndGet(59);
    output("fourth\n");
    clock.addAndGet(1); // 100 ms after the first entry
    output("fifth\nsixth\n");
    clock.addAndGet(5_000);
    output("seventh\n");
    assertThat(times()).containsExactly(
        new LineTime(0, 1_000_000),
        new LineTime(offsetOf("fifth"), 1_000_100),
        new LineTime(offsetOf("seventh"), 1_005_100));
  }

  @Test
  void offsetsCountBytesAndALineStartsWhenItsFirstByteIsWritten() {
    output("héllo wörld ✓\nstill ");
    clock.addAndGet(200);
    output("the same line, ünïcode\n"); // no line starts in here: the newline ends these bytes
    clock.addAndGet(700);
    output("€ after a pause"); // this line's first byte came 700 ms after the newline before it
    clock.addAndGet(300);
    output(" and its end\nnext");
    assertThat(times()).containsExactly(
        new LineTime(0, 1_000_000),
        new LineTime(offsetOf("€ after"), 1_000_900),
        new LineTime(offsetOf("next"), 1_001_200));
    assertThat(offsetOf("€ after")).isEqualTo("héllo wörld ✓\nstill the same line, ünïcode\n"
        .getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void theDronesOwnLinesAreAlwaysIndexed() {
    log.line("==> [1/2] build");
    output("compiling");  // same millisecond, and it ends without a newline
    clock.addAndGet(3);
    log.line("==> exit 0 after 0.0s"); // the drone ends the partial line first
    clock.addAndGet(2);
    log.line("==> [2/2] test");
    output("ok\n");
    assertThat(times()).containsExactly(
        new LineTime(0, 1_000_000),
        new LineTime(offsetOf("==> exit 0"), 1_000_003),
        new LineTime(offsetOf("==> [2/2]"), 1_000_005));
    assertThat(logBytes.toString(StandardCharsets.UTF_8))
        .isEqualTo("==> [1/2] build\ncompiling\n==> exit 0 after 0.0s\n==> [2/2] test\nok\n");
  }

  @Test
  void offsetsAreThoseOfTheMaskedBytesAsWritten() {
    log.mask(new SecretsDirectory.Masker(List.of("sup3r-secret-value")));
    output("token sup3r-secret-value here\n");
    clock.addAndGet(150);
    output("and again sup3r-secret-value\nthen");
    clock.addAndGet(150);
    output(" more\n");
    log.close();
    assertThat(logBytes.toString(StandardCharsets.UTF_8)).doesNotContain("sup3r");
    assertThat(times()).containsExactly(new LineTime(0, 1_000_000), new LineTime(offsetOf("and again"), 1_000_150));
  }

  @Test
  void aLineHeldBackForMaskingHasTheTimeTheStepWroteIt() {
    log.mask(new SecretsDirectory.Masker(List.of("sup3r-secret-value")));
    output("abc\n");
    clock.addAndGet(200);
    output("Compiling..."); // no newline: masking holds it back
    clock.addAndGet(5_000);
    output(" done\n");
    assertThat(times()).containsExactly(new LineTime(0, 1_000_000), new LineTime(4, 1_000_200));
    assertThat(logBytes.toString(StandardCharsets.UTF_8)).isEqualTo("abc\nCompiling... done\n");
  }

  @Test
  void aLogThatReachesItsLimitIndexesOnlyWhatItKeptAndItsNotice() {
    JobLog limited = new JobLog(logBytes, new LineTimes(indexBytes, clock::get, 0), 10, 20, 200);
    byte[] first = "12345\n".getBytes(StandardCharsets.UTF_8);
    limited.output(first, first.length);
    clock.addAndGet(500);
    byte[] more = "678\nabcdefgh\n".getBytes(StandardCharsets.UTF_8);
    limited.output(more, more.length);
    assertThat(logBytes.toString(StandardCharsets.UTF_8)).startsWith("12345\n678\n");
    assertThat(times()).containsExactly(new LineTime(0, 1_000_000), new LineTime(6, 1_000_500),
        new LineTime(offsetOf("==> the log reached"), 1_000_500));
  }

  @Test
  void fiftyMegabytesOfTinyLinesWrittenFastKeepASmallIndex() {
    ByteArrayOutputStream index = new ByteArrayOutputStream();
    JobLog big = new JobLog(OutputStream.nullOutputStream(), new LineTimes(index, System::currentTimeMillis, 0),
        0, 20, 200);
    byte[] block = "x\n".repeat(32 * 1024).getBytes(StandardCharsets.US_ASCII); // 64 KiB of 2-byte lines
    long started = System.currentTimeMillis();
    for (long written = 0; written < 50L * 1024 * 1024; written += block.length) {
      big.output(block, block.length);
    }
    long elapsedMs = System.currentTimeMillis() - started;
    List<LineTime> times = decode(index.toByteArray());
    // 26 million lines; at most one entry per 100 ms of writing them (and the first)
    assertThat(times.size()).as("entries for %s ms", elapsedMs).isBetween(1, (int) (elapsedMs / 100) + 2);
    for (int i = 1; i < times.size(); i++) {
      assertThat(times.get(i).epochMs() - times.get(i - 1).epochMs()).isGreaterThanOrEqualTo(100);
      assertThat(times.get(i).offset() % 2).as("a line start").isZero();
    }
  }
}
