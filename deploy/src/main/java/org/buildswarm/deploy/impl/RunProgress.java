package org.buildswarm.deploy.impl;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.JobTests;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.api.WaitReason;

/**
 * Prints a run's progress, one line per job change, in the order the changes happened (from the
 * live events), with the failing step's last lines under a failed job, and a job's test results
 * (from the JUnit XML reports it declares) under it once it ended.
 */
public final class RunProgress {
  /** A job's reason for waiting is printed once it has waited this long (shorter waits are not news). */
  public static final long WAIT_NOTICE_MS = 3_000;

  private final PrintStream out;
  private final Map<Long, String> printed = new HashMap<>();
  private final Map<Long, Long> runningSince = new HashMap<>();
  /** Jobs that could run but do not yet, and since when we saw them so. */
  private final Map<Long, Long> waitingSince = new HashMap<>();
  /** The last wait reason printed for each job, its numbers blanked (a countdown is not a new reason). */
  private final Map<Long, String> printedWait = new HashMap<>();

  /** How many failed tests are named under a job; the rest are counted. */
  static final int FAILURES_SHOWN = 5;
  private static final int MESSAGE_SHOWN = 200;

  /** Looks a job's test results up (its failures); null when they cannot be read. */
  private final LongFunction<JobTests> tests;

  public RunProgress(PrintStream out) {
    this(out, jobId -> null);
  }

  /** @param tests looks a job's test results up, for the failures under a job whose tests failed */
  public RunProgress(PrintStream out, LongFunction<JobTests> tests) {
    this.out = out;
    this.tests = tests;
  }

  /**
   * Prints one live event.
   *
   * @param job looks a job up when the event alone does not say enough (a failure's last lines)
   */
  public void event(RunEvent event, LongFunction<JobView> job) {
    if (event.jobId() == null || event.jobState() == null) {
      return;
    }
    JobView view = new JobView(event.jobId(), event.runId(), event.jobName(), event.jobState(), 0, null, null, 0,
        event.drone(), null, null, null, event.reason(), null, null, null, null, event.tests());
    if (event.jobState() == JobState.RUNNING) {
      runningSince.put(event.jobId(), event.at());
    }
    noteWaiting(event.jobId(), event.jobState(), event.at());
    String took = event.jobState().isTerminal() && runningSince.containsKey(event.jobId())
        ? seconds(event.at() - runningSince.get(event.jobId())) : "";
    if (event.jobState() == JobState.FAILED) {
      JobView full = job.apply(event.jobId());
      print(full == null ? view : full, took, event.type());
    } else {
      print(view, took, event.type());
    }
    out.flush();
  }

  /** Prints whatever changed since the last call, from a full read of the run (when live events are not available). */
  public void update(RunDetail detail) {
    update(detail, System.currentTimeMillis());
  }

  /**
   * Prints whatever changed since the last call, from a full read of the run, and why each job
   * that could run does not, once it has waited {@link #WAIT_NOTICE_MS} and again when the reason changes.
   */
  public void update(RunDetail detail, long now) {
    for (JobView job : detail.jobs()) {
      String took = job.startedAt() != null && job.finishedAt() != null ? seconds(job.finishedAt() - job.startedAt()) : "";
      print(job, took, null);
      noteWaiting(job.id(), job.state(), now);
      printWait(job, now);
    }
    out.flush();
  }

  /** Whether some job could run but does not (so the run is worth reading again for its reasons). */
  public boolean anyWaiting() {
    return !waitingSince.isEmpty();
  }

  private void noteWaiting(long jobId, JobState state, long at) {
    if (state == JobState.QUEUED || state == JobState.UNSCHEDULABLE || state == JobState.HELD) {
      waitingSince.putIfAbsent(jobId, at);
    } else {
      waitingSince.remove(jobId);
      printedWait.remove(jobId);
    }
  }

  private void printWait(JobView job, long now) {
    WaitReason wait = job.waiting();
    Long since = waitingSince.get(job.id());
    if (wait == null || since == null || now - since < WAIT_NOTICE_MS || wait.code() == WaitReason.Code.PLACING
        || wait.code() == WaitReason.Code.STARTING || wait.code() == WaitReason.Code.NEEDS) {
      return;
    }
    if (!waitKey(wait.message()).equals(printedWait.put(job.id(), waitKey(wait.message())))) {
      line(wait.code() == WaitReason.Code.HELD ? "held" : "waiting", job, wait.message());
    }
  }

  /** A reason with its numbers blanked: a countdown or a moving percentage is not a new reason. */
  private static String waitKey(String message) {
    return message == null ? "" : message.replaceAll("[0-9]+", "#");
  }

