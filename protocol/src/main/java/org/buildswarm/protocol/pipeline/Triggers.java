package org.buildswarm.protocol.pipeline;

import java.util.List;
import org.buildswarm.protocol.trigger.CronSchedule;
import org.buildswarm.protocol.trigger.Glob;

/**
 * The pipeline's {@code on:}: which pushes start it, on what schedule, and whether people may
 * start it by hand. Without {@code on:} every push and manual starts run it, and no schedule.
 *
 * @param push null when pushes never start it
 * @param schedules cron schedules (UTC)
 * @param manual whether a person may start it from the UI, CLI or API
 */
public record Triggers(Push push, List<CronSchedule> schedules, boolean manual) {
  public Triggers {
    schedules = schedules == null ? List.of() : List.copyOf(schedules);
  }

  public static final Triggers DEFAULT = new Triggers(Push.EVERYTHING, List.of(), true);

  /**
   * Push filters. Empty {@code branches} and {@code tags} lists mean every branch and tag — unless
   * the other list is set, then only what it names (filtering tags alone means no branch pushes).
   */
  public record Push(List<Glob> branches, List<Glob> tags, List<Glob> paths, List<Glob> pathsIgnore) {
    public static final Push EVERYTHING = new Push(List.of(), List.of(), List.of(), List.of());

    public Push {
      branches = List.copyOf(branches);
      tags = List.copyOf(tags);
      paths = List.copyOf(paths);
      pathsIgnore = List.copyOf(pathsIgnore);
    }

    /**
     * @param ref the pushed ref, {@code refs/heads/NAME} or {@code refs/tags/NAME}
     * @param changedFiles paths changed by the push; null when unknown (a new branch), which passes path filters
     */
    public boolean matches(String ref, List<String> changedFiles) {
      boolean refMatches;
      if (ref.startsWith("refs/heads/")) {
        String branch = ref.substring("refs/heads/".length());
        refMatches = branches.isEmpty() ? tags.isEmpty() : Glob.anyMatches(branches, branch);
      } else if (ref.startsWith("refs/tags/")) {
        String tag = ref.substring("refs/tags/".length());
        refMatches = tags.isEmpty() ? branches.isEmpty() : Glob.anyMatches(tags, tag);
      } else {
        return false;
      }
      if (!refMatches || changedFiles == null) {
        return refMatches;
      }
      if (!paths.isEmpty() && changedFiles.stream().noneMatch(file -> Glob.anyMatches(paths, file))) {
        return false;
      }
      return pathsIgnore.isEmpty() || changedFiles.stream().anyMatch(file -> !Glob.anyMatches(pathsIgnore, file));
    }
  }
}
