package org.buildswarm.orchestrator.simulate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.core.Effects;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.schedule.Scheduler;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.DroneCommand;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;

/**
 * Runs a workload through the real {@link OrchestratorCore} and a {@link Scheduler} against
 * virtual drones on a virtual clock: no processes, no sleeping. Each job takes exactly its
 * duration; the planner's critical-path estimates are those durations.
 */
public final class Simulator {
  private static final long FOREVER = Long.MAX_VALUE / 4;

  private final Scheduler scheduler;

  public Simulator(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  public SimulationResult run(Workload workload) {
    return run(workload, CacheModel.NONE);
  }

  /** Runs the workload with jobs reused from a cache as {@code cache} models it. */
  public SimulationResult run(Workload workload, CacheModel cache) {
    Checked checked = validate(workload);
    Map<String, Integer> index = checked.index();
    List<Workload.Job> jobs = workload.jobs();
    List<List<Integer>> needs = new ArrayList<>(jobs.size());
    long[] durations = new long[jobs.size()];
    for (int i = 0; i < jobs.size(); i++) {
      List<Integer> resolved = new ArrayList<>();
      for (String need : jobs.get(i).needs()) {
        resolved.add(index.get(need));
      }
      needs.add(resolved);
      durations[i] = Math.max(1, jobs.get(i).durationMs());
    }
    int cached = 0;
    long savedCoreMs = 0;
    if (cache.hitRate() > 0) {
      java.util.Random random = new java.util.Random(cache.seed());
      boolean[] ran = new boolean[jobs.size()];
      for (int i = 0; i < jobs.size(); i++) {
        ran[i] = random.nextDouble() >= cache.hitRate();
      }
      for (int job : checked.topologicalOrder()) {
        for (int need : needs.get(job)) {
          ran[job] |= ran[need];
        }
        if (!ran[job]) {
          cached++;
          savedCoreMs += (durations[job] - Math.min(durations[job], Math.max(1, cache.hitMs()))) * jobs.get(job).cores();
          durations[job] = Math.min(durations[job], Math.max(1, cache.hitMs()));
        }
      }
    }
    long[] criticalPath = Planner.criticalPaths(needs, durations);

    long runId = 1;
    List<StoredJob> stored = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      Workload.Job job = jobs.get(i);
      PlannedJob plan = new PlannedJob(i, job.id(), job.id(), job.cores(), new LinkedHashSet<>(job.labels()), Map.of(),
          List.of(new Step("simulated", "true")), FOREVER, 0, 0, needs.get(i), durations[i], criticalPath[i],
          List.of(), List.of(), List.of(), null, null);
      JobState state = needs.get(i).isEmpty() ? JobState.QUEUED : JobState.WAITING;
      stored.add(new StoredJob(i + 1, runId, plan,
          new JobStatus(state, 0, 0, null, 0, 0, null, null, List.of(), null, null, null, null)));
    }

    Clock clock = new Clock();
    Recorder recorder = new Recorder(clock, workload, durations);
    CoreOptions options = new CoreOptions(FOREVER, FOREVER, 0, 0, Integer.MAX_VALUE, 1, 0, 10);
    // Nothing leaves the simulation: its job tokens need only be well-formed.
    OrchestratorCore core = new OrchestratorCore(options, scheduler, clock::now, recorder, 1,
        new org.buildswarm.protocol.auth.JobTokens(new byte[32]));
    for (Workload.Drone drone : workload.drones()) {
      DroneMode active = DroneMode.ACTIVE;
      core.drones().register(new RegisterDrone(drone.name(), ProtocolVersion.CURRENT, "virtual", drone.cores(),
          drone.labels(), active, false, List.of()));
    }
    core.addRun(new StoredRun(runId, "simulation", "simulation", SourceSpec.none(), Trigger.MANUAL, null, 0,
        RunState.QUEUED, null, stored));

    core.schedule();
    core.tick(); // jobs no drone can run fail now (grace 0), and so do the jobs that need them
    core.schedule();
    while (!recorder.finishing.isEmpty()) {
      long next = recorder.finishing.peek().at();
      clock.time = next;
      while (!recorder.finishing.isEmpty() && recorder.finishing.peek().at() == next) {
        Running done = recorder.finishing.poll();
        recorder.free(done);
        core.finished(new JobFinished(done.drone(), done.assignment().attempt(), JobOutcome.SUCCEEDED, 0, null, List.of(),
            done.startMs(), next, null));
      }
      core.schedule();
    }

    List<String> unschedulable = new ArrayList<>();
    for (JobView job : core.runDetail(runId).orElseThrow().jobs()) {
      if (job.state() != JobState.SUCCEEDED) {
        unschedulable.add(job.name() + ": " + job.reason());
      }
    }
    long totalCores = 0;
    for (Workload.Drone drone : workload.drones()) {
      totalCores += drone.cores();
    }
    long coreTime = 0;
    long longest = 0;
    for (int i = 0; i < jobs.size(); i++) {
      coreTime += durations[i] * jobs.get(i).cores();
      longest = Math.max(longest, durations[i]);
    }
    long path = 0;
    for (long value : criticalPath) {
      path = Math.max(path, value);
    }
    long workBound = totalCores == 0 ? 0 : (coreTime + totalCores - 1) / totalCores;
    long lowerBound = Math.max(path, Math.max(workBound, longest));
    long makespan = recorder.makespan;
    long usedCoreTime = 0;
    for (SimulationResult.Slice slice : recorder.slices) {
      usedCoreTime += (slice.endMs() - slice.startMs()) * slice.cores();
    }
    double utilization = makespan == 0 || totalCores == 0 ? 0 : (double) usedCoreTime / ((double) makespan * totalCores);
    long phased = Math.max(lowerBound, phasedLowerBound(needs, durations, jobs, checked.topologicalOrder(), totalCores));
    return new SimulationResult(makespan, lowerBound, path, workBound, longest, phased, utilization,
        recorder.slices.size(), unschedulable, recorder.slices, cached, savedCoreMs);
  }

