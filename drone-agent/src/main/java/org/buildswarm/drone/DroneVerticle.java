package org.buildswarm.drone;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.buildswarm.drone.impl.ArtifactPublisher;
import org.buildswarm.drone.impl.HostGuard;
import org.buildswarm.drone.impl.HostProbe;
import org.buildswarm.drone.impl.HostSample;
import org.buildswarm.drone.impl.SecretsDirectory;
import org.buildswarm.drone.impl.JobRunner;
import org.buildswarm.drone.impl.Sandbox;
import org.buildswarm.drone.impl.Leftovers;
import org.buildswarm.drone.impl.LogShipper;
import org.buildswarm.drone.impl.SourceFetcher;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.api.ApiFailures;
import org.buildswarm.protocol.api.FindGateway;
import org.buildswarm.protocol.api.GatewayInfo;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.ChangeMode;
import org.buildswarm.protocol.message.DroneRegistered;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.buildswarm.protocol.message.HostRefusal;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.JobStepsEnded;
import org.buildswarm.protocol.message.Ping;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.ReportReply;

/**
 * A drone: registers with the orchestrator, renews its lease with heartbeats, runs the attempts it
 * is assigned (each on its own thread, see {@link JobRunner}), ships their logs and reports their
 * results until the orchestrator acknowledges them. Jobs keep running while the orchestrator is
 * away; their reports wait and are delivered when it returns.
 */
