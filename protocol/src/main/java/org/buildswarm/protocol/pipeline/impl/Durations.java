package org.buildswarm.protocol.pipeline.impl;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations the way people write them in build files: {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 45}. */
public final class Durations {
  private Durations() {}

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /** @return the duration, or null if the text is not one */
  public static Duration parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      return null;
    }
    if (trimmed.chars().allMatch(Character::isDigit)) {
      return trimmed.length() > 12 ? null : Duration.ofSeconds(Long.parseLong(trimmed));
    }
    Matcher matcher = PART.matcher(trimmed);
    Duration total = Duration.ZERO;
    int position = 0;
    while (matcher.find() && matcher.start() == position) {
      if (matcher.group(1).length() > 12) {
        return null;
      }
      long amount = Long.parseLong(matcher.group(1));
      total = total.plus(switch (matcher.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      });
      position = matcher.end();
    }
    return position == trimmed.length() ? total : null;
  }

  /** The short form used in messages: {@code 1h30m}, {@code 45s}. */
  public static String format(Duration duration) {
    long seconds = duration.toSeconds();
    if (seconds == 0) {
      return duration.toMillis() + "ms";
    }
    StringBuilder text = new StringBuilder();
    long hours = seconds / 3600;
    long minutes = seconds % 3600 / 60;
    long rest = seconds % 60;
    if (hours > 0) {
      text.append(hours).append('h');
    }
    if (minutes > 0) {
      text.append(minutes).append('m');
    }
    if (rest > 0) {
      text.append(rest).append('s');
    }
    return text.toString();
  }
}