  /**
   * Prints a job's line unless it is the same change as the last one printed for it.
   *
   * @param eventType the live event's type, or null when the job comes from a read of the run
   */
  private void print(JobView job, String took, EventType eventType) {
    String key = job.state() + "/" + job.reason() + (job.state() == JobState.RUNNING ? "/" + job.drone() : "");
    if (key.equals(printed.put(job.id(), key))) {
      return;
    }
    switch (job.state()) {
      case WAITING, ASSIGNED -> { }
      case QUEUED -> {
        String what = queuedWord(job, eventType);
        if (what.equals("waiting")) {
          printedWait.put(job.id(), waitKey(job.reason()));
        }
        line(what, job, job.reason());
      }
      case UNSCHEDULABLE -> line("stuck", job, job.reason());
      case RUNNING -> line("running", job, "on " + job.drone());
      case SUCCEEDED -> {
        line(job.reason() != null && job.reason().startsWith("cached from run ") ? "cached" : "passed", job,
            job.reason() != null && job.reason().startsWith("cached from run ") ? job.reason() : took);
        printTests(job);
      }
      case FAILED -> {
        line("FAILED", job, (job.reason() == null ? "" : job.reason()) + (took.isEmpty() ? "" : "  " + took));
        printTests(job);
        for (String tail : job.logTail()) {
          out.println("             | " + Terminal.shown(tail));
        }
      }
      case SKIPPED -> line("skipped", job, job.reason());
      case CANCELLED -> line("cancelled", job, job.reason());
    }
  }

  /** The job's test summary, then the first failed tests with their messages. */
  private void printTests(JobView job) {
    TestSummary summary = job.tests();
    if (summary == null) {
      return;
    }
    out.println("             tests: " + describe(summary));
    if (!summary.anyFailed()) {
      return;
    }
    JobTests results = tests.apply(job.id());
    if (results == null) {
      return;
    }
    List<TestFailure> failures = results.failures();
    for (TestFailure failure : failures.subList(0, Math.min(FAILURES_SHOWN, failures.size()))) {
      String name = failure.classname() == null || failure.classname().isEmpty() ? failure.name()
          : failure.classname() + "." + failure.name();
      String message = failure.message() == null ? "" : failure.message().strip().lines().findFirst().orElse("");
      if (message.length() > MESSAGE_SHOWN) {
        message = message.substring(0, MESSAGE_SHOWN) + "…";
      }
      out.println("               \u2717 " + Terminal.shown(name) + (message.isEmpty() ? "" : ": " + Terminal.shown(message)));
    }
    int more = summary.failed() + summary.errored() - Math.min(FAILURES_SHOWN, failures.size());
    if (more > 0) {
      out.println("               … and " + more + " more (GET /api/v1/jobs/" + job.id() + "/tests)");
    }
  }

  /** {@code 120 passed, 2 failed, 3 skipped}: passed always, the others when there are any. */
  static String describe(TestSummary summary) {
    StringBuilder text = new StringBuilder().append(summary.passed()).append(" passed");
    if (summary.failed() > 0) {
      text.append(", ").append(summary.failed()).append(" failed");
    }
    if (summary.errored() > 0) {
      text.append(", ").append(summary.errored()).append(" errored");
    }
    if (summary.skipped() > 0) {
      text.append(", ").append(summary.skipped()).append(" skipped");
    }
    return text.toString();
  }

  /**
   * How a queued job's line reads: queued; waiting (behind another run's deploy or its concurrency
   * group: news at once); retrying (after its own failure); or requeued (its drone let it go).
   */
  private static String queuedWord(JobView job, EventType eventType) {
    if (job.reason() == null) {
      return "queued";
    }
    if (eventType != null) {
      return switch (eventType) {
        case JOB_QUEUED -> "waiting";
        case JOB_RETRY_SCHEDULED -> "retrying";
        default -> "requeued";
      };
    }
    WaitReason.Code code = job.waiting() == null ? null : job.waiting().code();
    if (code == WaitReason.Code.DEPLOY_GATE || code == WaitReason.Code.CONCURRENCY_GATE) {
      return "waiting";
    }
    return code == WaitReason.Code.RETRY_BACKOFF ? "retrying" : "requeued";
  }

  /** The closing line; returns whether the run succeeded. */
  public boolean summary(RunDetail detail) {
    StringBuilder parts = new StringBuilder();
    for (Map.Entry<JobState, Integer> count : new TreeMap<>(detail.run().jobCounts()).entrySet()) {
      if (parts.length() > 0) {
        parts.append(", ");
      }
      parts.append(count.getValue()).append(' ').append(word(count.getKey()));
    }
    long took = (detail.run().finishedAt() == null ? System.currentTimeMillis() : detail.run().finishedAt())
        - detail.run().createdAt();
    out.printf(Locale.ROOT, "run #%d %s in %s: %s%n", detail.run().id(),
        detail.run().state().name().toLowerCase(Locale.ROOT), seconds(took), parts);
    out.flush();
    return detail.run().state() == RunState.SUCCEEDED;
  }

  private void line(String what, JobView job, String detail) {
    out.printf(Locale.ROOT, "  %-10s %s%s%n", what, Terminal.shown(job.name()),
        detail == null || detail.isBlank() ? "" : "  " + Terminal.shown(detail));
  }

  /** 0.08s, 4.25s, 12.3s, 3m 05s: a job of 77 ms does not show as 0.0s. */
  static String seconds(long millis) {
    long ms = Math.max(0, millis);
    if (ms >= 60_000) {
      return String.format(Locale.ROOT, "%dm %02ds", ms / 60_000, (ms % 60_000) / 1000);
    }
    return String.format(Locale.ROOT, ms < 10_000 ? "%.2fs" : "%.1fs", ms / 1000.0);
  }

  private static String word(JobState state) {
    return switch (state) {
      case SUCCEEDED -> "passed";
      case FAILED -> "failed";
      case SKIPPED -> "skipped";
      case CANCELLED -> "cancelled";
      default -> state.name().toLowerCase(Locale.ROOT);
    };
  }
}
