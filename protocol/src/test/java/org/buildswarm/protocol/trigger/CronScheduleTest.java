package org.buildswarm.protocol.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
  private static ZonedDateTime at(String iso) {
    return ZonedDateTime.of(java.time.LocalDateTime.parse(iso), ZoneOffset.UTC);
  }

  private static String next(String cron, String after) {
    ZonedDateTime next = CronSchedule.parse(cron).next(at(after));
    return next == null ? null : next.toLocalDateTime().toString();
  }

  @Test
  void findsTheNextMinuteOfEachKindOfField() {
    assertThat(next("0 3 * * *", "2026-11-23T12:14")).isEqualTo("2026-11-24T03:00");
    assertThat(next("*/15 * * * *", "2026-11-23T12:14")).isEqualTo("2026-11-23T12:15");
    assertThat(next("*/15 * * * *", "2026-11-23T12:15")).as("strictly after").isEqualTo("2026-11-23T12:30");
    assertThat(next("30 9 * * mon-fri", "2026-11-27T10:00")).as("Friday after 9:30 → Monday")
        .isEqualTo("2026-11-30T09:30");
    assertThat(next("0 0 1 jan,jul *", "2026-11-23T00:00")).isEqualTo("2027-01-01T00:00");
    assertThat(next("0 12 29 2 *", "2026-03-01T00:00")).as("the next leap day").isEqualTo("2028-02-29T12:00");
    assertThat(next("0 0 13 * 5", "2026-11-01T00:00")).as("day of month OR weekday, as cron does")
        .isEqualTo("2026-11-06T00:00");
    assertThat(next("0 0 * * 7", "2026-11-23T00:00")).as("7 is Sunday").isEqualTo("2026-11-29T00:00");
    assertThat(next("@daily", "2026-11-23T12:14")).isEqualTo("2026-11-24T00:00");
    assertThat(next("0 0 30 2 *", "2026-01-01T00:00")).as("never").isNull();
  }

  @Test
  void badSchedulesSayWhichFieldAndWhy() {
    assertThatThrownBy(() -> CronSchedule.parse("0 3 * *")).hasMessageContaining("5 fields").hasMessageContaining("not 4");
    assertThatThrownBy(() -> CronSchedule.parse("61 * * * *")).hasMessage("minute 61 is outside 0–59");
    assertThatThrownBy(() -> CronSchedule.parse("0 5-2 * * *")).hasMessage("hour range \"5-2\" runs backwards");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * smarch *")).hasMessageContaining("month \"smarch\" is not a number");
    assertThatThrownBy(() -> CronSchedule.parse("@fortnightly")).hasMessageContaining("unknown shorthand");
  }
}
