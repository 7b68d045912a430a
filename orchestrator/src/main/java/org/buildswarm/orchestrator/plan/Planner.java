package org.buildswarm.orchestrator.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.message.Step;
import org.buildswarm.protocol.pipeline.Concurrency;
import org.buildswarm.protocol.pipeline.Environment;
import org.buildswarm.protocol.pipeline.JobDefinition;
import org.buildswarm.protocol.pipeline.Need;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.StepDefinition;
import org.buildswarm.protocol.pipeline.impl.PipelineBinder;

/**
 * Plans a validated pipeline into concrete jobs: expands matrices, resolves {@code needs} to job
 * indexes (needing a matrix job means needing every variant), applies defaults and ranks every
 * job by the critical path that starts at it. Pure: no I/O, no clock.
 */
public final class Planner {
  private final PlannerOptions options;
  private final ToLongFunction<String> estimates;

  /** Plans with the default estimate for every job. */
  public Planner(PlannerOptions options) {
    this(options, group -> options.defaultEstimate().toMillis());
  }

  /**
   * @param estimates expected duration in ms of a job group (e.g. from history); a value of 0 or
   *     less falls back to the default estimate
   */
  public Planner(PlannerOptions options, ToLongFunction<String> estimates) {
    this.options = options;
    this.estimates = estimates;
  }

  /** Plans a run with no known branch: its deploy jobs are skipped. */
  public RunPlan plan(Pipeline pipeline) {
    return plan(pipeline, null);
  }

  /**
   * @param branch the run's branch, which picks the environment its deploy jobs deploy to; null
   *     when unknown (then nothing deploys)
   */
  public RunPlan plan(Pipeline pipeline, String branch) {
    Map<String, List<Integer>> indexesByGroup = new HashMap<>();
    List<Variant> variants = new ArrayList<>();
    for (JobDefinition job : pipeline.jobs()) {
      List<Map<String, String>> combinations = job.matrix() == null ? List.of(Map.of()) : job.matrix().combinations();
      for (Map<String, String> values : combinations) {
        indexesByGroup.computeIfAbsent(job.name(), g -> new ArrayList<>()).add(variants.size());
        variants.add(new Variant(job, values));
      }
    }
    List<PlannedJob> jobs = new ArrayList<>(variants.size());
    long[] estimate = new long[variants.size()];
    List<List<Integer>> needs = new ArrayList<>(variants.size());
    for (int i = 0; i < variants.size(); i++) {
      Variant variant = variants.get(i);
      Set<Integer> resolved = new LinkedHashSet<>();
      for (Need need : variant.job().needs()) {
        resolved.addAll(indexesByGroup.getOrDefault(need.job(), List.of()));
      }
      needs.add(List.copyOf(resolved));
      long known = estimates.applyAsLong(variant.job().name());
      estimate[i] = known > 0 ? known : options.defaultEstimate().toMillis();
    }
    long[] criticalPath = criticalPaths(needs, estimate);
    Environment runEnvironment = Environment.forBranch(pipeline.environments(), branch);
    int rollbackIndex = variants.size();
    for (int i = 0; i < variants.size(); i++) {
      JobDefinition job = variants.get(i).job();
      PlannedDeploy deploy = null;
      if (job.deploy() != null) {
        boolean rollsBack = !job.deploy().rollback().isEmpty();
        deploy = deployment(job, pipeline, branch, runEnvironment, rollsBack ? rollbackIndex++ : -1);
      }
      jobs.add(concrete(i, variants.get(i), needs.get(i), estimate[i], criticalPath[i], deploy));
    }
    // Each rollback is a job of its own, waiting until the saga needs it (or skipped when it does not).
    for (PlannedJob step : List.copyOf(jobs)) {
      if (step.isDeployStep() && step.deploy().partner() >= 0) {
        JobDefinition job = variants.get(step.index()).job();
        PlannedDeploy undoes = new PlannedDeploy(step.deploy().environment(), step.deploy().protectedEnvironment(),
            true, PlannedDeploy.Role.ROLLBACK, step.index(), step.deploy().skipReason());
        List<Step> steps = new ArrayList<>();
        int number = 0;
        for (StepDefinition rollback : job.deploy().rollback()) {
          number++;
          steps.add(new Step(rollback.name() != null ? rollback.name() : defaultStepName(number, rollback.run()),
              rollback.run()));
        }
        jobs.add(new PlannedJob(step.deploy().partner(), "rollback " + step.name(), step.group(), step.cores(),
            step.labels(), step.env(), steps, step.timeoutMs(), 0, 0, List.of(), step.estimateMs(), step.estimateMs(),
            List.of(), step.secrets(), step.caches(), undoes, null));
      }
    }
    Concurrency concurrency = pipeline.concurrency();
    String group = concurrency == null ? null
        : concurrency.group().replaceAll("\\$\\{\\{\\s*branch\\s*}}", Matcher.quoteReplacement(branch == null ? "" : branch));
    return new RunPlan(pipeline.name() == null ? "pipeline" : pipeline.name(), jobs, group,
        concurrency != null && concurrency.cancelInProgress());
  }

