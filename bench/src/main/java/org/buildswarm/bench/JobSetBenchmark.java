package org.buildswarm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.buildswarm.orchestrator.core.CoreOptions;
import org.buildswarm.orchestrator.core.Effects;
import org.buildswarm.orchestrator.core.OrchestratorCore;
import org.buildswarm.orchestrator.plan.JobSetPlan;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.plan.RunPlan;
import org.buildswarm.orchestrator.schedule.impl.BestFitScheduler;
import org.buildswarm.orchestrator.simulate.Workload;
import org.buildswarm.orchestrator.store.JobStatus;
import org.buildswarm.orchestrator.store.StateChange;
import org.buildswarm.orchestrator.store.StoredJob;
import org.buildswarm.orchestrator.store.StoredRun;
import org.buildswarm.protocol.DroneMode;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.ProtocolVersion;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.Trigger;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.DroneCommand;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A distribution rebuild of {@code packages} packages (the {@link DistroRebuild} graph) reaching the
 * orchestrator two ways, each from text to jobs tracked by the core: as a job set a running job
 * emitted (validated, planned, joined to the run in one change), and as the same jobs written in a
 * pipeline file submitted as a new run. The second is the comparison: a job set should cost about
 * what submitting the same jobs costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-XX:ActiveProcessorCount=1", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class JobSetBenchmark {
  private static final String EMITTER = "jobs:\n  plan:\n    steps: [./list-packages]\n    jobset: jobs.json\n"
      + "  publish:\n    needs: [plan]\n    steps: [./publish]\n";

  @Param({"500", "5000"})
  int packages;

  private String jobSetJson;
  private String pipelineYaml;
  private OrchestratorCore core;
  private JobFinished emitted;

  @Setup(Level.Trial)
  public void generate() {
    List<Workload.Job> jobs = DistroRebuild.packages(packages, 42);
    StringBuilder json = new StringBuilder("{\"jobs\": {");
    StringBuilder yaml = new StringBuilder("jobs:\n");
    for (int i = 0; i < jobs.size(); i++) {
      Workload.Job job = jobs.get(i);
      json.append(i == 0 ? "" : ",").append("\n  ").append(ProtocolJson.toJson(job.id())).append(": {\"cores\": ")
          .append(job.cores()).append(", \"needs\": ").append(ProtocolJson.toJson(job.needs()))
          .append(", \"steps\": [\"make -C ").append(job.id()).append("\"]}");
      yaml.append("  ").append(job.id()).append(":\n    cores: ").append(job.cores()).append("\n    needs: ")
          .append(ProtocolJson.toJson(job.needs())).append("\n    steps: [\"make -C ").append(job.id()).append("\"]\n");
    }
    jobSetJson = json.append("\n}}\n").toString();
    pipelineYaml = yaml.toString();
  }

  /** A fresh core with one drone running the emitter of a two-job run. */
  @Setup(Level.Invocation)
  public void freshCore() throws Exception {
    core = new OrchestratorCore(CoreOptions.defaults(), new BestFitScheduler(), System::currentTimeMillis,
        new Discard(), 1, new org.buildswarm.protocol.auth.JobTokens(new byte[32]));
    core.drones().register(new RegisterDrone("d", ProtocolVersion.CURRENT, "h", 64, List.of(), DroneMode.ACTIVE,
        false, List.of()));
    core.addRun(stored(1, new Planner(PlannerOptions.defaults()).plan(new PipelineReader().read(".buildswarm.yml", EMITTER))));
    core.schedule();
    AssignJob plan = Discard.last;
    emitted = new JobFinished("d", plan.attempt(), JobOutcome.SUCCEEDED, 0, null, List.of(), 1, 2, null, jobSetJson);
  }

  @Benchmark
  public Object jobSet() throws Exception {
    JobSetPlan plan = new JobSetPlan(new Planner(PlannerOptions.defaults())
        .plan(new PipelineReader(LIMITS).readJobSet("jobs.json", jobSetJson)).jobs(), null);
    core.finished(emitted, plan);
    core.schedule();
    return core.runDetail(1).orElseThrow().jobs().size();
  }

  @Benchmark
  public Object pipeline() throws Exception {
    RunPlan plan = new Planner(PlannerOptions.defaults())
        .plan(new PipelineReader(LIMITS).read(".buildswarm.yml", pipelineYaml));
    core.addRun(stored(2, plan));
    core.schedule();
    return core.runDetail(2).orElseThrow().jobs().size();
  }

  /** Room for the largest set measured (the default limits allow 5,000 jobs in 1 MiB). */
  private static final org.buildswarm.protocol.pipeline.PipelineLimits LIMITS =
      new org.buildswarm.protocol.pipeline.PipelineLimits(8 << 20, 64, 100_000, 20_000, 256);

  private static StoredRun stored(long runId, RunPlan plan) {
    List<StoredJob> jobs = new ArrayList<>();
    long id = runId * 1_000_000;
    for (PlannedJob job : plan.jobs()) {
      jobs.add(new StoredJob(id++, runId, job, new JobStatus(job.initialState(),
          0, 0, null, 0, 0, null, null, List.of(), null, null, null, null)));
    }
    return new StoredRun(runId, "distro", plan.pipelineName(), SourceSpec.none(), Trigger.PUSH, "bench", 0,
        RunState.QUEUED, null, jobs);
  }

  /** Effects that go nowhere, keeping the last assignment. */
  private static final class Discard implements Effects {
    static AssignJob last;

    @Override
    public void assign(String drone, AssignJob assignment) {
      last = assignment;
    }

    @Override
    public void command(String drone, DroneCommand command) {}

    @Override
    public void record(StateChange change) {}

    @Override
    public void publish(RunEvent event) {}
  }
}
