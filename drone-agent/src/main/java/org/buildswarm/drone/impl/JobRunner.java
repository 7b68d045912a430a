package org.buildswarm.drone.impl;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
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
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.Step;

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
      String message, String jobSet) {
    public Result(JobOutcome outcome, int exitCode, String failedStep, List<String> logTail, long startedAt,
        long finishedAt, String message) {
      this(outcome, exitCode, failedStep, logTail, startedAt, finishedAt, message, null);
    }

    Result startedAt(long start) {
      return new Result(outcome, exitCode, failedStep, logTail, start, finishedAt, message, jobSet);
    }
  }

  /** The largest job set a job may emit (it travels in one event-bus message). */
  public static final int MAX_JOB_SET_BYTES = 4 * 1024 * 1024;

  /** Callbacks, from the runner's thread. */
  public interface Listener {
    void started(long startedAt);

    void finished(Result result);
  }

  private final AssignJob job;
  private final Path workspace;
  private final Path logFile;
  private final SourceFetcher fetcher;
  private final Map<String, String> baseEnv;
  private final long killGraceMs;
  /** Where a failed attempt's workspace is moved for inspection; null: removed like any other. */
  private final Path keptWorkspaces;
  private final Executor helpers;
  private final ArtifactPublisher artifacts;
  private final Secrets secrets;
  private final Listener listener;
  /** The job's secrets by name, once read; injected into every step's environment. */
  private Map<String, String> secretValues = Map.of();

  private final Set<Long> groups = ConcurrentHashMap.newKeySet();
  private volatile long currentGroup = -1;
  private volatile JobOutcome stopAs;
  private volatile String stopReason;
  private LogWriter log;
  /** When the first step's process started: what "started" means to everyone watching. */
  private long firstSpawn;

  public JobRunner(AssignJob job, Path workspace, Path logFile, SourceFetcher fetcher, Map<String, String> baseEnv,
      long killGraceMs, Path keptWorkspaces, Executor helpers, ArtifactPublisher artifacts, Secrets secrets,
      Listener listener) {
    this.job = job;
    this.workspace = workspace;
    this.logFile = logFile;
    this.fetcher = fetcher;
    this.baseEnv = baseEnv;
    this.killGraceMs = killGraceMs;
    this.keptWorkspaces = keptWorkspaces;
    this.helpers = helpers;
    this.artifacts = artifacts;
    this.secrets = secrets;
    this.listener = listener;
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
      log = new LogWriter(new BufferedOutputStream(Files.newOutputStream(logFile, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND)));
      result = runSteps(startedAt);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "job " + job.attempt() + " could not run", e);
      result = new Result(JobOutcome.INFRA_ERROR, -1, null, List.of(), startedAt, System.currentTimeMillis(),
          "the drone could not run the job: " + e.getMessage());
    }
    for (long group : groups) {
      ProcessGroups.terminate(group, killGraceMs);
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

  private Result runSteps(long startedAt) throws IOException {
    Trees.delete(workspace);
    Files.createDirectories(workspace);
    log.line("==> job \"" + job.jobName() + "\", attempt " + job.attempt().attempt() + ", " + job.execution().cores()
        + " core(s), in " + workspace);
    if (!job.execution().secrets().isEmpty()) {
      try {
        if (secrets == null) {
          throw new Secrets.Missing("this drone has no secrets directory");
        }
        secretValues = secrets.resolve(job.execution().secrets());
      } catch (Secrets.Missing e) {
        log.line("==> " + e.getMessage());
        return new Result(JobOutcome.FAILED, -1, null, List.of(e.getMessage()), startedAt, System.currentTimeMillis(),
            e.getMessage());
      }
      log.mask(new Secrets.Masker(secretValues.values()));
      log.line("==> secrets " + String.join(", ", secretValues.keySet()) + " are in the environment, masked in this log");
    }
    try {
      fetcher.fetch(job.execution().source(), workspace);
    } catch (IOException e) {
      log.line("==> could not prepare the source: " + e.getMessage());
      return new Result(JobOutcome.INFRA_ERROR, -1, null, List.of(), startedAt, System.currentTimeMillis(),
          "could not prepare the source: " + e.getMessage());
    }
    long deadline = startedAt + job.execution().timeoutMs();
    List<Step> steps = job.execution().steps();
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
    return new Result(JobOutcome.SUCCEEDED, 0, null, List.of(), startedAt, System.currentTimeMillis(), null, jobSet);
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

  private record StepResult(int exitCode, boolean timedOut) {}

  private StepResult runStep(Step step, long deadline) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(ProcessGroups.newGroupCommand(List.of("/bin/sh", "-e", "-c", step.run())))
        .directory(workspace.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(baseEnv);
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

  /**
   * The attempt's log file plus the tail of the current step; one writer at a time. With secrets,
   * output is held back to whole lines and masked before anything is written, so a secret never
   * reaches the spool, the gateway or the report.
   */
  private static final class LogWriter {
    /** A line longer than this is masked and written in pieces (a secret across the cut is not masked). */
    private static final int MAX_MASKED_LINE = 64 * 1024;
    private final OutputStream out;
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
    private final java.io.ByteArrayOutputStream unmasked = new java.io.ByteArrayOutputStream();
    private Secrets.Masker masker;
    private Thread detached;

    LogWriter(OutputStream out) {
      this.out = out;
    }

    synchronized void mask(Secrets.Masker newMasker) {
      masker = newMasker.isEmpty() ? null : newMasker;
    }

    synchronized void startStep() {
      flushUnmasked();
      tail.clear();
      partial.reset();
    }

    synchronized void output(byte[] bytes, int length) {
      if (Thread.currentThread() == detached) {
        return;
      }
      if (masker == null) {
        emit(bytes, length);
        return;
      }
      int lineStart = 0;
      for (int i = 0; i < length; i++) {
        if (bytes[i] == '\n') {
          unmasked.write(bytes, lineStart, i + 1 - lineStart);
          lineStart = i + 1;
          flushUnmasked();
        }
      }
      unmasked.write(bytes, lineStart, length - lineStart);
      if (unmasked.size() > MAX_MASKED_LINE) {
        flushUnmasked();
      }
    }

    private void flushUnmasked() {
      if (unmasked.size() == 0 || masker == null) {
        return;
      }
      byte[] masked = masker.mask(unmasked.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
      unmasked.reset();
      emit(masked, masked.length);
    }

    private void emit(byte[] bytes, int length) {
      write(bytes, 0, length);
      for (int i = 0; i < length; i++) {
        if (bytes[i] == '\n') {
          remember(partial.toString(StandardCharsets.UTF_8));
          partial.reset();
        } else if (partial.size() < MAX_TAIL_LINE * 4) {
          partial.write(bytes[i]);
        }
      }
      flush();
    }

    synchronized void line(String text) {
      flushUnmasked();
      // The drone's own lines too: a step's name is its command, which may print a secret's value.
      byte[] bytes = ((masker == null ? text : masker.mask(text)) + "\n").getBytes(StandardCharsets.UTF_8);
      if (partial.size() > 0) {
        write(new byte[] {'\n'}, 0, 1);
        remember(partial.toString(StandardCharsets.UTF_8));
        partial.reset();
      }
      write(bytes, 0, bytes.length);
      flush();
    }

    synchronized void detach(Thread reader) {
      detached = reader;
    }

    synchronized List<String> tail() {
      flushUnmasked();
      List<String> lines = new ArrayList<>(tail);
      if (partial.size() > 0) {
        lines.add(partial.toString(StandardCharsets.UTF_8));
      }
      return lines.size() > TAIL_LINES ? lines.subList(lines.size() - TAIL_LINES, lines.size()) : lines;
    }

    synchronized void close() {
      flushUnmasked();
      try {
        out.close();
      } catch (IOException e) {
        LOG.warning("could not close a job log: " + e.getMessage());
      }
    }

    private void remember(String line) {
      tail.addLast(line.length() > MAX_TAIL_LINE ? line.substring(0, MAX_TAIL_LINE) + "…" : line);
      if (tail.size() > TAIL_LINES) {
        tail.removeFirst();
      }
    }

    private void write(byte[] bytes, int offset, int length) {
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        // A full disk must not fail the build; the tail still reaches the report.
        LOG.warning("could not write a job log: " + e.getMessage());
      }
    }

    private void flush() {
      try {
        out.flush();
      } catch (IOException e) {
        LOG.warning("could not write a job log: " + e.getMessage());
      }
    }
  }
}
