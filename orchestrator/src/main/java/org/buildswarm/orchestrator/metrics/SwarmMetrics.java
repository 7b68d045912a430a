package org.buildswarm.orchestrator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.api.DroneList;
import org.buildswarm.protocol.api.DroneView;
import org.buildswarm.protocol.api.SwarmStatus;

/**
 * The swarm's metrics, as Prometheus sees them (DESIGN.md §7): the queue, job results, durations
 * and dispatch latency, and every drone's cores, load and memory from its heartbeats — so one
 * scrape target shows the whole swarm. Gauges read a snapshot refreshed on the orchestrator's
 * thread; a scrape from any thread never touches the core.
 */
public final class SwarmMetrics {
  private static final List<JobState> QUEUE_STATES = List.of(JobState.WAITING, JobState.QUEUED,
      JobState.UNSCHEDULABLE, JobState.ASSIGNED, JobState.RUNNING, JobState.HELD);

  private final MeterRegistry registry;
  private final AtomicReference<SwarmStatus> status = new AtomicReference<>();
  private final MultiGauge droneUp;
  private final MultiGauge droneCores;
  private final MultiGauge droneLoad;
  private final MultiGauge droneMemory;
  private final MultiGauge droneAccepting;
  private final Timer jobDuration;
  private final Timer dispatchLatency;
  private final Map<JobState, Counter> finished = new HashMap<>();
  private final Counter staleReports;
  private final Counter leasesExpired;
  private final Counter retried;
  /** When each job last became ready, for the dispatch latency. */
  private final Map<Long, Long> readyAt = new HashMap<>();

