package org.buildswarm.protocol.pipeline.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.buildswarm.protocol.pipeline.Concurrency;
import org.buildswarm.protocol.pipeline.Environment;
import org.buildswarm.protocol.pipeline.JobDefinition;
import org.buildswarm.protocol.pipeline.Need;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.PipelineProblem;
import org.buildswarm.protocol.pipeline.Triggers;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;

/**
 * Turns a YAML tree into a {@link Pipeline}, collecting every problem with its position instead of
 * stopping at the first, so one round trip shows the author all of them. The sections are bound by
 * {@link TriggerBinder}, {@link EnvironmentBinder} and {@link JobBinder}; the constants here are the
 * language's keys and limits (the pipeline's JSON Schema is tested against them).
 */
public final class PipelineBinder {
  static final Set<String> PIPELINE_KEYS = Set.of("name", "jobs", "on", "environments", "concurrency");
  static final Set<String> ENVIRONMENT_KEYS = Set.of("branches", "protected");
  static final Set<String> CONCURRENCY_KEYS = Set.of("group", "cancel-in-progress");
  static final Set<String> DEPLOY_KEYS = Set.of("environment", "idempotent");
  static final Set<String> ON_KEYS = Set.of("push", "schedule", "manual");
  static final Set<String> PUSH_KEYS = Set.of("branches", "tags", "paths", "paths-ignore");
  static final Set<String> SCHEDULE_KEYS = Set.of("cron");
  static final Set<String> JOB_KEYS = Set.of("steps", "needs", "cores", "labels", "env", "timeout", "retries", "matrix",
      "artifacts", "secrets", "caches", "deploy", "rollback", "jobset", "reports", "cache");
  static final Set<String> JOB_CACHE_KEYS = Set.of("inputs", "env", "outputs");
  static final Set<String> ARTIFACT_KEYS = Set.of("path", "name");
  static final Set<String> STEP_KEYS = Set.of("name", "run");
  static final Set<String> RETRY_KEYS = Set.of("count", "backoff");

  static final int MAX_CORES = 4096;
  static final int MAX_RETRIES = 10;
  static final Duration MAX_TIMEOUT = Duration.ofDays(7);
  /** The most patterns or names a {@code cache:} list may hold. */
  static final int MAX_CACHE_PATTERNS = 50;
  /** The most report patterns a job may declare. */
  static final int MAX_REPORTS = 20;
  /** The longest cache path; a cache is a directory name, not a document. */
  static final int MAX_CACHE_PATH = 200;

