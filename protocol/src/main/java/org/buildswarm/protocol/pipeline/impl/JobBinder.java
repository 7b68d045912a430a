package org.buildswarm.protocol.pipeline.impl;

import static org.buildswarm.protocol.pipeline.impl.PipelineBinder.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ArtifactNames;
import org.buildswarm.protocol.message.ArtifactSpec;
import org.buildswarm.protocol.pipeline.DeployDefinition;
import org.buildswarm.protocol.pipeline.Environment;
import org.buildswarm.protocol.pipeline.JobCache;
import org.buildswarm.protocol.pipeline.JobDefinition;
import org.buildswarm.protocol.pipeline.Matrix;
import org.buildswarm.protocol.pipeline.Need;
import org.buildswarm.protocol.pipeline.RetryPolicy;
import org.buildswarm.protocol.pipeline.SourceLocation;
import org.buildswarm.protocol.pipeline.StepDefinition;
import org.buildswarm.protocol.pipeline.impl.YamlNode.Entry;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ListNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.MapNode;
import org.buildswarm.protocol.pipeline.impl.YamlNode.ScalarNode;

/**
 * One job of a pipeline and each of its sections: steps, needs, cores and labels, environment and
 * secrets, timeout and retries, matrix and expressions, artifacts, caches, its cached result, test
 * reports, a job set it emits, and deploy and rollback.
 */
final class JobBinder {
  private static final Pattern MATRIX_REFERENCE = Pattern.compile("matrix\\.([A-Za-z0-9_-]+)");

  private final Binding binding;
  private final boolean jobSet;
  private final List<Environment> environments;
  /** The needs of jobs that had other problems (so were not bound), still checked against the job names. */
  private final Map<String, List<Need>> needsOfUnboundJobs = new LinkedHashMap<>();

  /**
   * @param jobSet jobs of a job set a job emitted (no deploy jobs)
   * @param environments the pipeline's environments, which deploy jobs must name
   */
  JobBinder(Binding binding, boolean jobSet, List<Environment> environments) {
    this.binding = binding;
    this.jobSet = jobSet;
    this.environments = environments;
  }

  /** What the jobs that were not bound need, by job name. */
  Map<String, List<Need>> needsOfUnboundJobs() {
    return needsOfUnboundJobs;
  }

