package org.buildswarm.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.buildswarm.orchestrator.plan.Planner;
import org.buildswarm.orchestrator.plan.PlannerOptions;
import org.buildswarm.orchestrator.plan.PlannedJob;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobCacheResult;
import org.buildswarm.protocol.message.JobCacheSpec;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.junit.jupiter.api.Test;

/** What the core does with jobs that declare {@code cache:}: keys passed on, hits shown, estimates kept honest. */
class JobCacheCoreTest {
  private static final String PIPELINE = """
      jobs:
        lib:
          cache: {inputs: [lib/], outputs: [out/]}
          steps: [make lib]
        app:
          needs: lib
          matrix: {os: [linux, mac]}
          cache: {inputs: ["app/${{ matrix.os }}/"], env: [CC], outputs: [out/app]}
          steps: ["make app OS=${{ matrix.os }}"]
        docs:
          steps: [make docs]
      """;

  private static void finish(CoreFixture f, AssignJob assignment, JobCacheResult cache, long tookMs) {
    long now = f.time.get();
    f.core.finished(new JobFinished(f.droneOf(assignment), assignment.attempt(), JobOutcome.SUCCEEDED, 0, null,
        List.of(), now - tookMs, now, null, null, null, cache));
    f.core.schedule();
  }

  @Test
  void theDefinitionKeyFollowsWhatTheJobDoesAndEachVariantHasItsOwn() throws Exception {
    List<PlannedJob> jobs = new Planner(PlannerOptions.defaults())
        .plan(new PipelineReader().read(".buildswarm.yml", PIPELINE)).jobs();
    List<PlannedJob> again = new Planner(PlannerOptions.defaults())
        .plan(new PipelineReader().read(".buildswarm.yml", PIPELINE)).jobs();
    assertThat(jobs.get(0).cache().definitionKey()).matches("[0-9a-f]{64}").isEqualTo(again.get(0).cache().definitionKey());
    assertThat(jobs.get(1).cache().definitionKey()).isNotEqualTo(jobs.get(2).cache().definitionKey());
    assertThat(jobs.get(1).cache().inputs()).containsExactly("app/linux/");
    PlannedJob publishing = new Planner(PlannerOptions.defaults()).plan(new PipelineReader().read(".buildswarm.yml",
        PIPELINE.replace("steps: [make lib]", "steps: [make lib]\n    artifacts: [{path: \"dist/lib*.a\", name: lib}]\n"
            + "    jobset: more.json"))).jobs().get(0);
    assertThat(publishing.cache().outputs()).as("what a hit publishes and emits is kept too")
        .containsExactly("out/", "dist/lib?.a", "more.json");
    assertThat(jobs.get(3).cache()).isNull();
    List<PlannedJob> changed = new Planner(PlannerOptions.defaults())
        .plan(new PipelineReader().read(".buildswarm.yml", PIPELINE.replace("make lib", "make lib V=1"))).jobs();
    assertThat(changed.get(0).cache().definitionKey()).isNotEqualTo(jobs.get(0).cache().definitionKey());
    assertThat(changed.get(1).cache().definitionKey()).as("steps unchanged").isEqualTo(jobs.get(1).cache().definitionKey());
    assertThat(jobs.get(0).ignoringCache().cache().reuse()).isFalse();
    assertThat(jobs.get(0).cache().reuse()).isTrue();
  }

  @Test
  void aHitIsShownWithItsRunAndItsKeyGoesIntoItsDependentsKeys() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 8);
    long run = f.submit(PIPELINE);
    AssignJob lib = f.assignmentOf("lib");
    JobCacheSpec libSpec = lib.execution().cache();
    assertThat(libSpec.inputs()).containsExactly("lib/");
    assertThat(libSpec.needKeys()).isEmpty();
    assertThat(libSpec.reuse()).isTrue();
    assertThat(f.assignmentOf("docs").execution().cache()).isNull();

    f.advance(5_000);
    finish(f, lib, JobCacheResult.hit("libkey", 41, "lib"), 20);
    JobView libView = f.job(run, "lib");
    assertThat(libView.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(libView.reason()).isEqualTo("cached from run 41");
    assertThat(libView.cache()).isEqualTo(JobCacheResult.hit("libkey", 41, "lib"));
    assertThat(f.core.estimateMs("project", "lib")).as("a restored result says nothing of how long it takes").isZero();

    AssignJob linux = f.assignmentOf("app (linux)");
    assertThat(linux.execution().cache().needKeys()).containsExactly("libkey");
    assertThat(linux.execution().cache().env()).containsExactly("CC");
    finish(f, linux, JobCacheResult.ran("applinux", true), 3_000);
    assertThat(f.job(run, "app (linux)").reason()).isNull();
    assertThat(f.job(run, "app (linux)").cache().hit()).isFalse();
    assertThat(f.core.estimateMs("project", "app")).isPositive();
    finish(f, f.assignmentOf("app (mac)"), JobCacheResult.hit("appmac", 40, "app (mac)"), 5);
    assertThat(f.job(run, "app (mac)").reason()).isEqualTo("cached from run 40");
    finish(f, f.assignmentOf("docs"), null, 100);
    assertThat(f.run(run).run().state()).isEqualTo(RunState.SUCCEEDED);
  }

  @Test
  void aReportWithoutAKeyLeavesTheDependentsKeyUniqueSoNothingWrongIsReused() {
    CoreFixture f = new CoreFixture();
    f.register("d1", 8);
    f.submit(PIPELINE);
    AssignJob lib = f.assignmentOf("lib");
    finish(f, lib, null, 10); // a drone that could not make a key
    assertThat(f.assignmentOf("app (linux)").execution().cache().needKeys())
        .containsExactly("unkeyed:" + lib.attempt().jobId());
  }
}