  // Package-private, like the key sets above: the pipeline's JSON Schema is tested against them.
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,99}");
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  /** {@code ${{ anything }}}: the only expressions allowed are {@code matrix.<axis>}. */
  public static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*(.*?)\\s*}}");
  static final Set<String> JOB_SET_KEYS = Set.of("jobs");
  static final Set<String> JOB_SET_JOB_KEYS = Set.of("steps", "needs", "cores", "labels", "env", "timeout", "retries",
      "matrix", "artifacts", "secrets", "caches", "jobset", "reports");

  private final String file;
  private final PipelineLimits limits;
  private final boolean jobSet;
  private final Binding binding;

  public PipelineBinder(String file, PipelineLimits limits) {
    this(file, limits, false);
  }

  /** @param jobSet binds a job set a job emitted: only {@code jobs:}, and no deploy jobs */
  public PipelineBinder(String file, PipelineLimits limits, boolean jobSet) {
    this.file = file;
    this.limits = limits;
    this.jobSet = jobSet;
    this.binding = new Binding(file, limits);
  }

  /**
   * The file section by section: {@code on:} ({@link TriggerBinder}), {@code environments:} and
   * {@code concurrency:} ({@link EnvironmentBinder}), each job ({@link JobBinder}), then what only the
   * whole can tell — names that need jobs that do not exist, cycles, the jobs' count.
   *
   * @return the pipeline, or null when {@link #problems()} is not empty
   */
  public Pipeline bind(YamlNode root) {
    if (!(root instanceof MapNode top)) {
      binding.problem(root.location(), "a pipeline file must be a mapping with a \"jobs:\" key, not " + root.describe());
      return null;
    }
    binding.checkKeys(top, jobSet ? JOB_SET_KEYS : PIPELINE_KEYS, jobSet ? "a job set" : "pipeline");
    String name = binding.optionalText(top, "name", "pipeline name");
    if (name != null) {
      binding.checkName(top.entries().get("name").value().location(), "pipeline name", name);
    }
    Triggers on = new TriggerBinder(binding).bind(top.entries().get("on"));
    EnvironmentBinder deploys = new EnvironmentBinder(binding);
    List<Environment> environments = deploys.bindEnvironments(top.entries().get("environments"));
    Concurrency concurrency = deploys.bindConcurrency(top.entries().get("concurrency"));
    Entry jobsEntry = top.entries().get("jobs");
    List<JobDefinition> jobs = new ArrayList<>();
    if (jobsEntry == null) {
      binding.problem(top.location(), "a pipeline needs a \"jobs:\" mapping");
    } else if (!(jobsEntry.value() instanceof MapNode jobMap) || jobMap.entries().isEmpty()) {
      binding.problem(jobsEntry.value().location(), "\"jobs\" must be a mapping of job names to jobs, not "
          + jobsEntry.value().describe());
    } else {
      JobBinder jobBinder = new JobBinder(binding, jobSet, environments);
      long expanded = 0;
      for (Entry jobEntry : jobMap.entries().values()) {
        JobDefinition job = jobBinder.bind(jobEntry);
        if (job != null) {
          jobs.add(job);
          expanded += job.matrix() == null ? 1 : job.matrix().size();
        }
      }
      if (expanded > limits.maxJobs()) {
        binding.problem(jobsEntry.keyLocation(), "the pipeline expands to " + expanded + " jobs; the limit is "
            + limits.maxJobs());
      }
      checkNeeds(jobs, jobMap, jobBinder.needsOfUnboundJobs());
    }
    return binding.clean() ? new Pipeline(file, name, jobs, on, environments, concurrency) : null;
  }

  /** Every problem found, in the order of the file. */
  public List<PipelineProblem> problems() {
    return binding.sorted();
  }

  private void checkNeeds(List<JobDefinition> jobs, MapNode jobMap, Map<String, List<Need>> needsOfUnboundJobs) {
    Map<String, JobDefinition> byName = new HashMap<>();
    jobs.forEach(job -> byName.put(job.name(), job));
    Map<String, List<Need>> needsByJob = new java.util.LinkedHashMap<>();
    jobs.forEach(job -> needsByJob.put(job.name(), job.needs()));
    needsByJob.putAll(needsOfUnboundJobs);
    for (Map.Entry<String, List<Need>> job : needsByJob.entrySet()) {
      for (Need need : job.getValue()) {
        if (!jobMap.entries().containsKey(need.job())) {
          binding.problem(need.location(), "job \"" + NameCharacters.escaped(job.getKey()) + "\" needs \""
              + NameCharacters.escaped(need.job()) + "\", which is not a job in this pipeline"
              + suggestion(need.job(), jobMap.entries().keySet()));
        }
      }
    }
    new CycleFinder(byName).findInto(binding);
    for (JobDefinition job : jobs) {
      if (job.cache() == null) {
        continue;
      }
      for (Need need : job.needs()) {
        JobDefinition needed = byName.get(need.job());
        if (needed != null && needed.cache() == null) {
          binding.problem(need.location(), "job \"" + NameCharacters.escaped(job.name()) + "\" has \"cache:\" but needs \""
              + NameCharacters.escaped(need.job()) + "\", which has none: its result is not known by its inputs, so \""
              + NameCharacters.escaped(job.name()) + "\"'s could never be reused; give \""
              + NameCharacters.escaped(need.job()) + "\" a \"cache:\" too");
        }
      }
    }
  }

  /** Depth-first search that reports each cycle once, at the {@code needs} entry closing it. */
  private static final class CycleFinder {
    private final Map<String, JobDefinition> jobs;
    private final Map<String, Integer> state = new HashMap<>(); // 1 = on the path, 2 = done
    private final List<String> path = new ArrayList<>();

    CycleFinder(Map<String, JobDefinition> jobs) {
      this.jobs = jobs;
    }

    void findInto(Binding binder) {
      for (String name : jobs.keySet().stream().sorted().toList()) {
        visit(name, binder);
      }
    }

    private void visit(String name, Binding binder) {
      // Iterative to survive very long chains (5,000 jobs) without a deep Java stack.
      record Frame(String job, int next) {}
      if (state.containsKey(name)) {
        return;
      }
      java.util.ArrayDeque<Frame> stack = new java.util.ArrayDeque<>();
      stack.push(new Frame(name, 0));
      state.put(name, 1);
      path.add(name);
      while (!stack.isEmpty()) {
        Frame frame = stack.pop();
        JobDefinition job = jobs.get(frame.job());
        if (job != null && frame.next() < job.needs().size()) {
          stack.push(new Frame(frame.job(), frame.next() + 1));
          Need need = job.needs().get(frame.next());
          Integer seen = state.get(need.job());
          if (seen == null && jobs.containsKey(need.job())) {
            state.put(need.job(), 1);
            path.add(need.job());
            stack.push(new Frame(need.job(), 0));
          } else if (seen != null && seen == 1) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(need.job()), path.size()));
            cycle.add(need.job());
            binder.problem(need.location(), "dependency cycle: " + String.join(" -> ", cycle));
          }
        } else {
          state.put(frame.job(), 2);
          path.remove(path.size() - 1);
        }
      }
    }
  }

  /** " (did you mean "steps"?)" when a known name is within two edits. */
  public static String suggestion(String typed, Set<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : known.stream().sorted().toList()) {
      int distance = editDistance(typed.toLowerCase(java.util.Locale.ROOT), candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best == null ? "" : " (did you mean \"" + best + "\"?)";
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
