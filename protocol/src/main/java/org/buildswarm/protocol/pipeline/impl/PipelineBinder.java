package org.buildswarm.protocol.pipeline.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ArtifactNames;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.pipeline.Concurrency;
import org.buildswarm.protocol.pipeline.DeployDefinition;
import org.buildswarm.protocol.pipeline.Environment;
import org.buildswarm.protocol.pipeline.JobCache;
import org.buildswarm.protocol.pipeline.JobDefinition;
import org.buildswarm.protocol.pipeline.Matrix;
import org.buildswarm.protocol.pipeline.Need;
import org.buildswarm.protocol.pipeline.Pipeline;
import org.buildswarm.protocol.pipeline.PipelineLimits;
import org.buildswarm.protocol.pipeline.PipelineProblem;
import org.buildswarm.protocol.pipeline.RetryPolicy;
import org.buildswarm.protocol.pipeline.SourceLocation;
import org.buildswarm.protocol.pipeline.StepDefinition;
import org.buildswarm.protocol.pipeline.Triggers;
import org.buildswarm.protocol.trigger.CronSchedule;
import org.buildswarm.protocol.trigger.Glob;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ListNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;

/**
 * Turns a YAML tree into a {@link Pipeline}, collecting every problem with its position instead of
 * stopping at the first, so one round trip shows the author all of them.
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

  // Package-private, like the key sets above: the pipeline's JSON Schema is tested against them.
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,99}");
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  /** {@code ${{ anything }}}: the only expressions allowed are {@code matrix.<axis>}. */
  public static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*(.*?)\\s*}}");
  /** The needs of jobs that had other problems (so were not bound), still checked against the job names. */
  private final Map<String, List<Need>> needsOfUnboundJobs = new java.util.LinkedHashMap<>();
  private static final Pattern MATRIX_REFERENCE = Pattern.compile("matrix\\.([A-Za-z0-9_-]+)");

  private final String file;
  private final PipelineLimits limits;
  private final List<PipelineProblem> problems = new ArrayList<>();
  private final boolean jobSet;
  static final Set<String> JOB_SET_KEYS = Set.of("jobs");
  static final Set<String> JOB_SET_JOB_KEYS = Set.of("steps", "needs", "cores", "labels", "env", "timeout", "retries",
      "matrix", "artifacts", "secrets", "caches", "jobset", "reports");
  private List<Environment> environments = Environment.DEFAULTS;

  public PipelineBinder(String file, PipelineLimits limits) {
    this(file, limits, false);
  }

  /** @param jobSet binds a job set a job emitted: only {@code jobs:}, and no deploy jobs */
  public PipelineBinder(String file, PipelineLimits limits, boolean jobSet) {
    this.file = file;
    this.limits = limits;
    this.jobSet = jobSet;
  }

  /** @return the pipeline, or null when {@link #problems()} is not empty */
  public Pipeline bind(YamlNode root) {
    if (!(root instanceof MapNode top)) {
      problem(root.location(), "a pipeline file must be a mapping with a \"jobs:\" key, not " + root.describe());
      return null;
    }
    checkKeys(top, jobSet ? JOB_SET_KEYS : PIPELINE_KEYS, jobSet ? "a job set" : "pipeline");
    String name = optionalText(top, "name", "pipeline name");
    if (name != null) {
      checkName(top.entries().get("name").value().location(), "pipeline name", name);
    }
    Triggers on = bindTriggers(top.entries().get("on"));
    environments = bindEnvironments(top.entries().get("environments"));
    Concurrency concurrency = bindConcurrency(top.entries().get("concurrency"));
    Entry jobsEntry = top.entries().get("jobs");
    List<JobDefinition> jobs = new ArrayList<>();
    if (jobsEntry == null) {
      problem(top.location(), "a pipeline needs a \"jobs:\" mapping");
    } else if (!(jobsEntry.value() instanceof MapNode jobMap) || jobMap.entries().isEmpty()) {
      problem(jobsEntry.value().location(), "\"jobs\" must be a mapping of job names to jobs, not "
          + jobsEntry.value().describe());
    } else {
      long expanded = 0;
      for (Entry jobEntry : jobMap.entries().values()) {
        JobDefinition job = bindJob(jobEntry);
        if (job != null) {
          jobs.add(job);
          expanded += job.matrix() == null ? 1 : job.matrix().size();
        }
      }
      if (expanded > limits.maxJobs()) {
        problem(jobsEntry.keyLocation(), "the pipeline expands to " + expanded + " jobs; the limit is " + limits.maxJobs());
      }
      checkNeeds(jobs, jobMap);
    }
    return problems.isEmpty() ? new Pipeline(file, name, jobs, on, environments, concurrency) : null;
  }

  /** {@code environments:} a mapping of names to {@code {branches, protected}}, in priority order. */
  private List<Environment> bindEnvironments(Entry entry) {
    if (entry == null) {
      return Environment.DEFAULTS;
    }
    List<Environment> bound = new ArrayList<>();
    if (!(entry.value() instanceof MapNode map) || map.entries().isEmpty()) {
      problem(entry.value().location(), "\"environments\" must be a mapping of environment names to "
          + "{branches, protected}, not " + entry.value().describe());
      return bound;
    }
    for (Entry environment : map.entries().values()) {
      String where = "environment \"" + NameCharacters.escaped(environment.key()) + "\"";
      if (!NAME.matcher(environment.key()).matches()) {
        problem(environment.keyLocation(), "environment name \"" + NameCharacters.escaped(environment.key())
            + "\" must start with a letter or "
            + "digit and hold only letters, digits, '_', '.' and '-'");
        continue;
      }
      if (!(environment.value() instanceof MapNode fields)) {
        problem(environment.value().location(), where + " must be a mapping with \"branches:\", not "
            + environment.value().describe());
        continue;
      }
      checkKeys(fields, ENVIRONMENT_KEYS, where);
      List<Glob> branches = globs(fields, "branches");
      if (branches.isEmpty() && fields.entries().get("branches") == null) {
        problem(environment.keyLocation(), where + " needs \"branches:\", the branches that deploy to it");
      }
      boolean isProtected = bindFlag(fields, "protected", where);
      bound.add(new Environment(environment.key(), branches, isProtected));
    }
    return bound;
  }

  /** {@code concurrency:} a group name, or {@code {group, cancel-in-progress}}. */
  private Concurrency bindConcurrency(Entry entry) {
    if (entry == null) {
      return null;
    }
    if (entry.value() instanceof ScalarNode scalar && !scalar.isNull() && !scalar.text().isBlank()) {
      checkName(scalar.location(), "the concurrency group", scalar.text());
      checkGroupExpressions(scalar);
      return new Concurrency(scalar.text(), false);
    }
    if (!(entry.value() instanceof MapNode map)) {
      problem(entry.value().location(), "\"concurrency\" must be a group name or {group, cancel-in-progress}, not "
          + entry.value().describe());
      return null;
    }
    checkKeys(map, CONCURRENCY_KEYS, "\"concurrency\"");
    String group = optionalText(map, "group", "the concurrency group");
    if (group == null || group.isBlank()) {
      if (map.entries().get("group") == null) {
        problem(entry.keyLocation(), "\"concurrency\" needs a \"group:\" name");
      }
      return null;
    }
    checkName(map.entries().get("group").value().location(), "the concurrency group", group);
    checkGroupExpressions((ScalarNode) map.entries().get("group").value());
    return new Concurrency(group, bindFlag(map, "cancel-in-progress", "\"concurrency\""));
  }

  private void checkGroupExpressions(ScalarNode group) {
    Matcher expression = EXPRESSION.matcher(group.text());
    while (expression.find()) {
      if (!expression.group(1).equals("branch")) {
        problem(group.location(), "the concurrency group may use only ${{ branch }}, not " + expression.group());
      }
    }
  }

  private boolean bindFlag(MapNode map, String key, String where) {
    Entry entry = map.entries().get(key);
    if (entry == null) {
      return false;
    }
    if (entry.value() instanceof ScalarNode scalar && ("true".equals(scalar.text()) || "false".equals(scalar.text()))) {
      return "true".equals(scalar.text());
    }
    problem(entry.value().location(), where + ": \"" + key + "\" must be true or false, not " + entry.value().describe());
    return false;
  }

  /**
   * {@code deploy:} true (the environment of the run's branch), an environment name, or
   * {@code {environment, idempotent}}; {@code rollback:} steps that undo it.
   */
  private DeployDefinition bindDeploy(MapNode job, String where, Matrix matrix) {
    Entry entry = job.entries().get("deploy");
    Entry rollbackEntry = job.entries().get("rollback");
    if (entry == null) {
      if (rollbackEntry != null) {
        problem(rollbackEntry.keyLocation(), where + " has \"rollback:\" but no \"deploy:\"; only deploy jobs roll back");
      }
      return null;
    }
    String environment = null;
    boolean idempotent = false;
    if (entry.value() instanceof ScalarNode scalar && "false".equals(scalar.text())) {
      if (rollbackEntry != null) {
        problem(rollbackEntry.keyLocation(), where + " has \"rollback:\" but \"deploy: false\"; only deploy jobs roll back");
      }
      return null;
    } else if (entry.value() instanceof ScalarNode scalar && (scalar.isNull() || "true".equals(scalar.text()))) {
      environment = null;
    } else if (entry.value() instanceof ScalarNode scalar) {
      environment = scalar.text();
      checkEnvironment(environment, scalar.location(), where);
    } else if (entry.value() instanceof MapNode map) {
      checkKeys(map, DEPLOY_KEYS, where + " \"deploy\"");
      environment = optionalText(map, "environment", where + " deploy environment");
      if (environment != null) {
        checkEnvironment(environment, map.entries().get("environment").value().location(), where);
      }
      idempotent = bindFlag(map, "idempotent", where + " \"deploy\"");
    } else {
      problem(entry.value().location(), where + ": \"deploy\" must be true, an environment name or "
          + "{environment, idempotent}, not " + entry.value().describe());
    }
    if (matrix != null) {
      problem(entry.keyLocation(), where + ": a deploy job cannot have a matrix (deploy steps run one after another)");
    }
    if (job.entries().get("jobset") != null) {
      problem(job.entries().get("jobset").keyLocation(), where + ": a deploy job cannot emit a job set");
    }
    List<StepDefinition> rollback = List.of();
    if (rollbackEntry != null) {
      rollback = bindSteps(job, "rollback", where + " rollback", rollbackEntry.keyLocation());
    }
    return new DeployDefinition(environment, idempotent, rollback);
  }

  private void checkEnvironment(String environment, SourceLocation at, String where) {
    if (environments.stream().noneMatch(e -> e.name().equals(environment))) {
      Set<String> known = new java.util.TreeSet<>();
      environments.forEach(e -> known.add(e.name()));
      problem(at, where + " deploys to \"" + environment + "\", which is not an environment" + suggestion(environment, known)
          + "; environments: " + String.join(", ", known));
    }
  }

  private String bindJobSet(MapNode job, String where) {
    String path = optionalText(job, "jobset", where + " jobset");
    if (path != null && (path.isBlank() || path.startsWith("/") || path.contains("\u0000")
        || java.util.Arrays.asList(path.split("/")).contains(".."))) {
      problem(job.entries().get("jobset").value().location(), where + ": \"jobset\" must be a path inside the workspace, "
          + "not \"" + path + "\"");
      return null;
    }
    return path;
  }

  /**
   * {@code on:} — {@code push} (true, or {@code {branches, tags, paths, paths-ignore}}),
   * {@code schedule} (a list of {@code {cron: "…"}}) and {@code manual} (true or false). Listing
   * only some means only those start the pipeline.
   */
  private Triggers bindTriggers(Entry entry) {
    if (entry == null) {
      return Triggers.DEFAULT;
    }
    if (!(entry.value() instanceof MapNode on)) {
      problem(entry.value().location(), "\"on\" must be a mapping with push, schedule and/or manual, not "
          + entry.value().describe());
      return Triggers.DEFAULT;
    }
    checkKeys(on, ON_KEYS, "\"on\"");
    Triggers.Push push = null;
    Entry pushEntry = on.entries().get("push");
    if (pushEntry != null) {
      if (pushEntry.value() instanceof ScalarNode scalar && (scalar.isNull() || "true".equals(scalar.text()))) {
        push = Triggers.Push.EVERYTHING;
      } else if (pushEntry.value() instanceof ScalarNode scalar && "false".equals(scalar.text())) {
        push = null;
      } else if (pushEntry.value() instanceof MapNode filters) {
        checkKeys(filters, PUSH_KEYS, "\"on.push\"");
        push = new Triggers.Push(globs(filters, "branches"), globs(filters, "tags"), globs(filters, "paths"),
            globs(filters, "paths-ignore"));
      } else {
        problem(pushEntry.value().location(), "\"push\" must be true, false or a mapping of branches, tags, paths and "
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
          checkKeys(map, SCHEDULE_KEYS, "a schedule");
        }
        if (cron instanceof ScalarNode scalar && !scalar.isNull()) {
          try {
            schedules.add(CronSchedule.parse(scalar.text()));
          } catch (IllegalArgumentException e) {
            problem(cron.location(), "schedule \"" + scalar.text() + "\": " + e.getMessage());
          }
        } else {
          problem(item.location(), "\"schedule\" takes a list of {cron: \"MIN HOUR DAY MONTH WEEKDAY\"}, not "
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
        problem(manualEntry.value().location(), "\"manual\" must be true or false, not " + manualEntry.value().describe());
      }
    }
    return new Triggers(push, schedules, manual);
  }

  private List<Glob> globs(MapNode map, String key) {
    Entry entry = map.entries().get(key);
    List<Glob> globs = new ArrayList<>();
    if (entry == null) {
      return globs;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    for (YamlNode item : items) {
      if (item instanceof ScalarNode scalar && !scalar.isNull() && !scalar.text().isEmpty()
          && !scalar.text().equals("!")) {
        globs.add(Glob.of(scalar.text()));
      } else {
        problem(item.location(), "\"" + key + "\" takes a list of patterns, not " + item.describe());
      }
    }
    return globs;
  }

  public List<PipelineProblem> problems() {
    problems.sort(Comparator.comparingInt(PipelineProblem::line).thenComparingInt(PipelineProblem::column));
    return List.copyOf(problems);
  }

  private JobDefinition bindJob(Entry entry) {
    String name = entry.key();
    int before = problems.size();
    String shown = NameCharacters.escaped(name);
    if (NameCharacters.firstHidden(name) >= 0) {
      checkName(entry.keyLocation(), "job name", name);
    } else if (!NAME.matcher(name).matches()) {
      problem(entry.keyLocation(), "job name \"" + shown + "\" must start with a letter or digit and hold only "
          + "letters, digits, '_', '.' and '-' (at most 100)");
    }
    if (!(entry.value() instanceof MapNode job)) {
      String what = entry.value() instanceof ScalarNode s && s.isNull() ? "is empty" : "must be a mapping, not " + entry.value().describe();
      problem(entry.value() instanceof ScalarNode s && s.isNull() ? entry.keyLocation() : entry.value().location(),
          "job \"" + shown + "\" " + what + "; give it at least \"steps:\"");
      return null;
    }
    String where = "job \"" + shown + "\"";
    checkKeys(job, jobSet ? JOB_SET_JOB_KEYS : JOB_KEYS, where);
    Matrix matrix = bindMatrix(job, where);
    List<StepDefinition> steps = bindSteps(job, "steps", where, entry.keyLocation());
    List<Need> needs = bindNeeds(job, where);
    int cores = bindCores(job, where);
    List<String> labels = bindStrings(job, "labels", where, LABEL, "label");
    Map<String, String> env = bindEnv(job, where);
    Duration timeout = bindTimeout(job, where);
    RetryPolicy retries = bindRetries(job, where);
    List<ArtifactSpec> artifacts = bindArtifacts(job, where, matrix);
    List<String> secrets = bindSecrets(job, where, env);
    List<String> caches = bindCaches(job, where);
    DeployDefinition deploy = bindDeploy(job, where, matrix);
    String jobSet = bindJobSet(job, where);
    List<String> reports = bindReports(job, where);
    JobCache cache = bindJobCache(job, where, deploy);
    checkExpressions(job, matrix, where);
    if (problems.size() > before) {
      // Its other problems must not hide what its needs name: those are checked with the rest.
      needsOfUnboundJobs.put(name, needs == null ? List.of() : needs);
      return null;
    }
    return new JobDefinition(name, entry.keyLocation(), steps, needs, cores, labels, env, timeout, retries, matrix,
        artifacts, secrets, caches, deploy, jobSet, reports, cache);
  }

  /** The most patterns or names a {@code cache:} list may hold. */
  static final int MAX_CACHE_PATTERNS = 50;

  /**
   * {@code cache:} a mapping of {@code inputs} and {@code outputs} (glob patterns in the workspace,
   * never absolute, never {@code ..}) and {@code env} (variable names). Deploys are never cached:
   * reusing one would skip the deploy itself.
   */
  private JobCache bindJobCache(MapNode job, String where, DeployDefinition deploy) {
    Entry entry = job.entries().get("cache");
    if (entry == null) {
      return null;
    }
    if (!(entry.value() instanceof MapNode map)) {
      problem(entry.value().location(), where + ": \"cache\" must be a mapping of inputs, env and outputs "
          + "(e.g. {inputs: [src/**], outputs: [dist/**]}), not " + entry.value().describe());
      return null;
    }
    if (deploy != null) {
      problem(entry.keyLocation(), where + " deploys, and a deploy is never taken from a cache (it would not happen); "
          + "remove \"cache:\" or move the build into a job of its own");
      return null;
    }
    checkKeys(map, JOB_CACHE_KEYS, where + ": cache");
    List<String> inputs = cachePatterns(map, "inputs", where);
    List<String> outputs = cachePatterns(map, "outputs", where);
    List<String> env = new ArrayList<>();
    Entry envEntry = map.entries().get("env");
    if (envEntry != null) {
      List<YamlNode> items = envEntry.value() instanceof ListNode list ? list.items() : List.of(envEntry.value());
      for (YamlNode item : items) {
        if (!(item instanceof ScalarNode scalar) || scalar.isNull() || !ENV_NAME.matcher(scalar.text()).matches()) {
          problem(item.location(), where + ": cache \"env\" takes a list of environment variable names (CC, "
              + "JAVA_HOME), not " + item.describe());
        } else if (!env.contains(scalar.text())) {
          env.add(scalar.text());
        }
      }
      if (env.size() > MAX_CACHE_PATTERNS) {
        problem(envEntry.value().location(), where + ": cache \"env\" names " + env.size() + " variables; the limit is "
            + MAX_CACHE_PATTERNS);
      }
    }
    return new JobCache(inputs, env, outputs);
  }

  private List<String> cachePatterns(MapNode map, String key, String where) {
    Entry entry = map.entries().get(key);
    List<String> patterns = new ArrayList<>();
    if (entry == null) {
      return patterns;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    if (items.size() > MAX_CACHE_PATTERNS) {
      problem(entry.value().location(), where + ": cache \"" + key + "\" has " + items.size()
          + " patterns; the limit is " + MAX_CACHE_PATTERNS);
      return patterns;
    }
    for (YamlNode item : items) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull() || scalar.text().isBlank()) {
        problem(item.location(), where + ": cache \"" + key + "\" takes a list of glob patterns of workspace files "
            + "(src/**, pom.xml), not " + item.describe());
        continue;
      }
      String pattern = scalar.text().strip();
      String bare = pattern.startsWith("!") ? pattern.substring(1) : pattern;
      String pathProblem = ArtifactNames.pathProblem(bare.endsWith("/") ? bare.substring(0, bare.length() - 1) : bare);
      if (pathProblem != null) {
        problem(item.location(), where + ": cache " + key.substring(0, key.length() - 1) + " \""
            + pattern.replace("\0", "\\0") + "\" " + pathProblem);
      } else if (!patterns.contains(pattern)) {
        patterns.add(pattern);
      }
    }
    return patterns;
  }

  /** The most report patterns a job may declare. */
  static final int MAX_REPORTS = 20;

  /**
   * {@code reports:} a list of glob patterns of JUnit XML files, relative to the workspace
   * ({@code target/surefire-reports/*.xml}, {@code **}{@code /TEST-*.xml}); never absolute, never
   * {@code ..}: the drone reads only inside the workspace.
   */
  private List<String> bindReports(MapNode job, String where) {
    Entry entry = job.entries().get("reports");
    List<String> reports = new ArrayList<>();
    if (entry == null) {
      return reports;
    }
    if (!(entry.value() instanceof ListNode list)) {
      problem(entry.value().location(), where + ": \"reports\" must be a list of glob patterns of JUnit XML files "
          + "(e.g. [target/surefire-reports/*.xml]), not " + entry.value().describe());
      return reports;
    }
    if (list.items().size() > MAX_REPORTS) {
      problem(entry.value().location(), where + ": \"reports\" has " + list.items().size() + " patterns; the limit is "
          + MAX_REPORTS);
      return reports;
    }
    for (YamlNode item : list.items()) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull()) {
        problem(item.location(), where + ": a report is a glob pattern of JUnit XML files in the workspace, not "
            + item.describe());
        continue;
      }
      String pattern = scalar.text();
      String bare = pattern.startsWith("!") ? pattern.substring(1) : pattern;
      String pathProblem = ArtifactNames.pathProblem(bare);
      if (pathProblem != null) {
        problem(item.location(), where + ": report pattern \"" + pattern.replace("\0", "\\0") + "\" " + pathProblem);
      } else if (!reports.contains(pattern)) {
        reports.add(pattern);
      }
    }
    return reports;
  }

  /** The longest cache path; a cache is a directory name, not a document. */
  static final int MAX_CACHE_PATH = 200;

  /**
   * {@code caches:} directories kept between a project's jobs on a drone: {@code ~/…} inside the
   * job's home, or a path relative to the workspace. Never absolute, never {@code ..}: a job must not
   * choose where on the drone it writes.
   */
  private List<String> bindCaches(MapNode job, String where) {
    Entry entry = job.entries().get("caches");
    List<String> caches = new ArrayList<>();
    if (entry == null) {
      return caches;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    for (YamlNode item : items) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull()) {
        problem(item.location(), where + ": \"caches\" takes a list of directories (~/.m2, node_modules), not "
            + item.describe());
        continue;
      }
      String path = scalar.text().strip();
      String relative = path.startsWith("~/") ? path.substring(2) : path;
      List<String> parts = java.util.Arrays.asList(relative.split("/+"));
      if (relative.isEmpty() || path.length() > MAX_CACHE_PATH || relative.startsWith("/") || path.startsWith("~")
          && !path.startsWith("~/") || parts.contains("..") || parts.contains(".") || path.chars().anyMatch(c -> c < 32)) {
        problem(item.location(), where + ": cache \"" + path + "\" must be a directory in the job's home (~/…) or "
            + "in the workspace (a relative path without \"..\"), at most " + MAX_CACHE_PATH + " characters");
      } else {
        String normal = (path.startsWith("~/") ? "~/" : "") + String.join("/", parts).replaceAll("/$", "");
        if (!caches.contains(normal)) {
          caches.add(normal);
        }
      }
    }
    return caches;
  }

  /** {@code secrets:} names of environment variables, not also set in {@code env}. */
  private List<String> bindSecrets(MapNode job, String where, Map<String, String> env) {
    Entry entry = job.entries().get("secrets");
    List<String> secrets = new ArrayList<>();
    if (entry == null) {
      return secrets;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    for (YamlNode item : items) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull()) {
        problem(item.location(), where + ": \"secrets\" takes a list of secret names, not " + item.describe());
      } else if (!ENV_NAME.matcher(scalar.text()).matches()) {
        problem(item.location(), where + ": secret \"" + scalar.text() + "\" must be an environment variable name "
            + "(letters, digits and _, not starting with a digit)");
      } else if (env.containsKey(scalar.text())) {
        problem(item.location(), where + ": \"" + scalar.text() + "\" is both in \"env\" and in \"secrets\"");
      } else if (!secrets.contains(scalar.text())) {
        secrets.add(scalar.text());
      }
    }
    return secrets;
  }

  private List<StepDefinition> bindSteps(MapNode job, String key, String where, SourceLocation jobAt) {
    Entry entry = job.entries().get(key);
    List<StepDefinition> steps = new ArrayList<>();
    if (entry == null) {
      problem(jobAt, where + " has no \"" + key + ":\"; a job needs at least one step");
      return steps;
    }
    if (!(entry.value() instanceof ListNode list)) {
      problem(entry.value().location(), where + ": \"" + key + "\" must be a list of steps, not " + entry.value().describe());
      return steps;
    }
    if (list.items().isEmpty()) {
      problem(entry.keyLocation(), where + " has an empty \"" + key + ":\" list; a job needs at least one step");
      return steps;
    }
    int index = 0;
    for (YamlNode item : list.items()) {
      index++;
      String stepWhere = where + ", step " + index;
      if (item instanceof ScalarNode scalar && !scalar.isNull()) {
        addStep(steps, null, scalar.text(), scalar.location(), stepWhere);
      } else if (item instanceof MapNode step) {
        checkKeys(step, STEP_KEYS, stepWhere);
        String stepName = optionalText(step, "name", stepWhere + " name");
        if (stepName != null) {
          checkName(step.entries().get("name").value().location(), stepWhere + ": step name", stepName);
        }
        Entry run = step.entries().get("run");
        if (run == null) {
          problem(step.location(), stepWhere + " has no \"run:\" command");
        } else if (run.value() instanceof ScalarNode command && !command.isNull()) {
          addStep(steps, stepName, command.text(), command.location(), stepWhere);
        } else {
          problem(run.value().location(), stepWhere + ": \"run\" must be a shell command, not " + run.value().describe());
        }
      } else {
        problem(item.location(), stepWhere + " must be a shell command or a mapping with \"run:\", not " + item.describe());
      }
    }
    return steps;
  }

  private void addStep(List<StepDefinition> steps, String name, String run, SourceLocation at, String where) {
    if (run.isBlank()) {
      problem(at, where + " has an empty command");
      return;
    }
    steps.add(new StepDefinition(name, run, at));
  }

  private List<Need> bindNeeds(MapNode job, String where) {
    Entry entry = job.entries().get("needs");
    List<Need> needs = new ArrayList<>();
    if (entry == null) {
      return needs;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    Set<String> seen = new LinkedHashSet<>();
    for (YamlNode item : items) {
      if (item instanceof ScalarNode scalar && scalar.kind() != ScalarNode.Kind.NULL) {
        if (seen.add(scalar.text())) {
          needs.add(new Need(scalar.text(), scalar.location()));
        }
      } else {
        problem(item.location(), where + ": \"needs\" takes job names, not " + item.describe());
      }
    }
    return needs;
  }

  private int bindCores(MapNode job, String where) {
    Entry entry = job.entries().get("cores");
    if (entry == null) {
      return JobDefinition.DEFAULT_CORES;
    }
    YamlNode value = entry.value();
    if (!(value instanceof ScalarNode scalar) || scalar.kind() != ScalarNode.Kind.INT) {
      problem(value.location(), where + ": \"cores\" must be a whole number of cores, not " + value.describe());
      return JobDefinition.DEFAULT_CORES;
    }
    long cores;
    try {
      cores = Long.parseLong(scalar.text().replace("_", ""));
    } catch (NumberFormatException e) {
      cores = Long.MAX_VALUE;
    }
    if (cores < 1) {
      problem(value.location(), where + ": \"cores\" must be at least 1, not " + scalar.text());
    } else if (cores > MAX_CORES) {
      problem(value.location(), where + ": \"cores\" must be at most " + MAX_CORES + ", not " + scalar.text());
    }
    return (int) Math.max(1, Math.min(cores, MAX_CORES));
  }

  private List<String> bindStrings(MapNode job, String key, String where, Pattern shape, String what) {
    Entry entry = job.entries().get(key);
    List<String> values = new ArrayList<>();
    if (entry == null) {
      return values;
    }
    List<YamlNode> items = entry.value() instanceof ListNode list ? list.items() : List.of(entry.value());
    for (YamlNode item : items) {
      if (item instanceof ScalarNode scalar && !scalar.isNull()) {
        if (!shape.matcher(scalar.text()).matches() && !EXPRESSION.matcher(scalar.text()).find()) {
          problem(item.location(), where + ": " + what + " \"" + scalar.text() + "\" may hold only letters, digits and _.:=/-");
        } else if (!values.contains(scalar.text())) {
          values.add(scalar.text());
        }
      } else {
        problem(item.location(), where + ": \"" + key + "\" takes a list of " + what + "s, not " + item.describe());
      }
    }
    return values;
  }

  private Map<String, String> bindEnv(MapNode job, String where) {
    Entry entry = job.entries().get("env");
    Map<String, String> env = new LinkedHashMap<>();
    if (entry == null) {
      return env;
    }
    if (!(entry.value() instanceof MapNode map)) {
      problem(entry.value().location(), where + ": \"env\" must be a mapping of variable names to values, not "
          + entry.value().describe());
      return env;
    }
    for (Entry variable : map.entries().values()) {
      if (!ENV_NAME.matcher(variable.key()).matches()) {
        problem(variable.keyLocation(), where + ": \"" + variable.key() + "\" is not a valid environment variable name");
      } else if (variable.value() instanceof ScalarNode scalar) {
        env.put(variable.key(), scalar.isNull() ? "" : scalar.text());
      } else {
        problem(variable.value().location(), where + ": env " + variable.key() + " must be a single value, not "
            + variable.value().describe());
      }
    }
    return env;
  }

  private Duration bindTimeout(MapNode job, String where) {
    Entry entry = job.entries().get("timeout");
    if (entry == null) {
      return null;
    }
    return bindDuration(entry.value(), where + ": \"timeout\"");
  }

  private Duration bindDuration(YamlNode value, String what) {
    Duration duration = value instanceof ScalarNode scalar
        && (scalar.kind() == ScalarNode.Kind.STRING || scalar.kind() == ScalarNode.Kind.INT)
        ? Durations.parse(scalar.text()) : null;
    if (duration == null) {
      problem(value.location(), what + " must be a duration like 90s, 10m or 1h30m, not " + value.describe());
      return null;
    }
    if (duration.isZero() || duration.compareTo(MAX_TIMEOUT) > 0) {
      problem(value.location(), what + " must be more than 0 and at most 7 days");
      return null;
    }
    return duration;
  }

  private RetryPolicy bindRetries(MapNode job, String where) {
    Entry entry = job.entries().get("retries");
    if (entry == null) {
      return RetryPolicy.NONE;
    }
    YamlNode value = entry.value();
    YamlNode countNode = value;
    Duration backoff = RetryPolicy.DEFAULT_BACKOFF;
    if (value instanceof MapNode map) {
      checkKeys(map, RETRY_KEYS, where + " retries");
      Entry count = map.entries().get("count");
      if (count == null) {
        problem(map.location(), where + ": \"retries\" needs a \"count\"");
        return RetryPolicy.NONE;
      }
      countNode = count.value();
      Entry backoffEntry = map.entries().get("backoff");
      if (backoffEntry != null) {
        Duration parsed = bindDuration(backoffEntry.value(), where + ": retry \"backoff\"");
        backoff = parsed == null ? backoff : parsed;
      }
    }
    if (!(countNode instanceof ScalarNode scalar) || scalar.kind() != ScalarNode.Kind.INT) {
      problem(countNode.location(), where + ": retry count must be a whole number from 0 to " + MAX_RETRIES
          + ", not " + countNode.describe());
      return RetryPolicy.NONE;
    }
    int count;
    try {
      count = Integer.parseInt(scalar.text());
    } catch (NumberFormatException e) {
      count = -1;
    }
    if (count < 0 || count > MAX_RETRIES) {
      problem(countNode.location(), where + ": retry count must be from 0 to " + MAX_RETRIES + ", not " + scalar.text());
      return RetryPolicy.NONE;
    }
    return new RetryPolicy(count, backoff);
  }

  /**
   * {@code artifacts:} a list of workspace paths, or of {@code {path, name}}. Names are checked
   * after matrix expansion too; a matrix job must vary each name so its variants do not collide.
   */
  private List<ArtifactSpec> bindArtifacts(MapNode job, String where, Matrix matrix) {
    Entry entry = job.entries().get("artifacts");
    List<ArtifactSpec> artifacts = new ArrayList<>();
    if (entry == null) {
      return artifacts;
    }
    if (!(entry.value() instanceof ListNode list)) {
      problem(entry.value().location(), where + ": \"artifacts\" must be a list of paths or {path, name}, not "
          + entry.value().describe());
      return artifacts;
    }
    Set<String> names = new LinkedHashSet<>();
    for (YamlNode item : list.items()) {
      ScalarNode path;
      ScalarNode name = null;
      if (item instanceof ScalarNode scalar && !scalar.isNull()) {
        path = scalar;
      } else if (item instanceof MapNode map) {
        checkKeys(map, ARTIFACT_KEYS, where + " artifact");
        Entry pathEntry = map.entries().get("path");
        Entry nameEntry = map.entries().get("name");
        if (pathEntry == null || !(pathEntry.value() instanceof ScalarNode p) || p.isNull()) {
          problem(pathEntry == null ? map.location() : pathEntry.value().location(), where + ": an artifact needs a \"path\"");
          continue;
        }
        path = p;
        if (nameEntry != null) {
          if (!(nameEntry.value() instanceof ScalarNode n) || n.isNull()) {
            problem(nameEntry.value().location(), where + ": artifact \"name\" must be text, not " + nameEntry.value().describe());
            continue;
          }
          name = n;
        }
      } else {
        problem(item.location(), where + ": an artifact is a path or {path, name}, not " + item.describe());
        continue;
      }
      String pathProblem = ArtifactNames.pathProblem(path.text());
      if (pathProblem != null) {
        problem(path.location(), where + ": artifact path \"" + path.text().replace("\0", "\\0") + "\" " + pathProblem);
        continue;
      }
      String artifactName = name == null ? ArtifactNames.defaultName(path.text()) : name.text();
      SourceLocation nameAt = name == null ? path.location() : name.location();
      String plain = EXPRESSION.matcher(artifactName).replaceAll("x");
      if (!ArtifactNames.isSegment(plain)) {
        problem(nameAt, where + ": artifact name \"" + artifactName + "\" must start with a letter or digit and hold only "
            + "letters, digits, '.', '_', '+' and '-' (at most 128)");
        continue;
      }
      if (matrix != null && !EXPRESSION.matcher(artifactName).find()) {
        problem(nameAt, where + ": artifact name \"" + artifactName + "\" is the same for every matrix variant; put a "
            + "${{ matrix.<axis> }} in its name");
        continue;
      }
      if (!names.add(artifactName)) {
        problem(nameAt, where + ": two artifacts are named \"" + artifactName + "\"");
        continue;
      }
      artifacts.add(new ArtifactSpec(artifactName, path.text()));
    }
    return artifacts;
  }

  private Matrix bindMatrix(MapNode job, String where) {
    Entry entry = job.entries().get("matrix");
    if (entry == null) {
      return null;
    }
    if (!(entry.value() instanceof MapNode map) || map.entries().isEmpty()) {
      problem(entry.value().location(), where + ": \"matrix\" must map axis names to lists of values, not "
          + entry.value().describe());
      return null;
    }
    Map<String, List<String>> axes = new LinkedHashMap<>();
    boolean valid = true;
    for (Entry axis : map.entries().values()) {
      if (!NAME.matcher(axis.key()).matches()) {
        problem(axis.keyLocation(), where + ": matrix axis \"" + NameCharacters.escaped(axis.key())
            + "\" may hold only letters, digits, '_', '.' and '-'");
        valid = false;
        continue;
      }
      List<YamlNode> items = axis.value() instanceof ListNode list ? list.items() : List.of(axis.value());
      List<String> values = new ArrayList<>();
      for (YamlNode item : items) {
        if (item instanceof ScalarNode scalar && !scalar.isNull()) {
          // A value is part of its job's name: "test (17, linux)".
          if (!checkName(scalar.location(), where + ": matrix value", scalar.text())) {
            valid = false;
          } else if (!values.contains(scalar.text())) {
            values.add(scalar.text());
          }
        } else {
          problem(item.location(), where + ": matrix axis \"" + axis.key() + "\" takes single values, not " + item.describe());
          valid = false;
        }
      }
      if (values.isEmpty() && valid) {
        problem(axis.value().location(), where + ": matrix axis \"" + axis.key() + "\" has no values");
        valid = false;
      }
      axes.put(axis.key(), values);
    }
    if (!valid) {
      return null;
    }
    Matrix matrix = new Matrix(axes, entry.keyLocation());
    long size;
    try {
      size = matrix.size();
    } catch (ArithmeticException e) {
      size = Long.MAX_VALUE;
    }
    if (size > limits.maxMatrixJobs()) {
      problem(entry.keyLocation(), where + ": the matrix expands to " + (size == Long.MAX_VALUE ? "too many" : size)
          + " jobs; the limit is " + limits.maxMatrixJobs());
      return null;
    }
    return matrix;
  }

  /** Every {@code ${{ … }}} must be {@code matrix.<axis>} of an axis this job has. */
  private void checkExpressions(MapNode job, Matrix matrix, String where) {
    List<ScalarNode> scalars = new ArrayList<>();
    collectScalars(job.entries().get("steps"), scalars);
    collectScalars(job.entries().get("rollback"), scalars);
    collectScalars(job.entries().get("env"), scalars);
    collectScalars(job.entries().get("labels"), scalars);
    collectScalars(job.entries().get("artifacts"), scalars);
    collectScalars(job.entries().get("reports"), scalars);
    for (ScalarNode scalar : scalars) {
      String unclosed = EXPRESSION.matcher(scalar.text()).replaceAll("");
      int opening = unclosed.indexOf("${{");
      if (opening >= 0) {
        String rest = unclosed.substring(opening);
        problem(scalar.location(), where + ": \"" + (rest.length() > 40 ? rest.substring(0, 40) + "…" : rest)
            + "\" opens an expression that is never closed with \"}}\"");
      }
      Matcher expression = EXPRESSION.matcher(scalar.text());
      while (expression.find()) {
        Matcher reference = MATRIX_REFERENCE.matcher(expression.group(1));
        if (!reference.matches()) {
          problem(scalar.location(), where + ": unknown expression ${{ " + expression.group(1)
              + " }}; only ${{ matrix.<axis> }} is supported");
        } else if (matrix == null || !matrix.axes().containsKey(reference.group(1))) {
          problem(scalar.location(), where + ": ${{ matrix." + reference.group(1) + " }} names no axis of this job's matrix");
        }
      }
    }
  }

  private static void collectScalars(Entry entry, List<ScalarNode> into) {
    if (entry != null) {
      collectScalars(entry.value(), into);
    }
  }

  private static void collectScalars(YamlNode node, List<ScalarNode> into) {
    if (node instanceof ScalarNode scalar) {
      into.add(scalar);
    } else if (node instanceof ListNode list) {
      list.items().forEach(item -> collectScalars(item, into));
    } else if (node instanceof MapNode map) {
      map.entries().values().forEach(entry -> collectScalars(entry.value(), into));
    }
  }

  private void checkNeeds(List<JobDefinition> jobs, MapNode jobMap) {
    Map<String, JobDefinition> byName = new HashMap<>();
    jobs.forEach(job -> byName.put(job.name(), job));
    Map<String, List<Need>> needsByJob = new java.util.LinkedHashMap<>();
    jobs.forEach(job -> needsByJob.put(job.name(), job.needs()));
    needsByJob.putAll(needsOfUnboundJobs);
    for (Map.Entry<String, List<Need>> job : needsByJob.entrySet()) {
      for (Need need : job.getValue()) {
        if (!jobMap.entries().containsKey(need.job())) {
          problem(need.location(), "job \"" + NameCharacters.escaped(job.getKey()) + "\" needs \""
              + NameCharacters.escaped(need.job()) + "\", which is not a job in this pipeline"
              + suggestion(need.job(), jobMap.entries().keySet()));
        }
      }
    }
    new CycleFinder(byName).findInto(this);
    for (JobDefinition job : jobs) {
      if (job.cache() == null) {
        continue;
      }
      for (Need need : job.needs()) {
        JobDefinition needed = byName.get(need.job());
        if (needed != null && needed.cache() == null) {
          problem(need.location(), "job \"" + NameCharacters.escaped(job.name()) + "\" has \"cache:\" but needs \""
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

    void findInto(PipelineBinder binder) {
      for (String name : jobs.keySet().stream().sorted().toList()) {
        visit(name, binder);
      }
    }

    private void visit(String name, PipelineBinder binder) {
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

  private void checkKeys(MapNode map, Set<String> allowed, String where) {
    for (Entry entry : map.entries().values()) {
      if (!allowed.contains(entry.key())) {
        problem(entry.keyLocation(), "unknown field \"" + NameCharacters.escaped(entry.key()) + "\" in " + where
            + suggestion(entry.key(), allowed) + "; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  /** Reports a name holding control, bidi or zero-width characters; true when it holds none. */
  private boolean checkName(SourceLocation at, String what, String name) {
    String problem = NameCharacters.problem(what, name);
    if (problem != null) {
      problem(at, problem);
    }
    return problem == null;
  }

  private String optionalText(MapNode map, String key, String what) {
    Entry entry = map.entries().get(key);
    if (entry == null) {
      return null;
    }
    if (entry.value() instanceof ScalarNode scalar && !scalar.isNull()) {
      return scalar.text();
    }
    problem(entry.value().location(), what + " must be text, not " + entry.value().describe());
    return null;
  }

  void problem(SourceLocation at, String message) {
    problems.add(PipelineProblem.at(file, at, message));
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