  JobDefinition bind(Entry entry) {
    String name = entry.key();
    int before = binding.count();
    String shown = NameCharacters.escaped(name);
    if (NameCharacters.firstHidden(name) >= 0) {
      binding.checkName(entry.keyLocation(), "job name", name);
    } else if (!NAME.matcher(name).matches()) {
      binding.problem(entry.keyLocation(), "job name \"" + shown + "\" must start with a letter or digit and hold only "
          + "letters, digits, '_', '.' and '-' (at most 100)");
    }
    if (!(entry.value() instanceof MapNode job)) {
      String what = entry.value() instanceof ScalarNode s && s.isNull() ? "is empty" : "must be a mapping, not " + entry.value().describe();
      binding.problem(entry.value() instanceof ScalarNode s && s.isNull() ? entry.keyLocation() : entry.value().location(),
          "job \"" + shown + "\" " + what + "; give it at least \"steps:\"");
      return null;
    }
    String where = "job \"" + shown + "\"";
    binding.checkKeys(job, jobSet ? JOB_SET_JOB_KEYS : JOB_KEYS, where);
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
    if (binding.count() > before) {
      // Its other problems must not hide what its needs name: those are checked with the rest.
      needsOfUnboundJobs.put(name, needs == null ? List.of() : needs);
      return null;
    }
    return new JobDefinition(name, entry.keyLocation(), steps, needs, cores, labels, env, timeout, retries, matrix,
        artifacts, secrets, caches, deploy, jobSet, reports, cache);
  }

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
      binding.problem(entry.value().location(), where + ": \"cache\" must be a mapping of inputs, env and outputs "
          + "(e.g. {inputs: [src/**], outputs: [dist/**]}), not " + entry.value().describe());
      return null;
    }
    if (deploy != null) {
      binding.problem(entry.keyLocation(), where + " deploys, and a deploy is never taken from a cache (it would not happen); "
          + "remove \"cache:\" or move the build into a job of its own");
      return null;
    }
    binding.checkKeys(map, JOB_CACHE_KEYS, where + ": cache");
    List<String> inputs = cachePatterns(map, "inputs", where);
    List<String> outputs = cachePatterns(map, "outputs", where);
    List<String> env = new ArrayList<>();
    Entry envEntry = map.entries().get("env");
    if (envEntry != null) {
      List<YamlNode> items = envEntry.value() instanceof ListNode list ? list.items() : List.of(envEntry.value());
      for (YamlNode item : items) {
        if (!(item instanceof ScalarNode scalar) || scalar.isNull() || !ENV_NAME.matcher(scalar.text()).matches()) {
          binding.problem(item.location(), where + ": cache \"env\" takes a list of environment variable names (CC, "
              + "JAVA_HOME), not " + item.describe());
        } else if (!env.contains(scalar.text())) {
          env.add(scalar.text());
        }
      }
      if (env.size() > MAX_CACHE_PATTERNS) {
        binding.problem(envEntry.value().location(), where + ": cache \"env\" names " + env.size() + " variables; the limit is "
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
      binding.problem(entry.value().location(), where + ": cache \"" + key + "\" has " + items.size()
          + " patterns; the limit is " + MAX_CACHE_PATTERNS);
      return patterns;
    }
    for (YamlNode item : items) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull() || scalar.text().isBlank()) {
        binding.problem(item.location(), where + ": cache \"" + key + "\" takes a list of glob patterns of workspace files "
            + "(src/**, pom.xml), not " + item.describe());
        continue;
      }
      String pattern = scalar.text().strip();
      String bare = pattern.startsWith("!") ? pattern.substring(1) : pattern;
      String pathProblem = ArtifactNames.pathProblem(bare.endsWith("/") ? bare.substring(0, bare.length() - 1) : bare);
      if (pathProblem != null) {
        binding.problem(item.location(), where + ": cache " + key.substring(0, key.length() - 1) + " \""
            + pattern.replace("\0", "\\0") + "\" " + pathProblem);
      } else if (!patterns.contains(pattern)) {
        patterns.add(pattern);
      }
    }
    return patterns;
  }

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
      binding.problem(entry.value().location(), where + ": \"reports\" must be a list of glob patterns of JUnit XML files "
          + "(e.g. [target/surefire-reports/*.xml]), not " + entry.value().describe());
      return reports;
    }
    if (list.items().size() > MAX_REPORTS) {
      binding.problem(entry.value().location(), where + ": \"reports\" has " + list.items().size() + " patterns; the limit is "
          + MAX_REPORTS);
      return reports;
    }
    for (YamlNode item : list.items()) {
      if (!(item instanceof ScalarNode scalar) || scalar.isNull()) {
        binding.problem(item.location(), where + ": a report is a glob pattern of JUnit XML files in the workspace, not "
            + item.describe());
        continue;
      }
      String pattern = scalar.text();
      String bare = pattern.startsWith("!") ? pattern.substring(1) : pattern;
      String pathProblem = ArtifactNames.pathProblem(bare);
      if (pathProblem != null) {
        binding.problem(item.location(), where + ": report pattern \"" + pattern.replace("\0", "\\0") + "\" " + pathProblem);
      } else if (!reports.contains(pattern)) {
        reports.add(pattern);
      }
    }
    return reports;
  }

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
        binding.problem(item.location(), where + ": \"caches\" takes a list of directories (~/.m2, node_modules), not "
            + item.describe());
        continue;
      }
      String path = scalar.text().strip();
      String relative = path.startsWith("~/") ? path.substring(2) : path;
      List<String> parts = java.util.Arrays.asList(relative.split("/+"));
      if (relative.isEmpty() || path.length() > MAX_CACHE_PATH || relative.startsWith("/") || path.startsWith("~")
          && !path.startsWith("~/") || parts.contains("..") || parts.contains(".") || path.chars().anyMatch(c -> c < 32)) {
        binding.problem(item.location(), where + ": cache \"" + path + "\" must be a directory in the job's home (~/…) or "
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
        binding.problem(item.location(), where + ": \"secrets\" takes a list of secret names, not " + item.describe());
      } else if (!ENV_NAME.matcher(scalar.text()).matches()) {
        binding.problem(item.location(), where + ": secret \"" + scalar.text() + "\" must be an environment variable name "
            + "(letters, digits and _, not starting with a digit)");
      } else if (env.containsKey(scalar.text())) {
        binding.problem(item.location(), where + ": \"" + scalar.text() + "\" is both in \"env\" and in \"secrets\"");
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
      binding.problem(jobAt, where + " has no \"" + key + ":\"; a job needs at least one step");
      return steps;
    }
    if (!(entry.value() instanceof ListNode list)) {
      binding.problem(entry.value().location(), where + ": \"" + key + "\" must be a list of steps, not " + entry.value().describe());
      return steps;
    }
    if (list.items().isEmpty()) {
      binding.problem(entry.keyLocation(), where + " has an empty \"" + key + ":\" list; a job needs at least one step");
      return steps;
    }
    int index = 0;
    for (YamlNode item : list.items()) {
      index++;
      String stepWhere = where + ", step " + index;
      if (item instanceof ScalarNode scalar && !scalar.isNull()) {
        addStep(steps, null, scalar.text(), scalar.location(), stepWhere);
      } else if (item instanceof MapNode step) {
        binding.checkKeys(step, STEP_KEYS, stepWhere);
        String stepName = binding.optionalText(step, "name", stepWhere + " name");
        if (stepName != null) {
          binding.checkName(step.entries().get("name").value().location(), stepWhere + ": step name", stepName);
        }
        Entry run = step.entries().get("run");
        if (run == null) {
          binding.problem(step.location(), stepWhere + " has no \"run:\" command");
        } else if (run.value() instanceof ScalarNode command && !command.isNull()) {
          addStep(steps, stepName, command.text(), command.location(), stepWhere);
        } else {
          binding.problem(run.value().location(), stepWhere + ": \"run\" must be a shell command, not " + run.value().describe());
        }
      } else {
        binding.problem(item.location(), stepWhere + " must be a shell command or a mapping with \"run:\", not " + item.describe());
      }
    }
    return steps;
  }

  private void addStep(List<StepDefinition> steps, String name, String run, SourceLocation at, String where) {
    if (run.isBlank()) {
      binding.problem(at, where + " has an empty command");
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
        binding.problem(item.location(), where + ": \"needs\" takes job names, not " + item.describe());
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
      binding.problem(value.location(), where + ": \"cores\" must be a whole number of cores, not " + value.describe());
      return JobDefinition.DEFAULT_CORES;
    }
    long cores;
    try {
      cores = Long.parseLong(scalar.text().replace("_", ""));
    } catch (NumberFormatException e) {
      cores = Long.MAX_VALUE;
    }
    if (cores < 1) {
      binding.problem(value.location(), where + ": \"cores\" must be at least 1, not " + scalar.text());
    } else if (cores > MAX_CORES) {
      binding.problem(value.location(), where + ": \"cores\" must be at most " + MAX_CORES + ", not " + scalar.text());
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
          binding.problem(item.location(), where + ": " + what + " \"" + scalar.text() + "\" may hold only letters, digits and _.:=/-");
        } else if (!values.contains(scalar.text())) {
          values.add(scalar.text());
        }
      } else {
        binding.problem(item.location(), where + ": \"" + key + "\" takes a list of " + what + "s, not " + item.describe());
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
      binding.problem(entry.value().location(), where + ": \"env\" must be a mapping of variable names to values, not "
          + entry.value().describe());
      return env;
    }
    for (Entry variable : map.entries().values()) {
      if (!ENV_NAME.matcher(variable.key()).matches()) {
        binding.problem(variable.keyLocation(), where + ": \"" + variable.key() + "\" is not a valid environment variable name");
      } else if (variable.value() instanceof ScalarNode scalar) {
        env.put(variable.key(), scalar.isNull() ? "" : scalar.text());
      } else {
        binding.problem(variable.value().location(), where + ": env " + variable.key() + " must be a single value, not "
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
      binding.problem(value.location(), what + " must be a duration like 90s, 10m or 1h30m, not " + value.describe());
      return null;
    }
    if (duration.isZero() || duration.compareTo(MAX_TIMEOUT) > 0) {
      binding.problem(value.location(), what + " must be more than 0 and at most 7 days");
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
      binding.checkKeys(map, RETRY_KEYS, where + " retries");
      Entry count = map.entries().get("count");
      if (count == null) {
        binding.problem(map.location(), where + ": \"retries\" needs a \"count\"");
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
      binding.problem(countNode.location(), where + ": retry count must be a whole number from 0 to " + MAX_RETRIES
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
      binding.problem(countNode.location(), where + ": retry count must be from 0 to " + MAX_RETRIES + ", not " + scalar.text());
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
      binding.problem(entry.value().location(), where + ": \"artifacts\" must be a list of paths or {path, name}, not "
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
        binding.checkKeys(map, ARTIFACT_KEYS, where + " artifact");
        Entry pathEntry = map.entries().get("path");
        Entry nameEntry = map.entries().get("name");
        if (pathEntry == null || !(pathEntry.value() instanceof ScalarNode p) || p.isNull()) {
          binding.problem(pathEntry == null ? map.location() : pathEntry.value().location(), where + ": an artifact needs a \"path\"");
          continue;
        }
        path = p;
        if (nameEntry != null) {
          if (!(nameEntry.value() instanceof ScalarNode n) || n.isNull()) {
            binding.problem(nameEntry.value().location(), where + ": artifact \"name\" must be text, not " + nameEntry.value().describe());
            continue;
          }
          name = n;
        }
      } else {
        binding.problem(item.location(), where + ": an artifact is a path or {path, name}, not " + item.describe());
        continue;
      }
      String pathProblem = ArtifactNames.pathProblem(path.text());
      if (pathProblem != null) {
        binding.problem(path.location(), where + ": artifact path \"" + path.text().replace("\0", "\\0") + "\" " + pathProblem);
        continue;
      }
      String artifactName = name == null ? ArtifactNames.defaultName(path.text()) : name.text();
      SourceLocation nameAt = name == null ? path.location() : name.location();
      String plain = EXPRESSION.matcher(artifactName).replaceAll("x");
      if (!ArtifactNames.isSegment(plain)) {
        binding.problem(nameAt, where + ": artifact name \"" + artifactName + "\" must start with a letter or digit and hold only "
            + "letters, digits, '.', '_', '+' and '-' (at most 128)");
        continue;
      }
      if (matrix != null && !EXPRESSION.matcher(artifactName).find()) {
        binding.problem(nameAt, where + ": artifact name \"" + artifactName + "\" is the same for every matrix variant; put a "
            + "${{ matrix.<axis> }} in its name");
        continue;
      }
      if (!names.add(artifactName)) {
        binding.problem(nameAt, where + ": two artifacts are named \"" + artifactName + "\"");
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
      binding.problem(entry.value().location(), where + ": \"matrix\" must map axis names to lists of values, not "
          + entry.value().describe());
      return null;
    }
    Map<String, List<String>> axes = new LinkedHashMap<>();
    boolean valid = true;
    for (Entry axis : map.entries().values()) {
      if (!NAME.matcher(axis.key()).matches()) {
        binding.problem(axis.keyLocation(), where + ": matrix axis \"" + NameCharacters.escaped(axis.key())
            + "\" may hold only letters, digits, '_', '.' and '-'");
        valid = false;
        continue;
      }
      List<YamlNode> items = axis.value() instanceof ListNode list ? list.items() : List.of(axis.value());
      List<String> values = new ArrayList<>();
      for (YamlNode item : items) {
        if (item instanceof ScalarNode scalar && !scalar.isNull()) {
          // A value is part of its job's name: "test (17, linux)".
          if (!binding.checkName(scalar.location(), where + ": matrix value", scalar.text())) {
            valid = false;
          } else if (!values.contains(scalar.text())) {
            values.add(scalar.text());
          }
        } else {
          binding.problem(item.location(), where + ": matrix axis \"" + axis.key() + "\" takes single values, not " + item.describe());
          valid = false;
        }
      }
      if (values.isEmpty() && valid) {
        binding.problem(axis.value().location(), where + ": matrix axis \"" + axis.key() + "\" has no values");
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
    if (size > binding.limits().maxMatrixJobs()) {
      binding.problem(entry.keyLocation(), where + ": the matrix expands to " + (size == Long.MAX_VALUE ? "too many" : size)
          + " jobs; the limit is " + binding.limits().maxMatrixJobs());
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
        binding.problem(scalar.location(), where + ": \"" + (rest.length() > 40 ? rest.substring(0, 40) + "…" : rest)
            + "\" opens an expression that is never closed with \"}}\"");
      }
      Matcher expression = EXPRESSION.matcher(scalar.text());
      while (expression.find()) {
        Matcher reference = MATRIX_REFERENCE.matcher(expression.group(1));
        if (!reference.matches()) {
          binding.problem(scalar.location(), where + ": unknown expression ${{ " + expression.group(1)
              + " }}; only ${{ matrix.<axis> }} is supported");
        } else if (matrix == null || !matrix.axes().containsKey(reference.group(1))) {
          binding.problem(scalar.location(), where + ": ${{ matrix." + reference.group(1) + " }} names no axis of this job's matrix");
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

  /**
   * {@code deploy:} true (the environment of the run's branch), an environment name, or
   * {@code {environment, idempotent}}; {@code rollback:} steps that undo it.
   */
  private DeployDefinition bindDeploy(MapNode job, String where, Matrix matrix) {
    Entry entry = job.entries().get("deploy");
    Entry rollbackEntry = job.entries().get("rollback");
    if (entry == null) {
      if (rollbackEntry != null) {
        binding.problem(rollbackEntry.keyLocation(), where + " has \"rollback:\" but no \"deploy:\"; only deploy jobs roll back");
      }
      return null;
    }
    String environment = null;
    boolean idempotent = false;
    if (entry.value() instanceof ScalarNode scalar && "false".equals(scalar.text())) {
      if (rollbackEntry != null) {
        binding.problem(rollbackEntry.keyLocation(), where + " has \"rollback:\" but \"deploy: false\"; only deploy jobs roll back");
      }
      return null;
    } else if (entry.value() instanceof ScalarNode scalar && (scalar.isNull() || "true".equals(scalar.text()))) {
      environment = null;
    } else if (entry.value() instanceof ScalarNode scalar) {
      environment = scalar.text();
      checkEnvironment(environment, scalar.location(), where);
    } else if (entry.value() instanceof MapNode map) {
      binding.checkKeys(map, DEPLOY_KEYS, where + " \"deploy\"");
      environment = binding.optionalText(map, "environment", where + " deploy environment");
      if (environment != null) {
        checkEnvironment(environment, map.entries().get("environment").value().location(), where);
      }
      idempotent = binding.bindFlag(map, "idempotent", where + " \"deploy\"");
    } else {
      binding.problem(entry.value().location(), where + ": \"deploy\" must be true, an environment name or "
          + "{environment, idempotent}, not " + entry.value().describe());
    }
    if (matrix != null) {
      binding.problem(entry.keyLocation(), where + ": a deploy job cannot have a matrix (deploy steps run one after another)");
    }
    if (job.entries().get("jobset") != null) {
      binding.problem(job.entries().get("jobset").keyLocation(), where + ": a deploy job cannot emit a job set");
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
      binding.problem(at, where + " deploys to \"" + environment + "\", which is not an environment" + suggestion(environment, known)
          + "; environments: " + String.join(", ", known));
    }
  }

  private String bindJobSet(MapNode job, String where) {
    String path = binding.optionalText(job, "jobset", where + " jobset");
    if (path != null && (path.isBlank() || path.startsWith("/") || path.contains("\u0000")
        || java.util.Arrays.asList(path.split("/")).contains(".."))) {
      binding.problem(job.entries().get("jobset").value().location(), where + ": \"jobset\" must be a path inside the workspace, "
          + "not \"" + path + "\"");
      return null;
    }
    return path;
  }
}
