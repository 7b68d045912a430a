package org.buildswarm.protocol.pipeline.impl;

import static org.buildswarm.protocol.pipeline.impl.PipelineBinder.*;

import java.util.ArrayList;
import java.util.List;
import org.buildswarm.protocol.pipeline.Triggers;
import org.buildswarm.protocol.trigger.CronSchedule;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ListNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;

/** The pipeline's {@code on:} section: which pushes, schedules and manual starts start it. */
final class TriggerBinder {
  private final Binding binding;

  TriggerBinder(Binding binding) {
    this.binding = binding;
  }

  /**
   * {@code on:} — {@code push} (true, or {@code {branches, tags, paths, paths-ignore}}),
   * {@code schedule} (a list of {@code {cron: "…"}}) and {@code manual} (true or false). Listing
   * only some means only those start the pipeline.
   */
  Triggers bind(Entry entry) {
    if (entry == null) {
      return Triggers.DEFAULT;
    }
    if (!(entry.value() instanceof MapNode on)) {
      binding.problem(entry.value().location(), "\"on\" must be a mapping with push, schedule and/or manual, not "
          + entry.value().describe());
      return Triggers.DEFAULT;
    }
    binding.checkKeys(on, ON_KEYS, "\"on\"");
    Triggers.Push push = null;
    Entry pushEntry = on.entries().get("push");
    if (pushEntry != null) {
      if (pushEntry.value() instanceof ScalarNode scalar && (scalar.isNull() || "true".equals(scalar.text()))) {
        push = Triggers.Push.EVERYTHING;
      } else if (pushEntry.value() instanceof ScalarNode scalar && "false".equals(scalar.text())) {
        push = null;
      } else if (pushEntry.value() instanceof MapNode filters) {
        binding.checkKeys(filters, PUSH_KEYS, "\"on.push\"");
        push = new Triggers.Push(binding.globs(filters, "branches"), binding.globs(filters, "tags"), binding.globs(filters, "paths"),
            binding.globs(filters, "paths-ignore"));
      } else {
        binding.problem(pushEntry.value().location(), "\"push\" must be true, false or a mapping of branches, tags, paths and "
            + "paths-ignore, not " + pushEntry.value().describe());
      }
    }
    List<CronSchedule> schedules = new ArrayList<>();
    Entry scheduleEntry = on.entries().get("schedule");
    if (scheduleEntry != null) {
      List<YamlNode> items = scheduleEntry.value() instanceof ListNode list ? list.items() : List.of(scheduleEntry.value());
      for (YamlNode item : items) {
        YamlNode cron = item instanceof MapNode map && map.entries().get("cron") != null
            ? map.entries().get("cron").value() : item;
        if (item instanceof MapNode map) {
          binding.checkKeys(map, SCHEDULE_KEYS, "a schedule");
        }
        if (cron instanceof ScalarNode scalar && !scalar.isNull()) {
          try {
            schedules.add(CronSchedule.parse(scalar.text()));
          } catch (IllegalArgumentException e) {
            binding.problem(cron.location(), "schedule \"" + scalar.text() + "\": " + e.getMessage());
          }
        } else {
          binding.problem(item.location(), "\"schedule\" takes a list of {cron: \"MIN HOUR DAY MONTH WEEKDAY\"}, not "
              + item.describe());
        }
      }
    }
    boolean manual = false;
    Entry manualEntry = on.entries().get("manual");
    if (manualEntry != null) {
      if (manualEntry.value() instanceof ScalarNode scalar && (scalar.isNull() || "true".equals(scalar.text()))) {
        manual = true;
      } else if (!(manualEntry.value() instanceof ScalarNode scalar && "false".equals(scalar.text()))) {
        binding.problem(manualEntry.value().location(), "\"manual\" must be true or false, not " + manualEntry.value().describe());
      }
    }
    return new Triggers(push, schedules, manual);
  }
}
