package org.buildswarm.protocol.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code environments:}, {@code concurrency:}, {@code deploy:}/{@code rollback:} and {@code jobset:} in a pipeline. */
class DeployPipelineTest {
  private static final String FILE = ".buildswarm.yml";

  private static Pipeline read(String yaml) throws PipelineException {
    return new PipelineReader().read(FILE, yaml);
  }

  private static List<PipelineProblem> problems(String yaml) {
    try {
      read(yaml);
    } catch (PipelineException e) {
      return e.problems();
    }
    throw new AssertionError("pipeline was accepted:\n" + yaml);
  }

  @Test
  void readsEnvironmentsConcurrencyDeploysAndRollbacks() throws Exception {
    Pipeline pipeline = read("""
        environments:
          live: {branches: [main, "release/*"], protected: true}
          qa: {branches: develop}
        concurrency: {group: "deploy-${{ branch }}", cancel-in-progress: true}
        jobs:
          build: {steps: [make], jobset: out/jobs.json}
          migrate:
            needs: [build]
            deploy: {environment: live, idempotent: true}
            steps: [./migrate up]
            rollback: [./migrate down]
          ship:
            needs: [migrate]
            deploy: true
            steps: [./ship]
        """);
    assertThat(pipeline.environments()).extracting(Environment::name, Environment::protectedEnvironment)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("live", true), org.assertj.core.groups.Tuple.tuple("qa", false));
    assertThat(Environment.forBranch(pipeline.environments(), "release/2.1").name()).isEqualTo("live");
    assertThat(Environment.forBranch(pipeline.environments(), "feature/x")).isNull();
    assertThat(pipeline.concurrency()).isEqualTo(new Concurrency("deploy-${{ branch }}", true));
    JobDefinition migrate = pipeline.jobs().get(1);
    assertThat(migrate.deploy().environment()).isEqualTo("live");
    assertThat(migrate.deploy().idempotent()).isTrue();
    assertThat(migrate.deploy().rollback()).extracting(StepDefinition::run).containsExactly("./migrate down");
    assertThat(pipeline.jobs().get(2).deploy()).isEqualTo(new DeployDefinition(null, false, List.of()));
    assertThat(pipeline.jobs().get(0).jobSet()).isEqualTo("out/jobs.json");
  }

  @Test
  void withoutEnvironmentsMainDeploysToAProtectedProdAndDevelopToStg() throws Exception {
    Pipeline pipeline = read("jobs:\n  ship: {deploy: true, steps: [./ship]}\n");
    assertThat(Environment.forBranch(pipeline.environments(), "main").name()).isEqualTo("prod");
    assertThat(Environment.forBranch(pipeline.environments(), "main").protectedEnvironment()).isTrue();
    assertThat(Environment.forBranch(pipeline.environments(), "develop").name()).isEqualTo("stg");
    assertThat(pipeline.concurrency()).isNull();
  }

  @Test
  void mistakesAreReportedWhereTheyAreWritten() {
    List<PipelineProblem> problems = problems("""
        environments:
          prod: {branches: [main], protectd: true}
        concurrency: {group: "x-${{ matrix.os }}"}
        jobs:
          a:
            steps: [make]
            rollback: [undo]
          b:
            deploy: prdo
            steps: [ship]
          c:
            deploy: {environment: prod, idempotent: maybe}
            matrix: {os: [linux]}
            steps: [ship]
          d:
            steps: [make]
            jobset: ../outside.json
        """);
    assertThat(problems).extracting(PipelineProblem::toString).containsExactly(
        FILE + ":2:28: unknown field \"protectd\" in environment \"prod\" (did you mean \"protected\"?); allowed: branches, protected",
        FILE + ":3:22: the concurrency group may use only ${{ branch }}, not ${{ matrix.os }}",
        FILE + ":7:5: job \"a\" has \"rollback:\" but no \"deploy:\"; only deploy jobs roll back",
        FILE + ":9:13: job \"b\" deploys to \"prdo\", which is not an environment (did you mean \"prod\"?); environments: prod",
        FILE + ":12:5: job \"c\": a deploy job cannot have a matrix (deploy steps run one after another)",
        FILE + ":12:45: job \"c\" \"deploy\": \"idempotent\" must be true or false, not the text \"maybe\"",
        FILE + ":17:13: job \"d\": \"jobset\" must be a path inside the workspace, not \"../outside.json\"");
  }

  @Test
  void aGroupNameAloneIsCheckedTooAndDeployFalseTakesNoRollback() {
    assertThat(problems("concurrency: \"x-${{ sha }}\"\njobs:\n  a:\n    deploy: false\n    rollback: [undo]\n"
        + "    steps: [make]\n")).extracting(PipelineProblem::toString).containsExactly(
        FILE + ":1:14: the concurrency group may use only ${{ branch }}, not ${{ sha }}",
        FILE + ":5:5: job \"a\" has \"rollback:\" but \"deploy: false\"; only deploy jobs roll back");
  }

  @Test
  void aJobSetHoldsOnlyJobsThatDoNotDeploy() {
    try {
      new PipelineReader().readJobSet("set.json", "{\"name\": \"x\", \"jobs\": {\"a\": {\"steps\": [\"x\"], \"deploy\": true}}}");
      throw new AssertionError("accepted");
    } catch (PipelineException e) {
      assertThat(e.problems()).extracting(PipelineProblem::toString).containsExactly(
          "set.json:1:2: unknown field \"name\" in a job set; allowed: jobs",
          "set.json:1:46: unknown field \"deploy\" in job \"a\"; allowed: artifacts, caches, cores, env, jobset, labels, matrix, "
              + "needs, reports, retries, secrets, steps, timeout");
    }
  }
}
