package org.buildswarm.drone.impl;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobCacheResult;
import org.buildswarm.protocol.message.JobCacheSpec;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.buildswarm.protocol.message.TestResults;

/**
 * Runs one attempt of one job on its own thread: fresh workspace, source, then each step as the
 * leader of its own process group, with the job's timeout over all steps. Output goes to a local
 * log file (the spool the {@link LogShipper} reads), so a slow or absent log sink can never slow
 * the build. Whatever a step leaves running is stopped when the job ends.
 */
public final class JobRunner implements Runnable {
  private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());
  /** Lines of the failing step kept for the report. */
  public static final int TAIL_LINES = 30;
  private static final int MAX_TAIL_LINE = 2_000;
  /** How long output may keep flowing after a step's leader exited (from processes it left behind). */
  private static final long DRAIN_MS = 2_000;

  /** How the attempt ended. */
  public record Result(
      JobOutcome outcome, int exitCode, String failedStep, List<String> logTail, long startedAt, long finishedAt,
      String message, String jobSet, TestResults tests, JobCacheResult cache) {
    public Result(JobOutcome outcome, int exitCode, String failedStep, List<String> logTail, long startedAt,
        long finishedAt, String message, String jobSet, TestResults tests) {
      this(outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, jobSet, tests, null);
    }

    public Result(JobOutcome outcome, int exitCode, String failedStep, List<String> logTail, long startedAt,
        long finishedAt, String message) {
      this(outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, null);
    }

    public Result(JobOutcome outcome, int exitCode, String failedStep, List<String> logTail, long startedAt,
        long finishedAt, String message, String jobSet) {
      this(outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, jobSet, null);
    }

    Result startedAt(long start) {
      return new Result(outcome, exitCode, failedStep, logTail, start, finishedAt, message, jobSet, tests, cache);
    }

    Result withTests(TestResults results) {
      return new Result(outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, jobSet, results, cache);
    }
  }

  /** The largest job set a job may emit (it travels in one event-bus message). */
  public static final int MAX_JOB_SET_BYTES = 4 * 1024 * 1024;

  /** Callbacks, from the runner's thread. */
  public interface Listener {
    void started(long startedAt);

    /**
     * The steps are over and every process they started is gone: the job's cores are free, though
     * it may still publish artifacts, store its cached result or read its test reports. At most once,
     * before {@link #finished}; not at all when the job could not get as far as running its steps.
     */
    default void stepsEnded() {}

    void finished(Result result);
  }

  /**
   * What every job on a drone shares.
   *
   * @param baseEnv the environment every step starts from
   * @param killGraceMs time between SIGTERM and SIGKILL when a step is stopped
   * @param keptWorkspaces where a failed attempt's workspace is moved for inspection; null: removed
   * @param helpers runs the stopping of process groups
   * @param artifacts publishes declared artifacts; null for none
   * @param secrets the drone's secrets
   * @param sandbox how steps are kept away from the drone
   * @param caches where the projects' declared caches are kept ({@code <project>/home|workspace/<path>})
   * @param logLimitBytes how much of a job's output is kept; 0 for no limit
   * @param reports reads the JUnit XML reports jobs declare
   */
  public record Setup(Map<String, String> baseEnv, long killGraceMs, Path keptWorkspaces, Executor helpers,
      ArtifactPublisher artifacts, SecretsDirectory secrets, Sandbox sandbox, Path caches, long logLimitBytes,
      TestReports reports) {
    public Setup {
      reports = reports == null ? new TestReports(TestReports.Limits.DEFAULTS) : reports;
    }

    public Setup(Map<String, String> baseEnv, long killGraceMs, Path keptWorkspaces, Executor helpers,
        ArtifactPublisher artifacts, SecretsDirectory secrets, Sandbox sandbox, Path caches, long logLimitBytes) {
      this(baseEnv, killGraceMs, keptWorkspaces, helpers, artifacts, secrets, sandbox, caches, logLimitBytes, null);
    }
  }

  /** Beside the workspace: the job's own HOME and temporary directory, removed with it. */
  static final String HOME_SUFFIX = ".home";
  static final String TMP_SUFFIX = ".tmp";

  private final AssignJob job;
  private final Path workspace;
  private final Path logFile;
  private final SourceFetcher fetcher;
  private final Setup setup;
  private final Map<String, String> baseEnv;
  private final long killGraceMs;
  /** Where a failed attempt's workspace is moved for inspection; null: removed like any other. */
  private final Path keptWorkspaces;
  private final Executor helpers;
  private final ArtifactPublisher artifacts;
  private final SecretsDirectory secrets;
  private final Listener listener;
  /** The job's workspace, home and temporary directory (siblings), and its project's cache directory. */
  private final Sandbox.Layout layout;
  /** The job's secrets by name, once read; injected into every step's environment. */
  private Map<String, String> secretValues = Map.of();
  /** Where the job reaches a gateway (its artifact repository and build cache), or null. */
  private String gatewayUrl;
  /** Masks the job's secrets; null when it has none. */
  private SecretsDirectory.Masker masker;

  private final Set<Long> groups = ConcurrentHashMap.newKeySet();
  /** Set once the steps' process groups are stopped (see {@link #endSteps}). */
  private boolean stepsEnded;
  private volatile long currentGroup = -1;
  private volatile JobOutcome stopAs;
  private volatile String stopReason;
  private JobLog log;
  /** When the first step's process started: what "started" means to everyone watching. */
  private long firstSpawn;

  public JobRunner(AssignJob job, Path workspace, Path logFile, SourceFetcher fetcher, Setup setup, Listener listener) {
    this.job = job;
    this.workspace = workspace;
    this.logFile = logFile;
    this.fetcher = fetcher;
    this.setup = setup;
    this.baseEnv = setup.baseEnv();
    this.killGraceMs = setup.killGraceMs();
    this.keptWorkspaces = setup.keptWorkspaces();
    this.helpers = setup.helpers();
    this.artifacts = setup.artifacts();
    this.secrets = setup.secrets();
    this.listener = listener;
    boolean cached = !job.execution().caches().isEmpty() && setup.caches() != null;
    this.layout = new Sandbox.Layout(workspace, workspace.resolveSibling(workspace.getFileName() + HOME_SUFFIX),
        workspace.resolveSibling(workspace.getFileName() + TMP_SUFFIX),
        cached ? setup.caches().resolve(cacheScope(job.execution().cacheScope())) : null);
  }

  /** The cache directory's name for a project: the name where it is safe as one, else its hash. */
  static String cacheScope(String project) {
    String scope = project == null || project.isBlank() ? "unnamed" : project;
    if (scope.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
      return scope;
    }
    try {
      return "h-" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(scope.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The process groups its steps have led so far (for the host guard: the drone's own tasks). */
  public Set<Long> processGroups() {
    return Set.copyOf(groups);
  }

  /**
   * Stops the attempt: SIGTERM to the running step's whole process tree, SIGKILL after the grace
   * period. Returns at once; the runner reports the outcome when the processes are gone.
   *
   * @param as CANCELLED when asked by the orchestrator, INFRA_ERROR when the drone is stopping
   */
  public void stop(JobOutcome as, String reason) {
    if (stopAs != null) {
      return;
    }
    stopReason = reason;
    stopAs = as;
    long group = currentGroup;
    if (group > 0) {
      helpers.execute(() -> ProcessGroups.terminate(group, killGraceMs));
    }
  }

  @Override
  public void run() {
    long startedAt = System.currentTimeMillis();
    Result result;
    try {
      Files.createDirectories(logFile.getParent());
      OutputStream logOut = new BufferedOutputStream(Files.newOutputStream(logFile, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND));
      LineTimes times = new LineTimes(new BufferedOutputStream(Files.newOutputStream(LineTimes.beside(logFile),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND)), System::currentTimeMillis, Files.size(logFile));
      log = new JobLog(logOut, times, setup.logLimitBytes(), TAIL_LINES, MAX_TAIL_LINE);
      result = runSteps(startedAt);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "job " + job.attempt() + " could not run", e);
      result = new Result(JobOutcome.INFRA_ERROR, -1, null, List.of(), startedAt, System.currentTimeMillis(),
          "the drone could not run the job: " + e.getMessage());
    }
    endSteps(firstSpawn > 0);
    // With the steps' processes gone, so nothing changes the files while they are read. A failed or
    // timed-out job's results matter most; a cancelled one's do not.
    if (log != null && firstSpawn > 0 && !job.execution().reports().isEmpty()
        && Set.of(JobOutcome.SUCCEEDED, JobOutcome.FAILED, JobOutcome.TIMED_OUT).contains(result.outcome())) {
      result = result.withTests(readReports());
    }
    try {
      Files.deleteIfExists(workspace.resolveSibling(workspace.getFileName() + Leftovers.SUFFIX));
    } catch (IOException e) {
      LOG.warning("cannot remove the process group record of " + workspace + ": " + e.getMessage());
    }
    if (firstSpawn > 0 && result.startedAt() != firstSpawn) {
      result = result.startedAt(firstSpawn);
    }
    boolean keep = keptWorkspaces != null && result.outcome() != JobOutcome.SUCCEEDED && Files.isDirectory(workspace);
    Path kept = keep ? keptWorkspaces.resolve(workspace.getFileName()) : null;
    if (keep && log != null) {
      log.line("==> the workspace is kept for inspection in " + kept);
    }
    result = finishLog(result);
    // Report first: removing the workspace is not part of the job, and must not delay the next one.
    listener.finished(result);
    try {
      if (keep) {
        // Out of the jobs folder, which a starting drone empties; the drone removes it when it expires.
        Files.createDirectories(keptWorkspaces);
        Files.move(workspace, kept, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.setLastModifiedTime(kept, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
      } else {
        Trees.delete(workspace);
      }
    } catch (IOException e) {
      LOG.warning("could not " + (keep ? "keep" : "remove") + " workspace " + workspace + ": " + e.getMessage());
    }
    for (Path own : new Path[] {layout.home(), layout.tmp(), Sandbox.passwdFile(layout)}) {
      try {
        Trees.delete(own);
      } catch (IOException e) {
        LOG.warning("could not remove " + own + ": " + e.getMessage());
      }
    }
  }

  /**
   * Stops whatever the steps left running (SIGTERM, the grace period, SIGKILL) and, when they ran
   * (or a cached result stood in for them), tells the listener their cores are free. Once.
   */
  private void endSteps(boolean ran) {
    if (stepsEnded) {
      return;
    }
    stepsEnded = true;
    for (long group : groups) {
      ProcessGroups.terminate(group, killGraceMs);
    }
    if (ran) {
      listener.stepsEnded();
    }
  }

  private TestResults readReports() {
    try {
      return setup.reports().collect(workspace, job.execution().reports(), line -> log.line("==> " + line),
          text -> masker == null ? text : masker.mask(text));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "job " + job.attempt() + ": could not read its test reports", e);
      log.line("==> reports: could not be read: " + e);
      return null;
    }
  }

  /** Removes kept workspaces older than {@code keepMs}; returns how many. Blocking. */
  public static int expireKept(Path keptWorkspaces, long keepMs, long now) throws IOException {
    if (!Files.isDirectory(keptWorkspaces)) {
      return 0;
    }
    int removed = 0;
    try (var entries = Files.newDirectoryStream(keptWorkspaces)) {
      for (Path entry : entries) {
        if (Files.getLastModifiedTime(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis() < now - keepMs) {
          Trees.delete(entry);
          removed++;
        }
      }
    }
    return removed;
  }

  /** NIO's messages are often just a path: say what went wrong with it. */
  private static String describe(IOException e) {
    if (e instanceof java.nio.file.FileSystemException) {
      // NoSuchFileException → "no such file: /path"
      return e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(
          java.util.Locale.ROOT) + ": " + e.getMessage();
    }
    return e.getMessage();
  }

  private Result runSteps(long startedAt) throws IOException {
    for (Path dir : new Path[] {workspace, layout.home(), layout.tmp()}) {
      Trees.delete(dir);
      Files.createDirectories(dir);
    }
    log.line("==> job \"" + job.jobName() + "\", attempt " + job.attempt().attempt() + ", " + job.execution().cores()
        + " core(s), in " + workspace);
    log.line("==> sandbox " + setup.sandbox().description());
    if (!job.execution().secrets().isEmpty()) {
      try {
        if (secrets == null) {
          throw new SecretsDirectory.Missing("this drone has no secrets directory");
        }
        secretValues = secrets.resolve(job.execution().secrets());
      } catch (SecretsDirectory.Missing e) {
        log.line("==> " + e.getMessage());
        return new Result(JobOutcome.FAILED, -1, null, List.of(e.getMessage()), startedAt, System.currentTimeMillis(),
            e.getMessage());
      }
      log.line("==> secrets " + String.join(", ", secretValues.keySet()) + " are in the environment, masked in this log");
    }
    // The job token is a credential too (artifact uploads, build-cache writes): masked like a secret.
    List<String> masked = new java.util.ArrayList<>(secretValues.values());
    if (job.jobToken() != null) {
      masked.add(job.jobToken());
    }
    if (!masked.isEmpty()) {
      masker = new SecretsDirectory.Masker(masked);
      log.mask(masker);
    }
    gatewayUrl = artifacts == null ? null : artifacts.knownGateway();
    JobCacheSpec cacheSpec = job.execution().cache();
    String cacheKey = null;
    JobResultCache.Restored restored = null;
    String askedFor = null;
    SourceSpec source = job.execution().source();
    if (cacheSpec != null && cacheSpec.reuse() && artifacts != null) {
      // The source is read where it is (a directory in place, a Git revision in the mirror): on a
      // hit nothing is copied or checked out at all.
      if (SourceSpec.DIRECTORY.equals(source.kind()) && Files.isDirectory(Path.of(source.location()))) {
        Path root = Path.of(source.location()).toAbsolutePath().normalize();
        askedFor = cacheKey("the source directory",
            env -> JobResultCache.key(cacheSpec, root, env, dir -> fetcher.leavesOut(root, dir)));
      } else if (SourceSpec.GIT.equals(source.kind())) {
        askedFor = cacheKey("the commit's tree", env -> JobResultCache.key(cacheSpec, env,
            fetcher.gitInputs(source, job.gitCredentials(), JobResultCache.selector(cacheSpec.inputs()))));
      }
      restored = askedFor == null ? null : restore(askedFor);
      cacheKey = restored != null ? askedFor : null;
    }
    if (restored == null) {
      try {
        // Steps of another user cannot write the drone's files, so the mirror's objects can be shared.
        fetcher.fetch(job.execution().source(), job.gitCredentials(), workspace, setup.sandbox().jobUser() != null);
      } catch (IOException e) {
        String problem = "could not prepare the source: " + describe(e);
        log.line("==> " + problem);
        return new Result(JobOutcome.INFRA_ERROR, -1, null, List.of(), startedAt, System.currentTimeMillis(), problem);
      }
      if (cacheSpec != null) {
        // The key of what the steps will see, whatever the source did while it was copied.
        cacheKey = cacheKey(null, env -> JobResultCache.key(cacheSpec, workspace, env));
        if (cacheKey != null && cacheSpec.reuse() && !cacheKey.equals(askedFor)) {
          restored = restore(cacheKey);
        } else if (cacheKey != null && !cacheSpec.reuse()) {
          log.line("==> cache: this run ignores the cache; the job runs and stores its result");
        }
      }
    }
    try {
      linkCaches();
      setup.sandbox().handOver(layout, workspace.getParent().getParent());
    } catch (IOException e) {
      String problem = "could not prepare the job's directories: " + describe(e);
      log.line("==> " + problem);
      return new Result(JobOutcome.INFRA_ERROR, -1, null, List.of(), startedAt, System.currentTimeMillis(), problem);
    }
    long deadline = startedAt + job.execution().timeoutMs();
    List<Step> steps = restored != null ? List.of() : job.execution().steps();
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      if (stopAs != null) {
        return stopped(startedAt, step.name());
      }
      log.line("==> [" + (i + 1) + "/" + steps.size() + "] " + step.name());
      long stepStart = System.currentTimeMillis();
      StepResult stepResult = runStep(step, deadline);
      List<String> stepTail = log.tail();
      if (stopAs != null) {
        return stopped(startedAt, step.name());
      }
      if (stepResult.timedOut()) {
        log.line("==> timed out after " + seconds(job.execution().timeoutMs()) + " during \"" + step.name() + "\"");
        return new Result(JobOutcome.TIMED_OUT, stepResult.exitCode(), step.name(), stepTail, startedAt,
            System.currentTimeMillis(), "timed out");
      }
      log.line("==> exit " + stepResult.exitCode() + " after " + seconds(System.currentTimeMillis() - stepStart));
      if (stepResult.exitCode() != 0) {
        return new Result(JobOutcome.FAILED, stepResult.exitCode(), step.name(), stepTail, startedAt,
            System.currentTimeMillis(), "step \"" + step.name() + "\" exited with " + stepResult.exitCode());
      }
    }
    // What follows publishes what the steps made and uses no cores: hand them back first.
    endSteps(true);
    String artifactProblem = artifacts == null ? null : artifacts.publish(job, workspace, log::line);
    if (artifactProblem != null) {
      log.line("==> " + artifactProblem);
      return new Result(JobOutcome.FAILED, 0, null, List.of(artifactProblem), startedAt, System.currentTimeMillis(),
          artifactProblem);
    }
    String jobSet = null;
    if (job.execution().jobSetPath() != null) {
      try {
        jobSet = readJobSet(job.execution().jobSetPath());
        log.line("==> emitted the job set " + job.execution().jobSetPath() + " (" + jobSet.length() + " characters)");
      } catch (IOException e) {
        String problem = "the job set " + job.execution().jobSetPath() + " could not be read: " + e.getMessage();
        log.line("==> " + problem);
        return new Result(JobOutcome.FAILED, 0, null, List.of(problem), startedAt, System.currentTimeMillis(), problem);
      }
    }
    JobCacheResult cached = null;
    if (restored != null) {
      cached = JobCacheResult.hit(cacheKey, restored.run(), restored.job());
    } else if (cacheKey != null) {
      boolean stored = artifacts.jobResults().store(job, cacheKey, workspace, cacheSpec.outputs(),
          System.currentTimeMillis() - startedAt, log::line);
      cached = JobCacheResult.ran(cacheKey, stored);
    }
    return new Result(JobOutcome.SUCCEEDED, 0, null, List.of(), startedAt, System.currentTimeMillis(), null, jobSet,
        null, cached);
  }

  private JobResultCache.Restored restore(String key) {
    JobResultCache.Restored restored = artifacts.jobResults().restore(job, key, workspace, log::line).orElse(null);
    if (restored != null) {
      log.line("==> cache: restored " + restored.files() + " file(s) (" + ArtifactPublisher.human(restored.bytes())
          + ") from run " + restored.run() + " (" + restored.job() + "); the steps do not run");
    }
    return restored;
  }

  /** Makes a job's key from the environment its steps would see. */
  private interface KeyMaker {
    String make(Map<String, String> environment) throws IOException;
  }

  /**
   * The job's key, made from the workspace or from the source where it is ({@code from}, null for
   * the workspace), or null when it cannot be made (the job then runs and nothing is stored: a
   * result under a key that may be wrong must never be reused).
   */
  private String cacheKey(String from, KeyMaker maker) {
    if (artifacts == null) {
      log.line("==> cache: this drone has no gateway to keep results with; the job runs");
      return null;
    }
    Map<String, String> environment = new java.util.HashMap<>(baseEnv);
    environment.putAll(job.execution().env());
    environment.putAll(secretValues);
    try {
      long began = System.nanoTime();
      String key = maker.make(environment);
      log.line("==> cache: key " + JobResultCache.shortKey(key) + (from == null ? "" : " from " + from) + " (made in "
          + (System.nanoTime() - began) / 1_000_000 + " ms)");
      return key;
    } catch (IOException | RuntimeException e) {
      log.line(from != null ? "==> cache: no key could be made from " + from + " (" + e.getMessage()
          + "); it is made after the checkout" : "==> cache: no key could be made (" + e.getMessage()
          + "); the job runs and its result is not kept");
      return null;
    }
  }

  /** The job set file, which must be a regular file inside the workspace and not too large. */
  private String readJobSet(String relative) throws IOException {
    Path root = workspace.toRealPath();
    Path file = workspace.resolve(relative).normalize();
    if (!Files.isRegularFile(file)) {
      throw new IOException("it was not written (no regular file at " + relative + ")");
    }
    if (!file.toRealPath().startsWith(root)) {
      throw new IOException("it points outside the workspace");
    }
    long size = Files.size(file);
    if (size > MAX_JOB_SET_BYTES) {
      throw new IOException("it is " + size + " bytes; the limit is " + MAX_JOB_SET_BYTES);
    }
    return Files.readString(file);
  }

  /**
   * Links each declared cache into the job's home or workspace, from the project's cache directory
   * on this drone, which outlives the job. Jobs of a project running at once share it.
   */
  private void linkCaches() throws IOException {
    if (layout.caches() == null) {
      return;
    }
    Files.createDirectories(layout.caches());
    setup.sandbox().own(layout.caches());
    List<String> linked = new ArrayList<>();
    for (String cache : job.execution().caches()) {
      boolean inHome = cache.equals("~") || cache.startsWith("~/");
      String relative = inHome ? cache.substring(1).replaceFirst("^/", "") : cache;
      Path base = inHome ? layout.home() : workspace;
      Path link = base.resolve(relative).normalize();
      Path target = layout.caches().resolve(inHome ? "home" : "workspace").resolve(relative).normalize();
      if (relative.isEmpty() || !link.startsWith(base) || link.equals(base)
          || !target.startsWith(layout.caches())) {
        log.line("==> cache " + cache + " is not a directory inside the job's home or workspace; not kept");
        continue;
      }
      if (Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        log.line("==> cache " + cache + ": the source already has something there; not kept");
        continue;
      }
      for (Path dir = target; !Files.isDirectory(dir) && dir.startsWith(layout.caches()); dir = dir.getParent()) {
        Files.createDirectories(dir);
      }
      for (Path dir = target; dir.startsWith(layout.caches()); dir = dir.getParent()) {
        setup.sandbox().own(dir);
      }
      Files.createDirectories(link.getParent());
      Files.createSymbolicLink(link, target);
      linked.add(cache);
    }
    if (!linked.isEmpty()) {
      log.line("==> caches " + String.join(", ", linked) + " are kept on this drone between jobs of the project");
    }
  }

  private record StepResult(int exitCode, boolean timedOut) {}

  private StepResult runStep(Step step, long deadline) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(ProcessGroups.newGroupCommand(
            setup.sandbox().wrap(List.of("/bin/sh", "-e", "-c", step.run()), layout)))
        .directory(workspace.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(baseEnv);
    env.putAll(setup.sandbox().environment(layout));
    env.putAll(job.execution().env());
    env.putAll(secretValues);
    env.put("CI", "true");
    env.put("BUILDSWARM", "true");
    env.put("BUILDSWARM_RUN_ID", Long.toString(job.runId()));
    env.put("BUILDSWARM_JOB_ID", Long.toString(job.attempt().jobId()));
    env.put("BUILDSWARM_JOB_NAME", job.jobName());
    env.put("BUILDSWARM_ATTEMPT", Integer.toString(job.attempt().attempt()));
    env.put("BUILDSWARM_CORES", Integer.toString(job.execution().cores()));
    env.put("BUILDSWARM_WORKSPACE", workspace.toString());
    if (job.jobToken() != null) {
      env.put("BUILDSWARM_JOB_TOKEN", job.jobToken());
    }
    if (gatewayUrl != null) {
      env.put("BUILDSWARM_GATEWAY_URL", gatewayUrl.replaceFirst("/$", ""));
    }
    log.startStep();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException("cannot start /bin/sh: " + e.getMessage(), e);
    }
    if (firstSpawn == 0) {
      firstSpawn = System.currentTimeMillis();
      listener.started(firstSpawn);
    }
    long group = process.pid(); // setsid made the step the leader of a group with its own pid
    groups.add(group);
    currentGroup = group;
    Path marker = workspace.resolveSibling(workspace.getFileName() + Leftovers.SUFFIX);
    try {
      Leftovers.record(marker, group);
    } catch (IOException e) {
      LOG.warning("cannot record process group " + group + ": " + e.getMessage());
    }
    if (stopAs != null) {
      helpers.execute(() -> ProcessGroups.terminate(group, killGraceMs));
    }
    Thread reader = new Thread(() -> copy(process.getInputStream()), "buildswarm-log-" + job.attempt().jobId());
    reader.setDaemon(true);
    reader.start();
    boolean timedOut = false;
    try {
      long remaining = deadline - System.currentTimeMillis();
      if (remaining <= 0 || !process.waitFor(remaining, TimeUnit.MILLISECONDS)) {
        timedOut = true;
        ProcessGroups.terminate(group, killGraceMs);
        process.waitFor();
      }
      reader.join(DRAIN_MS);
      if (reader.isAlive()) {
        // Something the step started still holds its output open: stop the step's group.
        ProcessGroups.terminate(group, killGraceMs);
        reader.join(DRAIN_MS);
        if (reader.isAlive()) {
          log.line("==> a process that left the step's group still holds its output; no longer reading it");
          log.detach(reader);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ProcessGroups.terminate(group, 0);
      throw new IOException("interrupted", e);
    } finally {
      currentGroup = -1;
    }
    return new StepResult(process.exitValue(), timedOut);
  }

  private void copy(InputStream output) {
    byte[] buffer = new byte[8192];
    try (InputStream in = output) {
      int read;
      while ((read = in.read(buffer)) > 0) {
        log.output(buffer, read);
      }
    } catch (IOException e) {
      // the stream closed under us: the step is over
    }
  }

  private Result stopped(long startedAt, String step) {
    List<String> tail = log.tail();
    log.line("==> stopped: " + stopReason);
    return new Result(stopAs, -1, step, tail, startedAt, System.currentTimeMillis(), stopReason);
  }

  private Result finishLog(Result result) {
    if (log != null) {
      log.line("==> " + result.outcome().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " after "
          + seconds(result.finishedAt() - result.startedAt()));
      log.close();
    }
    return result;
  }

  private static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
  }
}