  public SwarmMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (JobState state : QUEUE_STATES) {
      Gauge.builder("buildswarm.queue.jobs", status, s -> s.get() == null ? 0 : s.get().jobsByState().getOrDefault(state, 0))
          .tag("state", state.name().toLowerCase(Locale.ROOT)).description("Jobs of active runs, by state")
          .register(registry);
    }
    Gauge.builder("buildswarm.queue.oldest.wait", status, s -> s.get() == null || s.get().oldestQueuedAt() == null ? 0
            : (s.get().at() - s.get().oldestQueuedAt()) / 1000.0)
        .baseUnit("seconds").description("How long the longest-waiting ready job has waited").register(registry);
    for (org.buildswarm.protocol.api.WaitReason.Code code : org.buildswarm.protocol.api.WaitReason.Code.values()) {
      if (code == org.buildswarm.protocol.api.WaitReason.Code.NEEDS) {
        continue; // jobs behind their needs are not queued
      }
      Gauge.builder("buildswarm.queue.waiting.jobs", status, s -> s.get() == null ? 0
              : s.get().waitingByReason().getOrDefault(code, 0))
          .tag("reason", code.label()).description("Ready jobs that are not running, by why they wait")
          .register(registry);
    }
    Gauge.builder("buildswarm.store.available", status, s -> s.get() == null || s.get().storeAvailable() ? 1 : 0)
        .description("1 while the store takes writes").register(registry);
    for (JobState state : List.of(JobState.SUCCEEDED, JobState.FAILED, JobState.SKIPPED, JobState.CANCELLED)) {
      finished.put(state, Counter.builder("buildswarm.jobs").tag("result", state.name().toLowerCase(Locale.ROOT))
          .description("Jobs that ended, by result").register(registry));
    }
    staleReports = Counter.builder("buildswarm.stale.reports")
        .description("Drone reports rejected because their fencing token was not current").register(registry);
    leasesExpired = Counter.builder("buildswarm.leases.expired")
        .description("Drones declared lost when their lease ran out").register(registry);
    retried = Counter.builder("buildswarm.jobs.retried")
        .description("Jobs that ended and were sent back to run again by a person (retry, retry failed jobs)")
        .register(registry);
    jobDuration = Timer.builder("buildswarm.job.duration").description("Time from a job's start to its end")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(6))
        .register(registry);
    dispatchLatency = Timer.builder("buildswarm.dispatch.latency")
        .description("Time from a job being ready to its first step's process starting")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    droneUp = MultiGauge.builder("buildswarm.drone.up").description("1 while the drone holds its lease").register(registry);
    droneCores = MultiGauge.builder("buildswarm.drone.cores").description("A drone's cores, total and busy").register(registry);
    droneLoad = MultiGauge.builder("buildswarm.drone.load1").description("A drone's 1-minute load average").register(registry);
    droneMemory = MultiGauge.builder("buildswarm.drone.memory").baseUnit("bytes")
        .description("A drone's memory, total and available").register(registry);
    droneAccepting = MultiGauge.builder("buildswarm.drone.accepting")
        .description("1 while the drone takes new work; 0 while it is refusing, paused, draining, grounded or lost")
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Everything in the registry, in the Prometheus text format (empty if it is not a Prometheus registry). */
  public String scrape() {
    return registry instanceof io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus ? prometheus.scrape() : "";
  }

  /** Takes the core's current numbers; call on the orchestrator's thread. */
  public void refresh(SwarmStatus current, DroneList drones) {
    SwarmStatus previous = status.getAndSet(current);
    long stale = current.staleReports() - (previous == null ? 0 : previous.staleReports());
    long expired = current.leasesExpired() - (previous == null ? 0 : previous.leasesExpired());
    if (stale > 0) {
      staleReports.increment(stale);
    }
    if (expired > 0) {
      leasesExpired.increment(expired);
    }
    List<MultiGauge.Row<?>> up = new ArrayList<>();
    List<MultiGauge.Row<?>> cores = new ArrayList<>();
    List<MultiGauge.Row<?>> load = new ArrayList<>();
    List<MultiGauge.Row<?>> memory = new ArrayList<>();
    List<MultiGauge.Row<?>> accepting = new ArrayList<>();
    long elapsedMs = previous == null ? 0 : Math.max(0, current.at() - previous.at());
    for (DroneView drone : drones.drones()) {
      Tags tags = Tags.of("drone", drone.name());
      accepting.add(MultiGauge.Row.of(tags, drone.accepting() ? 1 : 0));
      // Registered from a drone's first heartbeat, so the series exists (at 0) before the first refusal.
      Counter refusing = Counter.builder("buildswarm.drone.refusing").baseUnit("seconds").tags(tags)
          .description("Time a drone's host guard held back new work while the drone was online")
          .register(registry);
      if ("unavailable".equals(drone.state()) && elapsedMs > 0) {
        refusing.increment(elapsedMs / 1000.0);
      }
      up.add(MultiGauge.Row.of(tags, "lost".equals(drone.state()) || "reconnecting".equals(drone.state()) ? 0 : 1));
      cores.add(MultiGauge.Row.of(tags.and("state", "total"), drone.cores()));
      cores.add(MultiGauge.Row.of(tags.and("state", "busy"), drone.busyCores()));
      if (drone.load1() >= 0) {
        load.add(MultiGauge.Row.of(tags, drone.load1()));
      }
      if (drone.memoryTotalBytes() > 0) {
        memory.add(MultiGauge.Row.of(tags.and("state", "total"), drone.memoryTotalBytes()));
        memory.add(MultiGauge.Row.of(tags.and("state", "available"), drone.memoryAvailableBytes()));
      }
    }
    droneUp.register(up, true);
    droneCores.register(cores, true);
    droneLoad.register(load, true);
    droneMemory.register(memory, true);
    droneAccepting.register(accepting, true);
  }

  /** Observes a state change the core recorded (results, durations, dispatch latency). */
  public void observe(StateChange change) {
    JobStatus job = change.jobStatus();
    if (job == null || change.jobId() == null) {
      return;
    }
    switch (change.type()) {
      case JOB_QUEUED, JOB_REQUEUED, JOB_RETRY_SCHEDULED, JOB_SCHEDULABLE -> readyAt.put(change.jobId(), change.at());
      case JOB_STARTED -> {
        Long ready = readyAt.remove(change.jobId());
        if (ready != null && job.startedAt() != null && job.startedAt() >= ready) {
          dispatchLatency.record(Duration.ofMillis(job.startedAt() - ready));
        }
      }
      case JOB_SUCCEEDED, JOB_FAILED, JOB_SKIPPED, JOB_CANCELLED -> {
        readyAt.remove(change.jobId());
        Counter counter = finished.get(job.state());
        if (counter != null) {
          counter.increment();
        }
        if (job.startedAt() != null && job.finishedAt() != null && job.state() != JobState.SKIPPED) {
          jobDuration.record(Duration.ofMillis(Math.max(0, job.finishedAt() - job.startedAt())));
        }
      }
      case JOB_RETRIED -> {
        readyAt.remove(change.jobId());
        retried.increment();
      }
      default -> { }
    }
  }
}
