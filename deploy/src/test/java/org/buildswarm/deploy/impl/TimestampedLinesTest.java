package org.buildswarm.deploy.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.buildswarm.protocol.message.LineTime;
import org.junit.jupiter.api.Test;

class TimestampedLinesTest {
  private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
  private static final long NOON = ZonedDateTime.of(2026, 12, 2, 12, 0, 0, 0, ZONE).toInstant().toEpochMilli();

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void eachLineHasTheTimeOfTheLastEntryAtOrBeforeItsStartAcrossParts() {
    TimestampedLines lines = new TimestampedLines(ZONE, false);
    byte[] log = "==> [1/1] build\nünï\ncodé\nhalf a ".getBytes(StandardCharsets.UTF_8);
    long codé = "==> [1/1] build\nünï\n".getBytes(StandardCharsets.UTF_8).length;
    lines.add(List.of(new LineTime(0, NOON + 5), new LineTime(codé, NOON + 1_250)));
    assertThat(text(lines.next(log))).isEqualTo("""
        12:00:00.005 ==> [1/1] build
        12:00:00.005 ünï
        12:00:01.250 codé
        12:00:01.250 half a \
        """);
    long next = log.length + "line\n".length();
    lines.add(List.of(new LineTime(next, NOON + 61_000)));
    assertThat(text(lines.next("line\nnext\n".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("line\n12:01:01.000 next\n");
  }

  @Test
  void isoTimesCarryTheDateAndOffsetAndLinesBeforeAnyEntryABlank() {
    TimestampedLines lines = new TimestampedLines(ZONE, true);
    lines.add(List.of(new LineTime(4, NOON)));
    assertThat(text(lines.next("old\nnew\n".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("                              old\n2026-12-02T12:00:00.000+01:00 new\n");
  }
}
