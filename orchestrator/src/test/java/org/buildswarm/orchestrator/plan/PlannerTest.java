package org.buildswarm.orchestrator.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.buildswarm.protocol.message.Step;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private static RunPlan plan(String yaml) throws Exception {
    return new Planner(PlannerOptions.defaults(), group -> group.startsWith("slow") ? 600_000 : 0)
        .plan(new PipelineReader().read(".buildswarm.yml", yaml));
  }

  @Test
  void expandsAMatrixIntoNamedVariantsWithTheirValues() throws Exception {
    RunPlan plan = plan("""
        jobs:
          test:
            matrix: {jdk: [17, 21], os: [linux]}
            env: {LABEL: "jdk${{ matrix.jdk }}"}
            labels: ["${{ matrix.os }}"]
            steps:
              - run: mvn -Djdk=${{ matrix.jdk }} verify
        """);
    assertThat(plan.jobs()).extracting(PlannedJob::name).containsExactly("test (17, linux)", "test (21, linux)");
    PlannedJob first = plan.jobs().get(0);
    assertThat(first.group()).isEqualTo("test");
    assertThat(first.env()).isEqualTo(Map.of("LABEL", "jdk17", "MATRIX_JDK", "17", "MATRIX_OS", "linux"));
    assertThat(first.labels()).containsExactly("linux");
    assertThat(first.steps()).containsExactly(new Step("mvn -Djdk=17 verify", "mvn -Djdk=17 verify"));
  }

  @Test
  void needingAMatrixJobMeansNeedingEveryVariant() throws Exception {
    RunPlan plan = plan("""
        jobs:
          build: {steps: [make]}
          test: {needs: build, matrix: {n: [1, 2, 3]}, steps: [make test]}
          ship: {needs: test, steps: [make ship]}
        """);
    assertThat(plan.jobs().get(4).needs()).containsExactly(1, 2, 3);
    assertThat(plan.jobs().get(1).needs()).containsExactly(0);
  }

  @Test
  void criticalPathIsTheLongestChainOfEstimatesToTheEnd() throws Exception {
    RunPlan plan = plan("""
        jobs:
          a: {steps: [x]}
          slow: {needs: a, steps: [x]}
          quick: {needs: a, steps: [x]}
          end: {needs: [slow, quick], steps: [x]}
        """);
    long minute = PlannerOptions.DEFAULT_ESTIMATE.toMillis();
    assertThat(plan.jobs()).extracting(PlannedJob::criticalPathMs)
        .containsExactly(minute + 600_000 + minute, 600_000 + minute, 2 * minute, minute);
  }

  @Test
  void appliesDefaultsAndNamesStepsAfterTheirCommand() throws Exception {
    RunPlan plan = plan("jobs:\n  a:\n    steps:\n      - |\n        make all\n        make install\n      - name: named\n        run: x\n");
    PlannedJob job = plan.jobs().get(0);
    assertThat(job.timeoutMs()).isEqualTo(PlannerOptions.DEFAULT_TIMEOUT.toMillis());
    assertThat(job.cores()).isEqualTo(1);
    assertThat(job.retries()).isZero();
    assertThat(job.steps()).extracting(Step::name).containsExactly("make all", "named");
    assertThat(plan.pipelineName()).isEqualTo("pipeline");
    assertThat(List.copyOf(job.labels())).isEmpty();
  }
}
