package org.buildswarm.protocol.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineReaderTest {
  private static final String FILE = ".buildswarm.yml";

  private static Pipeline read(String yaml) throws PipelineException {
    return new PipelineReader().read(FILE, yaml);
  }

  /** Reads a pipeline that must fail and returns its only problem. */
  private static PipelineProblem onlyProblem(String yaml) {
    List<PipelineProblem> problems = problems(yaml);
    assertThat(problems).hasSize(1);
    return problems.get(0);
  }

  private static List<PipelineProblem> problems(String yaml) {
    try {
      read(yaml);
    } catch (PipelineException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p.file()).isEqualTo(FILE));
      return e.problems();
    }
    throw new AssertionError("pipeline was accepted:\n" + yaml);
  }

  private static void assertAt(PipelineProblem problem, int line, int column, String messagePart) {
    assertThat(problem.line()).as("line of: %s", problem).isEqualTo(line);
    assertThat(problem.column()).as("column of: %s", problem).isEqualTo(column);
    assertThat(problem.message()).contains(messagePart);
    assertThat(problem.toString()).startsWith(FILE + ":" + line + ":" + column + ": ");
  }

  @Test
  void readsEveryJobFieldOfAValidPipeline() throws Exception {
    Pipeline pipeline = read("""
        name: demo
        jobs:
          compile:
            cores: 4
            labels: [linux, x86_64]
            env: {MODE: release, LEVEL: 3}
            timeout: 1h30m
            retries: {count: 2, backoff: 5s}
            steps:
              - make
              - name: package
                run: make dist
          test:
            needs: compile
            matrix:
              jdk: [17, 21]
              os: [linux]
            steps:
              - run: ./test --jdk ${{ matrix.jdk }}
        """);
    assertThat(pipeline.name()).isEqualTo("demo");
    assertThat(pipeline.jobs()).extracting(JobDefinition::name).containsExactly("compile", "test");
    JobDefinition compile = pipeline.jobs().get(0);
    assertThat(compile.cores()).isEqualTo(4);
    assertThat(compile.labels()).containsExactly("linux", "x86_64");
    assertThat(compile.env()).isEqualTo(Map.of("MODE", "release", "LEVEL", "3"));
    assertThat(compile.timeout()).isEqualTo(Duration.ofMinutes(90));
    assertThat(compile.retries()).isEqualTo(new RetryPolicy(2, Duration.ofSeconds(5)));
    assertThat(compile.steps()).extracting(StepDefinition::name, StepDefinition::run)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(null, "make"),
            org.assertj.core.groups.Tuple.tuple("package", "make dist"));
    assertThat(compile.location()).isEqualTo(new SourceLocation(3, 3));
    JobDefinition test = pipeline.jobs().get(1);
    assertThat(test.cores()).isEqualTo(1);
    assertThat(test.needs()).extracting(Need::job).containsExactly("compile");
    assertThat(test.matrix().combinations()).containsExactly(
        Map.of("jdk", "17", "os", "linux"), Map.of("jdk", "21", "os", "linux"));
  }

  @Test
  void artifactsArePathsOrPathsWithNames() throws Exception {
    Pipeline pipeline = read("""
        jobs:
          package:
            steps: [make dist]
            artifacts:
              - dist/app.tar.gz
              - {path: target/app.jar, name: app-jar}
        """);
    assertThat(pipeline.jobs().get(0).artifacts()).containsExactly(
        new org.buildswarm.protocol.message.ArtifactSpec("app.tar.gz", "dist/app.tar.gz"),
        new org.buildswarm.protocol.message.ArtifactSpec("app-jar", "target/app.jar"));
  }

  @Test
  void artifactPathsThatLeaveTheWorkspaceAndBadNamesAreRefusedWhereWritten() {
    List<PipelineProblem> problems = problems("""
        jobs:
          package:
            steps: [make]
            artifacts:
              - ../secrets.txt
              - /etc/passwd
              - {path: out/a.txt, name: "../a"}
              - {path: out/b.txt, name: same}
              - {path: out/c.txt, name: same}
          variants:
            matrix: {os: [linux, mac]}
            steps: [make]
            artifacts: [out/app.bin, {path: out/app.bin, name: "app-${{ matrix.os }}"}]
        """);
    assertThat(problems).hasSize(5);
    assertAt(problems.get(0), 5, 9, "must not climb out of the workspace");
    assertAt(problems.get(1), 6, 9, "must be relative to the workspace");
    assertAt(problems.get(2), 7, 33, "artifact name \"../a\" must start with a letter or digit");
    assertAt(problems.get(3), 9, 33, "two artifacts are named \"same\"");
    assertAt(problems.get(4), 13, 17, "is the same for every matrix variant");
  }

  @Test
  void reportsAreGlobPatternsOfJUnitXmlFilesInTheWorkspace() throws Exception {
    Pipeline pipeline = read("""
        jobs:
          test:
            matrix: {jdk: [17]}
            steps: [mvn test]
            reports: [target/surefire-reports/*.xml, "**/build/test-results/**/TEST-*.xml", "out-${{ matrix.jdk }}/*.xml",
              target/surefire-reports/*.xml, "!target/surefire-reports/TEST-Slow.xml"]
          build:
            steps: [make]
        """);
    assertThat(pipeline.jobs().get(0).reports()).containsExactly("target/surefire-reports/*.xml",
        "**/build/test-results/**/TEST-*.xml", "out-${{ matrix.jdk }}/*.xml", "!target/surefire-reports/TEST-Slow.xml");
    assertThat(pipeline.jobs().get(1).reports()).isEmpty();
  }

  @Test
  void aCacheNamesTheInputsTheEnvironmentAndTheOutputsOfAJobsResult() throws Exception {
    Pipeline pipeline = read("""
        jobs:
          lib:
            steps: [make lib]
            cache:
              inputs: ["lib/**", Makefile, "!lib/**/*.md", Makefile]
              env: CC
              outputs: [out/lib/]
          app:
            needs: lib
            steps: [make app]
            cache: {inputs: "app/**", outputs: [out/app.bin]}
          docs:
            steps: [make docs]
        """);
    assertThat(pipeline.jobs().get(0).cache()).isEqualTo(
        new JobCache(List.of("lib/**", "Makefile", "!lib/**/*.md"), List.of("CC"), List.of("out/lib/")));
    assertThat(pipeline.jobs().get(1).cache()).isEqualTo(new JobCache(List.of("app/**"), List.of(), List.of("out/app.bin")));
    assertThat(pipeline.jobs().get(2).cache()).isNull();
  }

  @Test
  void aCacheIsRefusedWhereItCouldNeverBeRightAndItsMistakesWhereWritten() {
    List<PipelineProblem> problems = problems("""
        jobs:
          lint:
            steps: [make lint]
          build:
            needs: [lint]
            steps: [make]
            cache: {inputs: [../shared/**], outputs: [/tmp/out], env: ["A B"], input: [x]}
          list:
            steps: [make]
            cache: [src]
          ship:
            deploy: prod
            steps: [./ship]
            cache: {inputs: [dist/**]}
        environments: {prod: {branches: [main]}}
        """);
    assertThat(problems).as("%s", problems).hasSize(6);
    assertAt(problems.get(0), 7, 22, "cache input \"../shared/**\" must not climb out of the workspace");
    assertAt(problems.get(1), 7, 47, "cache output \"/tmp/out\" must be relative to the workspace");
    assertAt(problems.get(2), 7, 64, "cache \"env\" takes a list of environment variable names");
    assertAt(problems.get(3), 7, 72, "unknown field \"input\" in job \"build\": cache (did you mean \"inputs\"?)");
    assertAt(problems.get(4), 10, 12, "\"cache\" must be a mapping of inputs, env and outputs");
    assertAt(problems.get(5), 14, 5, "a deploy is never taken from a cache");

    PipelineProblem uncachedNeed = onlyProblem("""
        jobs:
          lint:
            steps: [make lint]
          build:
            needs: [lint]
            steps: [make]
            cache: {inputs: [src/**]}
        """);
    assertAt(uncachedNeed, 5, 13, "job \"build\" has \"cache:\" but needs \"lint\", which has none: its result is not "
        + "known by its inputs, so \"build\"'s could never be reused; give \"lint\" a \"cache:\" too");
  }

  @Test
  void reportPatternsOutsideTheWorkspaceOrNotAListAreRefusedWhereWritten() {
    List<PipelineProblem> problems = problems("""
        jobs:
          a:
            steps: [make]
            reports:
              - ../other/*.xml
              - /var/reports/*.xml
              - {junit: x.xml}
              - "${{ matrix.os }}/*.xml"
              -
          b:
            steps: [make]
            reports: {junit: [target/*.xml]}
          c:
            steps: [make]
            reports: target/*.xml
        """);
    assertThat(problems).as("%s", problems).hasSize(7);
    assertAt(problems.get(0), 5, 9, "report pattern \"../other/*.xml\" must not climb out of the workspace");
    assertAt(problems.get(1), 6, 9, "must be relative to the workspace");
    assertAt(problems.get(2), 7, 9, "a report is a glob pattern of JUnit XML files in the workspace, not a mapping");
    assertAt(problems.get(3), 8, 9, "names no axis of this job's matrix");
    assertAt(problems.get(4), 9, 8, "a report is a glob pattern of JUnit XML files in the workspace, not nothing");
    assertAt(problems.get(5), 12, 14, "\"reports\" must be a list of glob patterns");
    assertAt(problems.get(6), 15, 14, "\"reports\" must be a list of glob patterns");
  }

  @Test
  void secretsAreVariableNamesNotAlsoInEnv() throws Exception {
    assertThat(read("""
        jobs:
          publish:
            steps: [npm publish]
            secrets: [NPM_TOKEN, DEPLOY_KEY]
        """).jobs().get(0).secrets()).containsExactly("NPM_TOKEN", "DEPLOY_KEY");
    List<PipelineProblem> problems = problems("""
        jobs:
          publish:
            steps: [npm publish]
            env: {NPM_TOKEN: plain}
            secrets: [NPM_TOKEN, 9LIVES, {a: b}]
        """);
    assertThat(problems).hasSize(3);
    assertAt(problems.get(0), 5, 15, "\"NPM_TOKEN\" is both in \"env\" and in \"secrets\"");
    assertAt(problems.get(1), 5, 26, "secret \"9LIVES\" must be an environment variable name");
    assertAt(problems.get(2), 5, 34, "\"secrets\" takes a list of secret names");
  }

  @Test
  void cachesAreDirectoriesInTheJobsHomeOrWorkspaceNeverOutside() throws Exception {
    assertThat(read("""
        jobs:
          build:
            steps: [mvn -B verify]
            caches: [~/.m2/repository, "node_modules/", .cache//pip, ~/.m2/repository]
        """).jobs().get(0).caches()).containsExactly("~/.m2/repository", "node_modules", ".cache/pip");
    List<PipelineProblem> problems = problems("""
        jobs:
          build:
            steps: [make]
            caches: [/abs/d.ssh, ../other, ~root/x, a/./b, {a: b}, ~/]
        """);
    assertThat(problems).hasSize(6);
    assertAt(problems.get(0), 4, 14, "cache \"/abs/d.ssh\" must be a directory in the job's home (~/…) or in the "
        + "workspace");
    assertAt(problems.get(1), 4, 26, "cache \"../other\"");
    assertAt(problems.get(2), 4, 36, "cache \"~root/x\"");
    assertAt(problems.get(3), 4, 45, "cache \"a/./b\"");
    assertAt(problems.get(4), 4, 52, "\"caches\" takes a list of directories");
    assertAt(problems.get(5), 4, 60, "cache \"~/\"");
  }

  @Test
  void onSaysWhichPushesSchedulesAndManualStartsRunThePipeline() throws Exception {
    Pipeline pipeline = read("""
        on:
          push:
            branches: [main, "release/*"]
            paths-ignore: ["docs/**"]
          schedule:
            - cron: "0 3 * * *"
            - cron: "@weekly"
          manual: true
        jobs:
          build: {steps: [make]}
        """);
    assertThat(pipeline.on().push().matches("refs/heads/release/2", List.of("src/a.c"))).isTrue();
    assertThat(pipeline.on().push().matches("refs/heads/release/2", List.of("docs/a.md"))).isFalse();
    assertThat(pipeline.on().schedules()).extracting(Object::toString).containsExactly("0 3 * * *", "@weekly");
    assertThat(pipeline.on().manual()).isTrue();
    assertThat(read("jobs:\n  build: {steps: [make]}\n").on()).isEqualTo(org.buildswarm.protocol.pipeline.Triggers.DEFAULT);
    assertThat(read("on: {schedule: [{cron: '0 1 * * *'}]}\njobs:\n  build: {steps: [make]}\n").on().push())
        .as("listing only a schedule means pushes do not start it").isNull();

    List<PipelineProblem> problems = problems("""
        on:
          push: {branch: [main]}
          schedule:
            - cron: "0 25 * * *"
            - "every day"
          manual: sometimes
        jobs:
          build: {steps: [make]}
        """);
    assertThat(problems).hasSize(4);
    assertAt(problems.get(0), 2, 10, "unknown field \"branch\" in \"on.push\" (did you mean \"branches\"?)");
    assertAt(problems.get(1), 4, 13, "schedule \"0 25 * * *\": hour 25 is outside 0–23");
    assertAt(problems.get(2), 5, 7, "schedule \"every day\": a cron schedule has 5 fields");
    assertAt(problems.get(3), 6, 11, "\"manual\" must be true or false");
  }

  @Test
  void syntaxErrorNamesLineAndColumn() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            steps: [make
          test:
            steps: [true]
        """);
    assertThat(problem.line()).isBetween(3, 4);
    assertThat(problem.column()).isGreaterThan(0);
    assertThat(problem.message()).startsWith("YAML syntax error");
  }

  @Test
  void badIndentationIsASyntaxErrorAtTheOffendingLine() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            steps:
              - make
           cores: 2
        """);
    assertAt(problem, 5, 4, "YAML syntax error");
  }

  @Test
  void duplicateKeyIsReportedAtTheSecondOccurrence() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            steps: [make]
            cores: 2
            cores: 4
        """);
    assertAt(problem, 5, 5, "duplicate key \"cores\" (first defined at line 4, column 5)");
  }

  @Test
  void aDuplicateKeyDoesNotHideTheOtherProblems() {
    List<PipelineProblem> problems = problems("""
        jobs:
          build:
            steps: [make]
            cores: 2
            cores: 4
          test:
            needs: [biuld]
            steps: [make test]
        """);
    assertThat(problems).extracting(PipelineProblem::line).containsExactly(5, 7);
    assertAt(problems.get(0), 5, 5, "duplicate key \"cores\"");
    assertAt(problems.get(1), 7, 13, "needs \"biuld\"");
  }

  @Test
  void anExpressionProblemDoesNotHideTheSameJobsBadNeeds() {
    List<PipelineProblem> problems = problems("""
        jobs:
          build:
            steps: [make]
          test:
            needs: [biuld]
            steps: ["make ${{ matrix.shard }}"]
        """);
    assertThat(problems).extracting(PipelineProblem::message)
        .anySatisfy(message -> assertThat(message).contains("needs \"biuld\""))
        .anySatisfy(message -> assertThat(message).contains("matrix.shard"));
  }

  @Test
  void anUnclosedExpressionIsAProblemNotText() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          test:
            matrix: {shard: [1, 2]}
            steps: ["make test SHARD=${{ matrix.shard }"]
        """);
    assertThat(problem.line()).isEqualTo(4);
    assertThat(problem.message()).contains("never closed with \"}}\"");
  }

  @Test
  void duplicateJobNameIsReported() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            steps: [make]
          build:
            steps: [make again]
        """);
    assertAt(problem, 4, 3, "duplicate key \"build\"");
  }

  @Test
  void unknownFieldIsNamedWithASuggestion() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            stpes: [make]
            steps: [make]
        """);
    assertAt(problem, 3, 5, "unknown field \"stpes\" in job \"build\" (did you mean \"steps\"?)");
  }

  @Test
  void unknownTopLevelFieldIsReported() {
    PipelineProblem problem = onlyProblem("""
        jobz: {}
        jobs:
          a: {steps: [x]}
        """);
    assertAt(problem, 1, 1, "unknown field \"jobz\" in pipeline (did you mean \"jobs\"?)");
  }

  @Test
  void cycleIsReportedWithItsPath() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          a:
            needs: [c]
            steps: [x]
          b:
            needs: [a]
            steps: [x]
          c:
            needs: [b]
            steps: [x]
        """);
    assertThat(problem.message()).contains("dependency cycle: ").contains("a").contains("b").contains("c");
    assertThat(List.of(3, 6, 9)).contains(problem.line());
    assertThat(problem.column()).isIn(12, 13);
  }

  @Test
  void selfNeedIsACycle() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          a:
            needs: a
            steps: [x]
        """);
    assertAt(problem, 3, 12, "dependency cycle: a -> a");
  }

  @Test
  void unknownNeedIsReportedWhereItIsWritten() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          compile:
            steps: [make]
          test:
            needs: [compile, packge]
            steps: [make test]
        """);
    assertAt(problem, 5, 22, "job \"test\" needs \"packge\", which is not a job in this pipeline");
  }

  @Test
  void coresBelowOneIsRejected() {
    assertAt(onlyProblem("""
        jobs:
          build:
            cores: 0
            steps: [make]
        """), 3, 12, "\"cores\" must be at least 1, not 0");
    assertAt(onlyProblem("""
        jobs:
          build:
            cores: -3
            steps: [make]
        """), 3, 12, "\"cores\" must be at least 1, not -3");
    assertAt(onlyProblem("""
        jobs:
          build:
            cores: two
            steps: [make]
        """), 3, 12, "\"cores\" must be a whole number");
  }

  @Test
  void emptyJobIsRejected() {
    assertAt(onlyProblem("""
        jobs:
          build:
          test:
            steps: [x]
        """), 2, 3, "job \"build\" is empty");
    assertAt(onlyProblem("""
        jobs:
          build:
            steps: []
        """), 3, 5, "job \"build\" has an empty \"steps:\" list");
    assertAt(onlyProblem("""
        jobs:
          build:
            cores: 2
        """), 2, 3, "job \"build\" has no \"steps:\"");
  }

  @Test
  void emptyCommandIsRejected() {
    assertAt(onlyProblem("""
        jobs:
          build:
            steps:
              - run: "echo"
              - "   "
        """), 5, 9, "step 2 has an empty command");
    assertAt(onlyProblem("""
        jobs:
          build:
            steps:
              - run: "  "
        """), 4, 14, "step 1 has an empty command");
  }

  @Test
  void matrixPastTheLimitIsRejected() {
    PipelineProblem problem = onlyProblem("""
        jobs:
          build:
            steps: [make]
            matrix:
              a: [1, 2, 3, 4, 5, 6, 7, 8]
              b: [1, 2, 3, 4, 5, 6, 7, 8]
              c: [1, 2, 3, 4, 5]
        """);
    assertAt(problem, 4, 5, "the matrix expands to 320 jobs; the limit is 256");
  }

  @Test
  void matrixReferenceToAnUnknownAxisIsRejected() {
    assertAt(onlyProblem("""
        jobs:
          build:
            matrix: {jdk: [17]}
            steps:
              - run: echo ${{ matrix.os }}
        """), 5, 14, "${{ matrix.os }} names no axis");
  }

  @Test
  void fileOverTheSizeLimitIsRejectedWhereItCrossesTheLimit() {
    PipelineLimits limits = new PipelineLimits(64, 256, 5000, 10_000, 64);
    String yaml = "jobs:\n  build:\n    steps:\n      - echo 0123456789\n      - echo 0123456789\n      - echo 0123456789\n";
    assertThatThrownBy(() -> new PipelineReader(limits).read(FILE, yaml))
        .isInstanceOfSatisfying(PipelineException.class, e -> {
          assertThat(e.problems()).hasSize(1);
          PipelineProblem problem = e.problems().get(0);
          assertThat(problem.message()).contains("the pipeline file is " + yaml.length() + " bytes; the limit is 64 bytes");
          assertThat(problem.line()).isEqualTo(5);
          assertThat(problem.column()).isEqualTo(15);
        });
  }

  @Test
  void aliasBombIsRejectedAtTheAliasThatCrossesTheBudget() {
    PipelineProblem problem = onlyProblem("""
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
        jobs:
          build:
            steps: [*f]
        """);
    assertThat(problem.message()).contains("YAML aliases expand to more than 10000 nodes");
    assertThat(problem.line()).isBetween(4, 5);
    assertThat(problem.column()).isGreaterThan(7);
  }

  @Test
  void aliasesAndMergeKeysWithinBudgetWork() throws Exception {
    Pipeline pipeline = read("""
        jobs:
          base: &defaults
            cores: 2
            labels: [linux]
            steps: [make]
          variant:
            <<: *defaults
            cores: 3
        """);
    JobDefinition variant = pipeline.jobs().get(1);
    assertThat(variant.cores()).isEqualTo(3);
    assertThat(variant.labels()).containsExactly("linux");
    assertThat(variant.steps()).extracting(StepDefinition::run).containsExactly("make");
  }

  @Test
  void undefinedAliasIsRejected() {
    assertThat(onlyProblem("""
        jobs:
          build:
            steps: *nothing
        """).message()).containsAnyOf("alias *nothing", "YAML syntax error");
  }

  @Test
  void deepNestingIsRejected() {
    String yaml = "jobs:\n  a:\n    steps: [x]\n    env: {X: " + "[".repeat(100) + "]".repeat(100) + "}\n";
    assertThat(onlyProblem(yaml).message()).contains("nested deeper than 64 levels");
  }

  @Test
  void everyProblemIsReportedSortedByPosition() {
    List<PipelineProblem> problems = problems("""
        jobs:
          b:
            needs: [zzz]
            steps: [x]
          a:
            cores: 0
            steps: [x]
        """);
    assertThat(problems).extracting(PipelineProblem::line).containsExactly(3, 6);
  }

  @Test
  void wrongTypesAreDescribed() {
    assertAt(onlyProblem("jobs: [a, b]\n"), 1, 7, "\"jobs\" must be a mapping of job names to jobs, not a list");
    assertAt(onlyProblem("- a\n- b\n"), 1, 1, "a pipeline file must be a mapping");
    assertAt(onlyProblem("jobs:\n  a:\n    steps: make\n"), 3, 12, "\"steps\" must be a list of steps");
    assertAt(onlyProblem("jobs:\n  a:\n    steps: [x]\n    timeout: soon\n"), 4, 14, "must be a duration");
    assertAt(onlyProblem("jobs:\n  a:\n    steps: [x]\n    retries: 11\n"), 4, 14, "retry count must be from 0 to 10");
    assertAt(onlyProblem("jobs:\n  a b:\n    steps: [x]\n"), 2, 3, "job name \"a b\"");
  }

  @Test
  void secondDocumentIsRejected() {
    assertThat(onlyProblem("jobs:\n  a:\n    steps: [x]\n---\njobs: {}\n").message()).contains("second one");
  }

  @Test
  void aRawControlCharacterIsReportedWhereItIs() {
    assertAt(onlyProblem("jobs:\n  build:\n    steps: [\"echo a\u0000b\"]\n"), 3, 20,
        "a control character (U+0000) is not allowed in a pipeline file");
  }

  /** A name is shown in logs, paths, terminals and the UI: characters that hide or reorder text are refused there. */
  @Test
  void namesWithControlBidiOrZeroWidthCharactersAreProblemsWithTheirPosition() {
    List<PipelineProblem> problems = problems("""
        name: "shop\\u202Etxt.exe"
        concurrency: "deploy\\u2060main"
        jobs:
          "bu\\u200Bild":
            steps: [make]
          test:
            matrix:
              os: [linux, "mac\\u200Eos"]
              jdk: "\\uFEFF17"
            steps:
              - name: "unit\\u2066 tests"
                run: make test
              - {name: "a\\tb", run: make}
          lint:
            steps:
              - name: raw\u202Bbidi
                run: make lint
        """);
    assertThat(problems).hasSize(8);
    assertAt(problems.get(0), 1, 7, "pipeline name \"shop\\u{202E}txt.exe\" holds U+202E, a bidi control");
    assertAt(problems.get(1), 2, 14, "the concurrency group \"deploy\\u{2060}main\" holds U+2060, a zero-width character");
    assertAt(problems.get(2), 4, 3, "job name \"bu\\u{200B}ild\" holds U+200B, a zero-width character");
    assertAt(problems.get(3), 8, 19, "job \"test\": matrix value \"mac\\u{200E}os\" holds U+200E, a bidi control");
    assertAt(problems.get(4), 9, 12, "job \"test\": matrix value \"\\u{FEFF}17\" holds U+FEFF, a zero-width character");
    assertAt(problems.get(5), 11, 15, "job \"test\", step 1: step name \"unit\\u{2066} tests\" holds U+2066, a bidi control");
    assertAt(problems.get(6), 13, 16, "step 2: step name \"a\\u{0009}b\" holds U+0009, a control character");
    assertAt(problems.get(7), 16, 15, "job \"lint\", step 1: step name \"raw\\u{202B}bidi\" holds U+202B");
    assertThat(problems).allSatisfy(problem -> assertThat(problem.message())
        .as("a message shows the character, it does not hold it").doesNotContain("\u202E", "\u200B", "\u2060", "\u202B")
        .contains("may not hold control, bidi or zero-width characters"));
  }

  @Test
  void namesMayHoldLettersOfAnyScript() throws Exception {
    Pipeline pipeline = read("""
        name: "caf\u00e9 \u65e5\u672c \u05e9\u05dc\u05d5\u05dd"
        jobs:
          test:
            matrix:
              locale: ["fr_FR.\u00e9t\u00e9", "\u65e5\u672c\u8a9e", "\ud83d\ude80"]
            steps:
              - name: "\u00e9tape \u65e5\u672c"
                run: echo ${{ matrix.locale }}
        """);
    assertThat(pipeline.name()).isEqualTo("caf\u00e9 \u65e5\u672c \u05e9\u05dc\u05d5\u05dd");
    assertThat(pipeline.jobs().get(0).matrix().axes().get("locale"))
        .containsExactly("fr_FR.\u00e9t\u00e9", "\u65e5\u672c\u8a9e", "\ud83d\ude80");
    assertThat(pipeline.jobs().get(0).steps().get(0).name()).isEqualTo("\u00e9tape \u65e5\u672c");
  }

  @Test
  void aBadNameIsShownEscapedInTheMessage() {
    // Job names stay ASCII (they are paths and command-line arguments).
    assertAt(onlyProblem("jobs:\n  \"caf\u00e9\": {steps: [x]}\n"), 2, 3, "job name \"caf\u00e9\" must start with a letter");
    PipelineProblem needs = onlyProblem("jobs:\n  a: {steps: [x], needs: \"b\\u202Ec\"}\n");
    assertThat(needs.message()).contains("needs \"b\\u{202E}c\", which is not a job").doesNotContain("\u202E");
    PipelineProblem unknown = onlyProblem("jobs:\n  a: {steps: [x], \"ste\\u200Bps\": [y]}\n");
    assertThat(unknown.message()).contains("unknown field \"ste\\u{200B}ps\"").doesNotContain("\u200B");
  }

  @Test
  void emptyFileIsRejected() {
    assertAt(onlyProblem(""), 1, 1, "a pipeline file must be a mapping");
  }
}
