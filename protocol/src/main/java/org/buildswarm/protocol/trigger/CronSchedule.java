package org.buildswarm.protocol.trigger;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;

/**
 * A cron schedule of five fields — minute, hour, day of month, month, day of week — with
 * {@code *}, lists, ranges, steps ({@code *}{@code /15}, {@code 1-5/2}), month and weekday names,
 * and the shorthands {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly},
 * {@code @yearly}. As in classic cron, when both day fields are restricted a day matching either runs.
 */
public final class CronSchedule {
  private static final Map<String, String> SHORTHANDS = Map.of(
      "@hourly", "0 * * * *", "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@weekly", "0 0 * * 0",
      "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *");
  private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  private static final String[] DAYS = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  /** Search at most this far ahead: a schedule like "0 0 30 2 *" never fires. */
  private static final int MAX_YEARS_AHEAD = 5;

  private final String expression;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean dayOfMonthRestricted;
  private final boolean dayOfWeekRestricted;

  private CronSchedule(String expression, String[] fields) {
    this.expression = expression;
    minutes = field(fields[0], "minute", 0, 59, null);
    hours = field(fields[1], "hour", 0, 23, null);
    daysOfMonth = field(fields[2], "day of month", 1, 31, null);
    months = field(fields[3], "month", 1, 12, MONTHS);
    BitSet weekdays = field(fields[4], "day of week", 0, 7, DAYS);
    if (weekdays.get(7)) { // 7 is Sunday too
      weekdays.set(0);
      weekdays.clear(7);
    }
    daysOfWeek = weekdays;
    dayOfMonthRestricted = !fields[2].equals("*");
    dayOfWeekRestricted = !fields[4].equals("*");
  }

  /** @throws IllegalArgumentException saying which field is wrong and why */
  public static CronSchedule parse(String expression) {
    String trimmed = expression == null ? "" : expression.trim();
    String expanded = SHORTHANDS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
    if (expanded.startsWith("@")) {
      throw new IllegalArgumentException("unknown shorthand \"" + trimmed + "\"; use @hourly, @daily, @weekly, "
          + "@monthly or @yearly");
    }
    String[] fields = expanded.split("\\s+");
    if (fields.length != 5) {
      throw new IllegalArgumentException("a cron schedule has 5 fields (minute hour day-of-month month day-of-week), "
          + "not " + (expanded.isEmpty() ? 0 : fields.length));
    }
    return new CronSchedule(trimmed, fields);
  }

  public String expression() {
    return expression;
  }

  /** The first minute strictly after {@code after} that the schedule fires, or null if none within 5 years. */
  public ZonedDateTime next(ZonedDateTime after) {
    ZonedDateTime time = after.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    ZonedDateTime limit = after.plusYears(MAX_YEARS_AHEAD);
    while (time.isBefore(limit)) {
      if (!months.get(time.getMonthValue())) {
        time = time.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
      } else if (!dayMatches(time)) {
        time = time.withHour(0).withMinute(0).plusDays(1);
      } else if (!hours.get(time.getHour())) {
        time = time.withMinute(0).plusHours(1);
      } else if (!minutes.get(time.getMinute())) {
        time = time.plusMinutes(1);
      } else {
        return time;
      }
    }
    return null;
  }

  /** {@link #next(ZonedDateTime)} in UTC, as epoch milliseconds; -1 if never. */
  public long nextMillis(long afterMillis) {
    ZonedDateTime next = next(ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(afterMillis), ZoneId.of("UTC")));
    return next == null ? -1 : next.toInstant().toEpochMilli();
  }

  private boolean dayMatches(ZonedDateTime time) {
    boolean monthDay = daysOfMonth.get(time.getDayOfMonth());
    boolean weekDay = daysOfWeek.get(time.getDayOfWeek().getValue() % 7);
    if (dayOfMonthRestricted && dayOfWeekRestricted) {
      return monthDay || weekDay;
    }
    return monthDay && weekDay;
  }

  private static BitSet field(String text, String what, int min, int max, String[] names) {
    BitSet values = new BitSet(max + 1);
    for (String part : text.split(",", -1)) {
      if (part.isEmpty()) {
        throw new IllegalArgumentException(what + " \"" + text + "\" has an empty list item");
      }
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), what, 1, max, null);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else if (range.contains("-")) {
        String[] ends = range.split("-", 2);
        from = number(ends[0], what, min, max, names);
        to = number(ends[1], what, min, max, names);
        if (from > to) {
          throw new IllegalArgumentException(what + " range \"" + range + "\" runs backwards");
        }
      } else {
        from = number(range, what, min, max, names);
        to = slash >= 0 ? max : from;
      }
      for (int value = from; value <= to; value += step) {
        values.set(value);
      }
    }
    return values;
  }

  private static int number(String text, String what, int min, int max, String[] names) {
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equalsIgnoreCase(text)) {
          return names == MONTHS ? i + 1 : i;
        }
      }
    }
    int value;
    try {
      value = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " \"" + text + "\" is not a number" + (names == null ? ""
          : " or a name (" + names[0] + "…" + names[names.length - 1] + ")"));
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(what + " " + value + " is outside " + min + "–" + max);
    }
    return value;
  }

  @Override
  public String toString() {
    return expression;
  }
}