  private static PlannedDeploy deployment(JobDefinition job, Pipeline pipeline, String branch, Environment runEnvironment,
      int rollbackIndex) {
    String target = job.deploy().environment() != null ? job.deploy().environment()
        : runEnvironment != null ? runEnvironment.name() : null;
    Environment environment = target == null ? null
        : pipeline.environments().stream().filter(e -> e.name().equals(target)).findFirst().orElse(null);
    String skipReason = null;
    if (branch == null) {
      skipReason = "the run has no branch, so it deploys nowhere";
    } else if (runEnvironment == null) {
      skipReason = "branch " + branch + " deploys to no environment";
    } else if (!runEnvironment.name().equals(target)) {
      skipReason = "branch " + branch + " deploys to " + runEnvironment.name() + ", not to " + target;
    }
    return new PlannedDeploy(target == null ? "" : target, environment != null && environment.protectedEnvironment(),
        job.deploy().idempotent(), PlannedDeploy.Role.DEPLOY, rollbackIndex, skipReason);
  }

  private PlannedJob concrete(int index, Variant variant, List<Integer> needs, long estimate, long criticalPath,
      PlannedDeploy deploy) {
    JobDefinition job = variant.job();
    Map<String, String> values = variant.matrixValues();
    String name = values.isEmpty() ? job.name() : job.name() + " (" + String.join(", ", values.values()) + ")";
    Map<String, String> env = new LinkedHashMap<>();
    values.forEach((axis, value) -> env.put("MATRIX_" + axis.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_"), value));
    job.env().forEach((key, value) -> env.put(key, substitute(value, values)));
    List<Step> steps = new ArrayList<>();
    int number = 0;
    for (StepDefinition step : job.steps()) {
      number++;
      String run = substitute(step.run(), values);
      String stepName = step.name() != null ? substitute(step.name(), values) : defaultStepName(number, run);
      steps.add(new Step(stepName, run));
    }
    Set<String> labels = new LinkedHashSet<>();
    job.labels().forEach(label -> labels.add(substitute(label, values)));
    long timeout = (job.timeout() == null ? options.defaultTimeout() : job.timeout()).toMillis();
    List<ArtifactSpec> artifacts = new ArrayList<>();
    job.artifacts().forEach(artifact -> artifacts.add(
        new ArtifactSpec(substitute(artifact.name(), values), substitute(artifact.path(), values))));
    List<String> reports = job.reports().stream().map(pattern -> substitute(pattern, values)).toList();
    PlannedCache cache = job.cache() == null ? null : new PlannedCache(
        definitionKey(job, env, steps, labels, artifacts, reports),
        job.cache().inputs().stream().map(pattern -> substitute(pattern, values)).toList(), job.cache().env(),
        cacheOutputs(job, values, artifacts), true);
    return new PlannedJob(index, name, job.name(), job.cores(), labels, env, steps, timeout,
        job.retries().count(), job.retries().backoff().toMillis(), needs, estimate, criticalPath, artifacts,
        job.secrets(), job.caches(), deploy, job.jobSet(), reports, cache);
  }

  /**
   * What a cached result keeps: the declared outputs, the files it publishes as artifacts and the
   * job set file it emits (a hit publishes and emits them again without the source at hand).
   */
  private static List<String> cacheOutputs(JobDefinition job, Map<String, String> values, List<ArtifactSpec> artifacts) {
    List<String> outputs = new ArrayList<>();
    job.cache().outputs().forEach(pattern -> outputs.add(substitute(pattern, values)));
    List<String> kept = new ArrayList<>();
    artifacts.forEach(artifact -> kept.add(artifact.path()));
    if (job.jobSet() != null) {
      kept.add(job.jobSet());
    }
    for (String path : kept) {
      // A literal path: a glob character in a file's name must match only that name.
      String pattern = path.replaceAll("[*?]", "?");
      if (!outputs.contains(pattern)) {
        outputs.add(pattern);
      }
    }
    return outputs;
  }

  /**
   * The hash of everything the pipeline says a job does, in a fixed order with lengths before
   * texts, so no two different definitions can run together into the same bytes.
   */
  static String definitionKey(JobDefinition job, Map<String, String> env, List<Step> steps, Set<String> labels,
      List<ArtifactSpec> artifacts, List<String> reports) {
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<String> parts = new ArrayList<>();
    parts.add("buildswarm job cache 1");
    parts.add("cores=" + job.cores());
    steps.forEach(step -> parts.add("step=" + step.run()));
    new java.util.TreeMap<>(env).forEach((key, value) -> parts.add("env=" + key + "=" + value));
    new java.util.TreeSet<>(labels).forEach(label -> parts.add("label=" + label));
    artifacts.forEach(artifact -> parts.add("artifact=" + artifact.name() + "=" + artifact.path()));
    reports.forEach(report -> parts.add("report=" + report));
    parts.add("jobset=" + (job.jobSet() == null ? "" : job.jobSet()));
    job.secrets().forEach(secret -> parts.add("secret=" + secret));
    job.cache().inputs().forEach(input -> parts.add("input=" + input));
    job.cache().env().forEach(name -> parts.add("inputenv=" + name));
    job.cache().outputs().forEach(output -> parts.add("output=" + output));
    for (String part : parts) {
      byte[] bytes = part.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      digest.update(Integer.toString(bytes.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      digest.update((byte) ':');
      digest.update(bytes);
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }

  /** The first line of the command, shortened: what a person would call the step. */
  static String defaultStepName(int number, String run) {
    String firstLine = run.strip().lines().findFirst().orElse("").strip();
    if (firstLine.length() > 60) {
      firstLine = firstLine.substring(0, 57) + "...";
    }
    return firstLine.isEmpty() ? "step " + number : firstLine;
  }

  private static String substitute(String text, Map<String, String> values) {
    if (values.isEmpty() || !text.contains("${{")) {
      return text;
    }
    Matcher matcher = PipelineBinder.EXPRESSION.matcher(text);
    StringBuilder result = new StringBuilder();
    while (matcher.find()) {
      String expression = matcher.group(1);
      String axis = expression.startsWith("matrix.") ? expression.substring("matrix.".length()) : expression;
      matcher.appendReplacement(result, Matcher.quoteReplacement(values.getOrDefault(axis, "")));
    }
    matcher.appendTail(result);
    return result.toString();
  }

  /**
   * Longest estimate-weighted path from each job to any sink (its own estimate included), by
   * reverse topological order. {@code needs} must be acyclic.
   */
  public static long[] criticalPaths(List<List<Integer>> needs, long[] estimate) {
    int count = needs.size();
    List<List<Integer>> dependents = new ArrayList<>(count);
    int[] remainingDependents = new int[count];
    for (int i = 0; i < count; i++) {
      dependents.add(new ArrayList<>());
    }
    for (int i = 0; i < count; i++) {
      for (int need : needs.get(i)) {
        dependents.get(need).add(i);
        remainingDependents[need]++;
      }
    }
    long[] path = new long[count];
    java.util.ArrayDeque<Integer> sinksFirst = new java.util.ArrayDeque<>();
    for (int i = 0; i < count; i++) {
      if (remainingDependents[i] == 0) {
        sinksFirst.add(i);
      }
    }
    while (!sinksFirst.isEmpty()) {
      int job = sinksFirst.poll();
      long longestAfter = 0;
      for (int dependent : dependents.get(job)) {
        longestAfter = Math.max(longestAfter, path[dependent]);
      }
      path[job] = estimate[job] + longestAfter;
      for (int need : needs.get(job)) {
        if (--remainingDependents[need] == 0) {
          sinksFirst.add(need);
        }
      }
    }
    return path;
  }

  private record Variant(JobDefinition job, Map<String, String> matrixValues) {}
}