  /**
   * max over t of (t + core-time of jobs whose earliest possible start is at least t ÷ cores): those
   * jobs cannot begin before t, so even perfectly packed they need that long after it.
   */
  static long phasedLowerBound(
      List<List<Integer>> needs, long[] durations, List<Workload.Job> jobs, List<Integer> topological, long totalCores) {
    int count = durations.length;
    if (count == 0 || totalCores == 0) {
      return 0;
    }
    long[] earliest = new long[count];
    for (int job : topological) {
      for (int need : needs.get(job)) {
        earliest[job] = Math.max(earliest[job], earliest[need] + durations[need]);
      }
    }
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Long.compare(earliest[y], earliest[x]));
    long bound = 0;
    long work = 0;
    for (int position = 0; position < count; position++) {
      int job = order[position];
      work += durations[job] * jobs.get(job).cores();
      boolean lastOfItsTime = position + 1 == count || earliest[order[position + 1]] != earliest[job];
      if (lastOfItsTime) {
        bound = Math.max(bound, earliest[job] + (work + totalCores - 1) / totalCores);
      }
    }
    return bound;
  }

  /** A checked workload: each job's index by id, and the jobs in an order where needs come first. */
  record Checked(Map<String, Integer> index, List<Integer> topologicalOrder) {}

  /** Checks the workload: unique names, known needs, no cycle. */
  static Checked validate(Workload workload) {
    Map<String, Integer> index = new HashMap<>();
    Set<String> drones = new LinkedHashSet<>();
    for (Workload.Drone drone : workload.drones()) {
      if (drone.name() == null || !drones.add(drone.name())) {
        throw new IllegalArgumentException("drone names must be present and unique: " + drone.name());
      }
      if (drone.cores() < 1) {
        throw new IllegalArgumentException("drone " + drone.name() + " needs at least one core");
      }
    }
    for (int i = 0; i < workload.jobs().size(); i++) {
      Workload.Job job = workload.jobs().get(i);
      if (job.id() == null || index.put(job.id(), i) != null) {
        throw new IllegalArgumentException("job ids must be present and unique: " + job.id());
      }
      if (job.durationMs() <= 0) {
        throw new IllegalArgumentException("job " + job.id() + " needs a duration_ms above 0");
      }
    }
    for (Workload.Job job : workload.jobs()) {
      for (String need : job.needs()) {
        if (!index.containsKey(need)) {
          throw new IllegalArgumentException("job " + job.id() + " needs " + need + ", which is not a job");
        }
      }
    }
    int[] remaining = new int[workload.jobs().size()];
    List<List<Integer>> dependents = new ArrayList<>();
    for (int i = 0; i < remaining.length; i++) {
      dependents.add(new ArrayList<>());
    }
    for (int i = 0; i < remaining.length; i++) {
      for (String need : workload.jobs().get(i).needs()) {
        remaining[i]++;
        dependents.get(index.get(need)).add(i);
      }
    }
    java.util.ArrayDeque<Integer> free = new java.util.ArrayDeque<>();
    for (int i = 0; i < remaining.length; i++) {
      if (remaining[i] == 0) {
        free.add(i);
      }
    }
    List<Integer> order = new ArrayList<>(remaining.length);
    while (!free.isEmpty()) {
      int job = free.poll();
      order.add(job);
      for (int dependent : dependents.get(job)) {
        if (--remaining[dependent] == 0) {
          free.add(dependent);
        }
      }
    }
    if (order.size() != remaining.length) {
      throw new IllegalArgumentException("the jobs' needs form a cycle");
    }
    return new Checked(index, order);
  }

  private static final class Clock {
    long time;

    long now() {
      return time;
    }
  }

  private record Running(AssignJob assignment, String drone, List<Integer> lanes, long startMs, long at) {}

  /** The virtual drones: starts jobs on free core lanes and knows when each ends. */
  private static final class Recorder implements Effects {
    final Clock clock;
    final Map<String, Integer> jobIndex = new HashMap<>();
    final Map<String, boolean[]> lanes = new HashMap<>();
    final Map<String, Long> durations = new HashMap<>();
    final PriorityQueue<Running> finishing = new PriorityQueue<>(
        java.util.Comparator.comparingLong(Running::at).thenComparing(r -> r.assignment().jobName()));
    final List<SimulationResult.Slice> slices = new ArrayList<>();
    long makespan;

    /** @param jobDurations how long each job of the workload takes this time, in its order */
    Recorder(Clock clock, Workload workload, long[] jobDurations) {
      this.clock = clock;
      for (Workload.Drone drone : workload.drones()) {
        lanes.put(drone.name(), new boolean[drone.cores()]);
      }
      for (int i = 0; i < workload.jobs().size(); i++) {
        durations.put(workload.jobs().get(i).id(), jobDurations[i]);
      }
    }

    @Override
    public void assign(String drone, AssignJob assignment) {
      long start = clock.time;
      long end = start + durations.get(assignment.jobName());
      List<Integer> taken = take(lanes.get(drone), assignment.execution().cores());
      finishing.add(new Running(assignment, drone, taken, start, end));
      slices.add(new SimulationResult.Slice(assignment.jobName(), drone, taken, start, end));
      makespan = Math.max(makespan, end);
    }

    void free(Running running) {
      boolean[] used = lanes.get(running.drone());
      for (int lane : running.lanes()) {
        used[lane] = false;
      }
    }

    /** A contiguous block of free lanes when there is one (a tidy timeline), else any free lanes. */
    private static List<Integer> take(boolean[] used, int cores) {
      List<Integer> taken = new ArrayList<>(cores);
      for (int start = 0; start + cores <= used.length && taken.isEmpty(); start++) {
        boolean free = true;
        for (int lane = start; lane < start + cores && free; lane++) {
          free = !used[lane];
        }
        if (free) {
          for (int lane = start; lane < start + cores; lane++) {
            taken.add(lane);
          }
        }
      }
      for (int lane = 0; lane < used.length && taken.size() < cores; lane++) {
        if (!used[lane] && !taken.contains(lane)) {
          taken.add(lane);
        }
      }
      for (int lane : taken) {
        used[lane] = true;
      }
      return taken;
    }

    @Override
    public void command(String drone, DroneCommand command) {}

    @Override
    public void record(StateChange change) {}

    @Override
    public void publish(RunEvent event) {}
  }
}