public final class DroneVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(DroneVerticle.class.getName());
  private static final long REPORT_RETRY_MS = 1_000;
  private static final long REQUEST_TIMEOUT_MS = 10_000;
  /** The longest one artifact upload may take before it is tried again. */
  private static final java.time.Duration ARTIFACT_UPLOAD_TIMEOUT = java.time.Duration.ofMinutes(15);
  private static final long REFUSED_RETRY_MS = 30_000;
  private static final long SELF_CHECK_MS = 5_000;
  /**
   * How long a "started" report waits: a job that ends within it sends only its result (which
   * carries the start time), one message instead of two. Nobody watching notices 20 ms.
   */
  private static final long STARTED_REPORT_DELAY_MS = 20;

  private final DroneOptions options;
  private final Promise<Void> ephemeralDone = Promise.promise();
  /** Attempts running here, or finished with a report the orchestrator has not acknowledged yet. */
  private final Map<Long, Attempt> attempts = new LinkedHashMap<>();
  private MessageConsumer<Object> commands;
  private ExecutorService jobThreads;
  private ExecutorService helpers;
  private ArtifactPublisher artifacts;
  private SourceFetcher fetcher;
  private LogShipper shipper;
  private Map<String, String> baseEnv;
  /** Decided at start by trying it; said in the registration and every job's log. */
  private Sandbox sandbox;
  private DroneMode mode;
  private long epoch = -1;
  private boolean registered;
  private boolean registering;
  private boolean stopping;
  /** How often the host guard reads the host. */
  static final long GUARD_SAMPLE_MS = 1_000;
  private HostGuard guard;
  private HostProbe probe;
  /** The host guard's last reading; null until the first. */
  private HostSample sample;
  /** Why the host takes no new work, from the host guard; null if it does. */
  private HostRefusal hostRefusal;
  private boolean sampling;
  private long guardTimer = -1;
  private boolean ephemeralTaken;
  private String refusal;
  private long heartbeatTimer = -1;
  private long heartbeatIntervalMs = 2_000;
  private long retryTimer = -1;
  private long checkTimer = -1;
  private long keptTimer = -1;
  /** Failed attempts' workspaces kept for inspection, in the work directory (outside jobs/, which a start empties). */
  static final String KEPT = "kept";
  /** The projects' declared caches (pipelines' {@code caches:}), kept between jobs. */
  static final String CACHES = "caches";
  private static final long KEPT_SWEEP_MS = 10 * 60 * 1000;

  private static final class Attempt {
    final AssignJob job;
    JobRunner runner;
    boolean running = true;
    /** Its steps are over: it holds no cores while it publishes what they made. */
    boolean stepsEnded;
    boolean discard;
    Object startedReport;
    Object finishedReport;
    boolean inFlight;

    Attempt(AssignJob job) {
      this.job = job;
    }

    AttemptRef ref() {
      return job.attempt();
    }
  }

  public DroneVerticle(DroneOptions options) {
    this.options = options;
  }

  /** Completes when an ephemeral drone has run its one job and delivered its report. */
  public Future<Void> ephemeralDone() {
    return ephemeralDone.future();
  }

  /** Why the orchestrator refused this drone, or null. */
  public String refusal() {
    return refusal;
  }

  @Override
  public Future<?> start() throws Exception {
    mode = options.mode();
    Path work = options.workDirectory().toAbsolutePath().normalize();
    Files.createDirectories(work.resolve("jobs"));
    Files.createDirectories(work.resolve("logs"));
    jobThreads = Executors.newCachedThreadPool(daemonThreads("buildswarm-job-" + options.name()));
    helpers = Executors.newCachedThreadPool(daemonThreads("buildswarm-kill-" + options.name()));
    fetcher = new SourceFetcher(work.resolve("git-mirrors"), Set.of(work), options.mirrorCacheBytes());
    baseEnv = baseEnvironment();
    shipper = new LogShipper(vertx, options.name(), options.logChunkBytes(), REQUEST_TIMEOUT_MS);
    artifacts = new ArtifactPublisher(this::findGateway, ARTIFACT_UPLOAD_TIMEOUT, 1_000);
    shipper.start(options.logPollMs());
    guard = new HostGuard(options.hostGuard());
    probe = HostProbe.of(work);
    guardTimer = vertx.setPeriodic(0, GUARD_SAMPLE_MS, id -> sampleHost());
    retryTimer = vertx.setPeriodic(REPORT_RETRY_MS, id -> resendReports());
    checkTimer = vertx.setPeriodic(SELF_CHECK_MS, id -> checkReachable());
    keptTimer = vertx.setPeriodic(0, KEPT_SWEEP_MS, id -> vertx.executeBlocking(() -> JobRunner.expireKept(
        work.resolve(KEPT), options.keepFailedWorkspacesMs(), System.currentTimeMillis()), false)
        .onSuccess(removed -> {
          if (removed > 0) {
            LOG.info("removed " + removed + " kept workspace(s) older than " + options.keepFailedWorkspacesMs() / 60_000
                + " minutes");
          }
        }));
    List<Path> hide = new ArrayList<>(List.of(work, options.secretsDirectory()));
    hide.addAll(options.sandbox().hiddenPaths());
    return vertx.executeBlocking(() -> Sandbox.decide(options.sandbox(), hide, Sandbox.toolPaths(baseEnv)))
        .compose(decided -> {
          sandbox = decided;
          LOG.info("drone " + options.name() + ": sandbox " + decided.description());
          // A drone that was killed may have left jobs running: its attempts belong to others by now.
          return vertx.executeBlocking(() -> Leftovers.clean(work.resolve("jobs"), work.resolve("logs"),
              options.killGraceMs()));
        })
        .compose(stopped -> {
          if (stopped > 0) {
            LOG.warning("stopped " + stopped + " job process group(s) left running by a previous drone " + options.name());
          }
          return listen();
        })
        .onSuccess(v -> register());
  }

  /** (Re)creates the consumer of this drone's commands. */
  private Future<Void> listen() {
    MessageConsumer<Object> previous = commands;
    Future<Void> gone = previous == null ? Future.succeededFuture() : previous.unregister();
    return gone.transform(ignored -> {
      commands = vertx.eventBus().consumer(Addresses.drone(options.name()), this::onCommand);
      return commands.completion();
    });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(heartbeatTimer);
    // Say so first: the orchestrator stops placing work here and does not hold the jobs stopped
    // below against this drone (a restart is not a fault).
    // Sent, not requested: while Vert.x closes, a reply (or its timeout) may never come, and stopping
    // must not wait on it. It travels ahead of the reports of the jobs stopped below.
    Heartbeat leaving = new Heartbeat(options.name(), epoch, 0, -1, 0, 0, -1, mode, refs(), HostRefusal.LEAVING);
    vertx.eventBus().send(Addresses.DRONE_HEARTBEAT, leaving);
    return stopJobsAndLeave();
  }

  private Future<?> stopJobsAndLeave() {
    for (Attempt attempt : attempts.values()) {
      if (attempt.running) {
        attempt.runner.stop(JobOutcome.INFRA_ERROR, "drone " + options.name() + " is stopping");
      }
    }
    // Running jobs are reported lost (INFRA_ERROR) so the orchestrator requeues them at once
    // instead of waiting for the lease; give the reports a moment to get out.
    return waitUntil(() -> attempts.values().stream().noneMatch(a -> a.running), options.killGraceMs() + 5_000)
        .compose(v -> waitUntil(() -> attempts.values().stream().allMatch(a -> a.discard || a.finishedReport == null), 2_000))
        .compose(v -> shipper.flush(2_000))
        .eventually(() -> {
          shipper.stop();
          vertx.cancelTimer(retryTimer);
          vertx.cancelTimer(checkTimer);
          vertx.cancelTimer(keptTimer);
          vertx.cancelTimer(guardTimer);
          jobThreads.shutdownNow();
          helpers.shutdown();
          return commands.unregister();
        });
  }

  // ---- registration and heartbeats ----------------------------------------------------------

  private void register() {
    if (stopping || registering) {
      return;
    }
    registering = true;
    registered = false;
    RegisterDrone request = new RegisterDrone(options.name(), ProtocolVersion.CURRENT,
        hostName(), options.cores(), options.labels(), mode, options.ephemeral(), refs(), sandbox.description());
    vertx.eventBus().<DroneRegistered>request(Addresses.DRONE_REGISTER, request,
        new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS)).onComplete(result -> {
      registering = false;
      if (stopping) {
        return;
      }
      if (result.succeeded()) {
        onRegistered(result.result().body());
      } else if (result.cause() instanceof ReplyException failure && failure.failureCode() == ApiFailures.FORBIDDEN) {
        refusal = failure.getMessage();
        LOG.severe("the orchestrator refused drone " + options.name() + ": " + refusal + " (retrying in "
            + REFUSED_RETRY_MS / 1000 + "s)");
        vertx.setTimer(REFUSED_RETRY_MS, id -> register());
      } else {
        LOG.fine("orchestrator not reachable (" + result.cause().getMessage() + "); retrying");
        vertx.setTimer(options.registerRetryMs(), id -> register());
      }
    });
  }

  private void onRegistered(DroneRegistered registration) {
    refusal = null;
    registered = true;
    epoch = Math.max(epoch, registration.epoch());
    if (registration.mode() != null && registration.mode() != mode) {
      LOG.info("drone " + options.name() + " is " + registration.mode().name().toLowerCase(java.util.Locale.ROOT)
          + " (an operator's setting)");
      mode = registration.mode();
    }
    killStale(registration.kill());
    LOG.info("drone " + options.name() + " joined the swarm (epoch " + epoch + ", " + options.cores() + " cores, labels "
        + options.labels() + ")");
    if (heartbeatIntervalMs != registration.heartbeatIntervalMs() || heartbeatTimer < 0) {
      vertx.cancelTimer(heartbeatTimer);
      heartbeatIntervalMs = registration.heartbeatIntervalMs();
      heartbeatTimer = vertx.setPeriodic(heartbeatIntervalMs, id -> heartbeat());
    }
    resendReports();
  }

  private void heartbeat() {
    if (!registered || stopping) {
      return;
    }
    HostSample host = sample;
    Heartbeat heartbeat = new Heartbeat(options.name(), epoch, freeCores(), host == null ? -1 : host.load1(),
        host == null ? -1 : host.memoryTotalBytes(), host == null ? -1 : host.memoryAvailableBytes(),
        host == null ? -1 : host.diskFreeBytes(), mode, refs(), hostRefusal);
    vertx.eventBus().<HeartbeatReply>request(Addresses.DRONE_HEARTBEAT, heartbeat,
        new DeliveryOptions().setSendTimeout(heartbeatIntervalMs * 2)).onSuccess(reply -> {
      HeartbeatReply body = reply.body();
      killStale(body.kill());
      if (body.reregister()) {
        LOG.info("the orchestrator asked drone " + options.name() + " to register again");
        listen().onComplete(relistened -> register());
      }
    });
  }

  /**
   * One reading of the host for the guard, off the event loop (one at a time, so the guard sees
   * its samples in order). A change of verdict is told to the orchestrator at once.
   */
  private void sampleHost() {
    if (sampling || stopping) {
      return;
    }
    sampling = true;
    java.util.Set<Long> groups = new java.util.HashSet<>();
    for (Attempt attempt : attempts.values()) {
      if (attempt.running) {
        groups.addAll(attempt.runner.processGroups());
      }
    }
    long pid = ProcessHandle.current().pid();
    vertx.executeBlocking(() -> {
      HostSample read = probe.read(groups, pid, System.currentTimeMillis());
      return new Object[] {read, guard.observe(read)};
    }, false).onComplete(done -> {
      sampling = false;
      if (done.failed()) {
        LOG.log(Level.WARNING, "could not read the host", done.cause());
        return;
      }
      sample = (HostSample) done.result()[0];
      HostRefusal now = ((HostGuard.Reading) done.result()[1]).refusal();
      if (!java.util.Objects.equals(now, hostRefusal)) {
        boolean signalChanged = now == null || hostRefusal == null || now.signal() != hostRefusal.signal();
        if (signalChanged) {
          LOG.log(now == null ? Level.INFO : Level.WARNING, now == null
              ? "drone " + options.name() + " takes work again"
              : "drone " + options.name() + " takes no new work" + (now.whileBusyOnly() ? " while it runs a job" : "")
                  + ": " + now.message());
        }
        hostRefusal = now;
        if (signalChanged) {
          heartbeat();
        }
      }
    });
  }

  /** Whether the cluster still routes this drone's address to it; re-subscribes if not. */
  private void checkReachable() {
    if (stopping || commands == null) {
      return;
    }
    vertx.eventBus().request(Addresses.drone(options.name()), new Ping(options.name()),
        new DeliveryOptions().setSendTimeout(SELF_CHECK_MS)).onFailure(failure -> {
          if (failure instanceof ReplyException reply && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS
              && !stopping) {
            LOG.warning("the cluster lost drone " + options.name() + "'s subscription; subscribing again");
            listen().onComplete(done -> register());
          }
        });
  }

  // ---- commands ------------------------------------------------------------------------------

  private void onCommand(Message<Object> message) {
    if (message.body() instanceof Ping ping) {
      message.reply(ping);
    } else if (message.body() instanceof AssignJob assignment) {
      message.reply(accept(assignment));
    } else if (message.body() instanceof ChangeMode change) {
      if (change.epoch() >= epoch && change.mode() != mode) {
        LOG.info("drone " + options.name() + " is now " + change.mode().name().toLowerCase(java.util.Locale.ROOT)
            + " (" + change.reason() + ")");
        mode = change.mode();
      }
    } else if (message.body() instanceof CancelAttempt cancel) {
      if (cancel.epoch() >= epoch) {
        Attempt attempt = attempts.get(cancel.attempt().jobId());
        if (attempt != null && attempt.ref().token() == cancel.attempt().token() && attempt.running) {
          LOG.info("cancelling " + cancel.attempt() + ": " + cancel.reason());
          attempt.runner.stop(JobOutcome.CANCELLED, cancel.reason());
        }
      }
    } else {
      // Not a DroneCommand: nothing the orchestrator of this release sends.
      message.fail(ApiFailures.BAD_REQUEST, "unknown command " + message.body());
    }
  }

  private AssignReply accept(AssignJob assignment) {
    Attempt existing = attempts.get(assignment.attempt().jobId());
    if (existing != null && existing.ref().token() == assignment.attempt().token()) {
      return AssignReply.accept(options.name()); // a resend: it is already ours
    }
    if (assignment.epoch() < epoch) {
      return AssignReply.refuse(options.name(), "epoch " + assignment.epoch() + " is older than " + epoch);
    }
    if (stopping) {
      return AssignReply.refuse(options.name(), AssignReply.STOPPING);
    }
    if (mode != DroneMode.ACTIVE) {
      return AssignReply.refuse(options.name(), mode.name().toLowerCase(java.util.Locale.ROOT));
    }
    if (options.ephemeral() && ephemeralTaken) {
      return AssignReply.refuse(options.name(), "ephemeral drone already ran its job");
    }
    if (hostRefusal != null && hostRefusal.applies(runningJobs())) {
      return AssignReply.refuse(options.name(), hostRefusal);
    }
    int free = freeCores();
    if (assignment.execution().cores() > free) {
      return AssignReply.refuse(options.name(), "only " + free + " of " + options.cores() + " cores free");
    }
    epoch = Math.max(epoch, assignment.epoch());
    ephemeralTaken = true;
    if (existing != null) {
      // A newer attempt of a job we still run: the old one is stale.
      existing.discard = true;
      existing.runner.stop(JobOutcome.CANCELLED, "superseded by attempt " + assignment.attempt().attempt());
    }
    launch(assignment);
    return AssignReply.accept(options.name());
  }

  private void launch(AssignJob assignment) {
    Attempt attempt = new Attempt(assignment);
    AttemptRef ref = assignment.attempt();
    String key = ref.jobId() + "-" + ref.attempt() + "-" + Long.toHexString(ref.token());
    Path work = options.workDirectory().toAbsolutePath();
    Path logFile = work.resolve("logs").resolve(key + ".log");
    JobRunner.Setup setup = new JobRunner.Setup(baseEnv, options.killGraceMs(),
        options.keepFailedWorkspacesMs() > 0 ? work.resolve(KEPT) : null, helpers, artifacts,
        new SecretsDirectory(options.secretsDirectory()), sandbox, work.resolve(CACHES), options.logLimitBytes());
    attempt.runner = new JobRunner(assignment, work.resolve("jobs").resolve(key), logFile, fetcher, setup,
        new JobRunner.Listener() {
          @Override
          public void started(long startedAt) {
            context.runOnContext(v -> {
              attempt.startedReport = new JobStarted(options.name(), ref, startedAt);
              vertx.setTimer(STARTED_REPORT_DELAY_MS, id -> send(attempt));
            });
          }

          @Override
          public void stepsEnded() {
            context.runOnContext(v -> onStepsEnded(attempt));
          }

          @Override
          public void finished(JobRunner.Result result) {
            context.runOnContext(v -> onFinished(attempt, result));
          }
        });
    attempts.put(ref.jobId(), attempt);
    shipper.track(ref, assignment.jobToken(), logFile);
    jobThreads.execute(attempt.runner);
  }

  /**
   * The attempt's cores are free. The orchestrator hears of it only when the attempt still has
   * something to publish; otherwise its finished report follows at once and says the same. Not
   * retried: a lost one only means the cores come back with that report, as they always did.
   */
  private void onStepsEnded(Attempt attempt) {
    attempt.stepsEnded = true;
    JobExecution execution = attempt.job.execution();
    boolean publishes = !execution.artifacts().isEmpty() || execution.cache() != null
        || execution.jobSetPath() != null || !execution.reports().isEmpty();
    if (publishes && registered && !attempt.discard) {
      vertx.eventBus().request(Addresses.JOB_STEPS_ENDED, new JobStepsEnded(options.name(), attempt.ref()),
          new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS));
    }
  }

  private void onFinished(Attempt attempt, JobRunner.Result result) {
    attempt.running = false;
    shipper.complete(attempt.ref());
    LOG.log(result.outcome() == JobOutcome.SUCCEEDED ? java.util.logging.Level.FINE : java.util.logging.Level.INFO,
        () -> attempt.ref() + " (" + attempt.job.jobName() + ") " + result.outcome());
    if (attempt.discard) {
      forget(attempt);
      return;
    }
    attempt.startedReport = null;
    attempt.finishedReport = new JobFinished(options.name(), attempt.ref(), result.outcome(), result.exitCode(),
        result.failedStep(), result.logTail(), result.startedAt(), result.finishedAt(), result.message(), result.jobSet(),
        result.tests(), result.cache());
    send(attempt);
  }

  /** Orchestrator says these attempts are not current: stop them and drop their reports. */
  private void killStale(List<AttemptRef> stale) {
    for (AttemptRef ref : stale) {
      Attempt attempt = attempts.get(ref.jobId());
      if (attempt != null && attempt.ref().token() == ref.token()) {
        LOG.info("stopping stale " + ref);
        attempt.discard = true;
        if (attempt.running) {
          attempt.runner.stop(JobOutcome.CANCELLED, "no longer current");
        } else {
          forget(attempt);
        }
      }
    }
  }

  // ---- reports -------------------------------------------------------------------------------

  private void resendReports() {
    if (!registered) {
      return;
    }
    for (Attempt attempt : new ArrayList<>(attempts.values())) {
      send(attempt);
    }
  }

  /** Sends the attempt's pending report (started, then finished) until acknowledged. */
  private void send(Attempt attempt) {
    Object report = attempt.finishedReport != null ? attempt.finishedReport : attempt.startedReport;
    if (report == null || attempt.inFlight || attempt.discard || !registered) {
      return;
    }
    attempt.inFlight = true;
    String address = report instanceof JobFinished ? Addresses.JOB_FINISHED : Addresses.JOB_STARTED;
    vertx.eventBus().<ReportReply>request(address, report, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS))
        .onComplete(result -> {
          attempt.inFlight = false;
          if (result.failed()) {
            return; // retried by the timer, or on re-registration
          }
          if (!result.result().body().accepted()) {
            LOG.info("orchestrator rejected a report of " + attempt.ref() + ": " + result.result().body().reason());
          }
          if (report == attempt.startedReport) {
            attempt.startedReport = null;
          } else if (report == attempt.finishedReport) {
            attempt.finishedReport = null;
            forget(attempt);
            return;
          }
          send(attempt);
        });
  }

  private void forget(Attempt attempt) {
    if (attempts.get(attempt.ref().jobId()) == attempt) {
      attempts.remove(attempt.ref().jobId());
    }
    if (options.ephemeral() && ephemeralTaken && attempts.isEmpty()) {
      LOG.info("ephemeral drone " + options.name() + " ran its job; leaving");
      ephemeralDone.tryComplete();
    }
  }

  /** A gateway's URL, asked over the event bus; called on a job's thread, so it may wait. */
  private String findGateway() {
    try {
      return vertx.eventBus().<GatewayInfo>request(Addresses.GATEWAY_FIND, new FindGateway(options.name()),
              new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS))
          .toCompletionStage().toCompletableFuture().get(REQUEST_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS).body().url();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while looking for a gateway");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no gateway answers: " + (e.getCause() == null ? e : e.getCause()).getMessage());
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private Future<Void> waitUntil(java.util.function.BooleanSupplier condition, long timeoutMs) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    vertx.setPeriodic(20, id -> {
      if (condition.getAsBoolean() || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }

  private int runningJobs() {
    int running = 0;
    for (Attempt attempt : attempts.values()) {
      if (attempt.running) {
        running++;
      }
    }
    return running;
  }

  private int freeCores() {
    int busy = 0;
    for (Attempt attempt : attempts.values()) {
      if (attempt.running && !attempt.stepsEnded) {
        busy += attempt.job.execution().cores();
      }
    }
    return options.cores() - busy;
  }

  /** What the orchestrator should consider ours: running attempts and those with unacknowledged results. */
  private List<AttemptRef> refs() {
    List<AttemptRef> refs = new ArrayList<>();
    for (Attempt attempt : attempts.values()) {
      if (!attempt.discard) {
        refs.add(attempt.ref());
      }
    }
    return refs;
  }

  private static Map<String, String> baseEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR",
        "JAVA_HOME", "MAVEN_OPTS")) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
    return Map.copyOf(env);
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "unknown";
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
