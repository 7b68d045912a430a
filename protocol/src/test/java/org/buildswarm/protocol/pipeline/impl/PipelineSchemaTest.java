package org.buildswarm.protocol.pipeline.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.buildswarm.protocol.pipeline.PipelineException;
import org.buildswarm.protocol.pipeline.PipelineReader;
import org.buildswarm.protocol.pipeline.PipelineSchema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pipeline's JSON Schema (what editors check as people type) and the pipeline reader (what the
 * swarm checks) say the same: the pipelines of the repository pass both, the keys the reader knows at
 * each level are exactly the schema's properties there, and bad pipelines fail both, at the same place.
 */
class PipelineSchemaTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * Where in the schema each of the reader's key sets is described. A key set the reader gains must
   * be added here and to the schema; a key a set gains must be added to the schema's properties there.
   */
  private static final Map<String, String> SECTIONS = Map.ofEntries(
      Map.entry("PIPELINE_KEYS", ""),
      Map.entry("JOB_KEYS", "/definitions/job"),
      Map.entry("STEP_KEYS", "/definitions/step/anyOf/1"),
      Map.entry("RETRY_KEYS", "/definitions/retries/anyOf/1"),
      Map.entry("ARTIFACT_KEYS", "/definitions/artifact/anyOf/1"),
      Map.entry("JOB_CACHE_KEYS", "/definitions/jobCache"),
      Map.entry("DEPLOY_KEYS", "/definitions/deployTarget"),
      Map.entry("ON_KEYS", "/definitions/on"),
      Map.entry("PUSH_KEYS", "/definitions/pushFilters"),
      Map.entry("SCHEDULE_KEYS", "/definitions/schedule/anyOf/1"),
      Map.entry("ENVIRONMENT_KEYS", "/definitions/environment"),
      Map.entry("CONCURRENCY_KEYS", "/definitions/concurrencyGroup"));
  /** A job set (a file a job emits, not a pipeline) has no schema; its jobs are the pipeline's without deploys. */
  private static final Set<String> NOT_IN_THE_SCHEMA = Set.of("JOB_SET_KEYS", "JOB_SET_JOB_KEYS");

  private static JsonNode schemaDocument;
  private static Schema schema;

  @BeforeAll
  static void loadTheSchema() throws Exception {
    schemaDocument = new ObjectMapper().readTree(PipelineSchema.text());
    assertThat(schemaDocument.path("$schema").asText()).isEqualTo("http://json-schema.org/draft-07/schema#");
    schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(schemaDocument);
  }

  private static Path checkout() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !(Files.isDirectory(dir.resolve("examples")) && Files.isDirectory(dir.resolve("docs")))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("the checkout above " + Path.of("").toAbsolutePath()).isNotNull();
    return dir;
  }

  /** The schema's complaints about {@code yaml}, each as "/json/pointer: message". */
  private static List<String> schemaErrors(String yaml) throws Exception {
    JsonNode document = YAML.readTree(yaml);
    List<String> errors = new ArrayList<>();
    for (Error error : schema.validate(document)) {
      errors.add(pointer(error.getInstanceLocation()) + ": " + error.getMessage());
    }
    return errors;
  }

  /** The path of the value the schema complains about, as a JSON pointer: "/jobs/build/cores". */
  private static String pointer(NodePath path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      out.append('/').append(path.getElement(i));
    }
    return out.toString();
  }

  private static List<String> readerProblems(String yaml) {
    try {
      new PipelineReader().read(".buildswarm.yml", yaml);
      return List.of();
    } catch (PipelineException e) {
      return e.problems().stream().map(Object::toString).toList();
    }
  }

  private static void assertBothAccept(String what, String yaml) throws Exception {
    assertThat(readerProblems(yaml)).as("the reader's problems with %s:%n%s", what, yaml).isEmpty();
    assertThat(schemaErrors(yaml)).as("the schema's errors in %s:%n%s", what, yaml).isEmpty();
  }

  @Test
  void everyExamplePipelineIsValidForTheSchemaAndTheReader() throws Exception {
    List<Path> pipelines;
    try (Stream<Path> files = Files.walk(checkout().resolve("examples"))) {
      pipelines = files.filter(file -> file.getFileName().toString().equals(PipelineReader.DEFAULT_FILE)).toList();
    }
    assertThat(pipelines).as("example pipelines").hasSizeGreaterThanOrEqualTo(2);
    for (Path pipeline : pipelines) {
      assertBothAccept(pipeline.toString(), Files.readString(pipeline));
    }
  }

  /**
   * Every YAML block of the pipeline docs, as a pipeline: a block with {@code jobs:} as it is, the
   * other top-level sections with a job added, a job or a job's fields inside {@code jobs:}.
   */
  @Test
  void everyPipelineInTheDocsIsValidForTheSchemaAndTheReader() throws Exception {
    Pattern block = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
    int checked = 0;
    for (String doc : List.of("README.md", "docs/pipelines.md", "docs/deploy.md")) {
      Matcher matcher = block.matcher(Files.readString(checkout().resolve(doc)));
      while (matcher.find()) {
        String text = matcher.group(1);
        if (text.contains("<job name>")) {
          continue; // the reference outline, with placeholders
        }
        Set<String> keys = new TreeSet<>();
        YAML.readTree(text).fieldNames().forEachRemaining(keys::add);
        String pipeline;
        if (keys.contains("jobs")) {
          pipeline = text;
        } else if (PipelineBinder.PIPELINE_KEYS.containsAll(keys)) {
          pipeline = text + "jobs:\n  example: {steps: [make]}\n";
        } else if (PipelineBinder.JOB_KEYS.containsAll(keys)) {
          pipeline = "jobs:\n  example:\n" + text.indent(4);
        } else {
          pipeline = "jobs:\n" + text.indent(2);
        }
        assertBothAccept(doc + ", block at offset " + matcher.start(), pipeline);
        checked++;
      }
    }
    assertThat(checked).as("YAML blocks checked").isGreaterThanOrEqualTo(10);
  }

  /** Every key the reader knows, at every level, in one pipeline both accept. */
  @Test
  void aPipelineWithEveryKeyIsValidForTheSchemaAndTheReader() throws Exception {
    String everything = """
        name: "caf\u00e9 \u65e5\u672c"
        on:
          push:
            branches: [main, "release/*", "!release/old-*"]
            tags: "v*"
            paths: ["src/**"]
            paths-ignore: ["**/*.md"]
          schedule:
            - cron: "0 3 * * 1-5"
            - "@weekly"
          manual: true
        environments:
          prod: {branches: [main], protected: true}
          stg: {branches: develop}
        concurrency: {group: "deploy-${{ branch }}", cancel-in-progress: true}
        jobs:
          build:
            cores: 4
            labels: [linux, "arch=x86_64"]
            env: {MODE: release, LEVEL: 3, EMPTY: }
            timeout: 1h30m
            retries: {count: 2, backoff: 30s}
            secrets: [NPM_TOKEN]
            caches: [~/.m2, node_modules]
            reports: [target/surefire-reports/*.xml, "**/TEST-*.xml", "!target/flaky/*.xml"]
            artifacts:
              - dist/app.tar.gz
              - {path: target/app.jar, name: app}
            jobset: more/jobs.json
            cache: {inputs: ["src/**", pom.xml, "!src/**/*.md"], env: [CC], outputs: [dist/, target/app.jar]}
            steps:
              - make
              - name: "\u00e9tape 2"
                run: |
                  make dist
          test:
            needs: build
            timeout: 600
            retries: 1
            matrix:
              jdk: [17, 21]
              os: linux
              locale: ["fr_FR", "\u65e5\u672c"]
            labels: "${{ matrix.os }}"
            artifacts: [{path: "out/${{ matrix.jdk }}-${{ matrix.locale }}.xml", name: "report-${{ matrix.jdk }}-${{ matrix.locale }}"}]
            steps: ["./test --jdk ${{ matrix.jdk }}"]
          migrate:
            needs: [build, test]
            deploy: true
            steps: [./db up]
            rollback: [./db down]
          switch:
            needs: [migrate]
            deploy: {environment: prod, idempotent: true}
            steps: [./switch]
          smoke:
            needs: switch
            deploy: stg
            steps: [./smoke]
        """;
    assertBothAccept("the pipeline with every key", everything);
    JsonNode jobs = YAML.readTree(everything).path("jobs");
    Set<String> used = new TreeSet<>();
    jobs.forEach(job -> job.fieldNames().forEachRemaining(used::add));
    assertThat(used).as("job keys used").containsExactlyInAnyOrderElementsOf(PipelineBinder.JOB_KEYS);
  }

  /** The key sets of {@link PipelineBinder}, by field name, found by reflection so a new one cannot be missed. */
  private static Map<String, Set<String>> readerSections() throws Exception {
    Map<String, Set<String>> sections = new TreeMap<>();
    for (Field field : PipelineBinder.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) && Set.class.isAssignableFrom(field.getType())
          && field.getName().endsWith("_KEYS")) {
        field.setAccessible(true);
        @SuppressWarnings("unchecked")
        Set<String> keys = (Set<String>) field.get(null);
        sections.put(field.getName(), keys);
      }
    }
    return sections;
  }

  @Test
  void theKeysTheReaderKnowsAtEachLevelAreTheSchemasPropertiesThere() throws Exception {
    Map<String, Set<String>> sections = readerSections();
    assertThat(sections).as("the reader's key sets").containsKeys(SECTIONS.keySet().toArray(String[]::new));
    for (String section : sections.keySet()) {
      assertThat(SECTIONS.containsKey(section) || NOT_IN_THE_SCHEMA.contains(section))
          .as("PipelineBinder.%s is a new section of the pipeline: describe it in %s and map it in SECTIONS",
              section, PipelineSchema.RESOURCE).isTrue();
    }
    for (Map.Entry<String, String> section : SECTIONS.entrySet()) {
      JsonNode node = schemaDocument.at(section.getValue());
      assertThat(node.isObject()).as("schema node %s for %s", section.getValue(), section.getKey()).isTrue();
      Set<String> properties = new TreeSet<>();
      node.path("properties").fieldNames().forEachRemaining(properties::add);
      assertThat(properties).as("the schema's properties at %s (%s) against PipelineBinder.%s",
          section.getValue().isEmpty() ? "the top" : section.getValue(), PipelineSchema.RESOURCE, section.getKey())
          .containsExactlyInAnyOrderElementsOf(sections.get(section.getKey()));
      assertThat(node.path("type").asText()).as("type at %s", section.getValue()).isEqualTo("object");
      // The reader reports every key it does not know, so the schema must too.
      assertThat(node.path("additionalProperties").isBoolean() && !node.path("additionalProperties").asBoolean())
          .as("additionalProperties: false at %s", section.getValue()).isTrue();
    }
    // And the other way: every mapping with fixed keys in the schema is one of the reader's.
    Set<String> schemaSections = new TreeSet<>();
    collectSections(schemaDocument, "", schemaSections);
    assertThat(schemaSections).as("mappings with fixed keys in the schema")
        .containsExactlyInAnyOrderElementsOf(SECTIONS.values());
    // A job set's job is a pipeline's job without deploys, so the schema's job describes it too.
    assertThat(PipelineBinder.JOB_KEYS).containsAll(PipelineBinder.JOB_SET_JOB_KEYS);
    assertThat(PipelineBinder.PIPELINE_KEYS).containsAll(PipelineBinder.JOB_SET_KEYS);
  }

  private static void collectSections(JsonNode node, String at, Set<String> into) {
    if (node.isObject()) {
      if ("object".equals(node.path("type").asText()) && node.has("properties")) {
        into.add(at);
      }
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        collectSections(field.getValue(), at + "/" + field.getKey().replace("~", "~0").replace("/", "~1"), into);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collectSections(node.get(i), at + "/" + i, into);
      }
    }
  }

  @Test
  void theSchemaUsesTheReadersPatternsForNames() {
    String name = "^" + PipelineBinder.NAME.pattern() + "$";
    assertThat(schemaDocument.at("/definitions/jobName/pattern").asText()).isEqualTo(name);
    assertThat(schemaDocument.at("/properties/environments/propertyNames/pattern").asText()).isEqualTo(name);
    assertThat(schemaDocument.at("/definitions/job/properties/matrix/propertyNames/pattern").asText()).isEqualTo(name);
    assertThat(schemaDocument.at("/definitions/label/anyOf/0/pattern").asText())
        .isEqualTo("^" + PipelineBinder.LABEL.pattern() + "$");
    assertThat(schemaDocument.at("/definitions/envName/pattern").asText())
        .isEqualTo("^" + PipelineBinder.ENV_NAME.pattern() + "$");
    assertThat(schemaDocument.at("/definitions/job/properties/cores/maximum").asInt()).isEqualTo(PipelineBinder.MAX_CORES);
    assertThat(schemaDocument.at("/definitions/retryCount/maximum").asInt()).isEqualTo(PipelineBinder.MAX_RETRIES);
    assertThat(schemaDocument.at("/definitions/duration/anyOf/0/maximum").asLong())
        .isEqualTo(PipelineBinder.MAX_TIMEOUT.toSeconds());
    assertThat(schemaDocument.at("/definitions/cache/maxLength").asInt()).isEqualTo(PipelineBinder.MAX_CACHE_PATH);
  }

  /**
   * The characters a name must not hold, as the schema's pattern has them (the Basic Multilingual
   * Plane; the reader also refuses the few format characters beyond it) and as the reader does.
   */
  @Test
  void theSchemaAndTheReaderRefuseTheSameCharactersInNames() {
    Pattern allowed = Pattern.compile(schemaDocument.at("/definitions/name/pattern").asText());
    List<String> disagreements = new ArrayList<>();
    for (int codePoint = 0; codePoint < 0x10000; codePoint++) {
      int type = Character.getType(codePoint);
      if (type == Character.SURROGATE || type == Character.UNASSIGNED) {
        continue; // the schema also refuses what newer Unicode versions made format characters
      }
      String name = "a" + new String(Character.toChars(codePoint)) + "b";
      boolean schemaRefuses = !allowed.matcher(name).find();
      if (schemaRefuses != NameCharacters.hidden(codePoint)) {
        disagreements.add(String.format("U+%04X (schema %s)", codePoint, schemaRefuses ? "refuses" : "allows"));
      }
    }
    assertThat(disagreements).isEmpty();
    for (int codePoint : new int[] {0x202A, 0x202E, 0x2066, 0x2069, 0x200E, 0x200F, 0x061C, 0x200B, 0x200D, 0x2060,
        0xFEFF, 0x0007, 0x0085}) {
      assertThat(NameCharacters.hidden(codePoint)).as("U+%04X", codePoint).isTrue();
    }
    for (String fine : List.of("caf\u00e9", "\u65e5\u672c", "\u05e9\u05dc\u05d5\u05dd", "\ud83d\ude80 launch", "a b")) {
      assertThat(allowed.matcher(fine).find()).as(fine).isTrue();
      assertThat(NameCharacters.firstHidden(fine)).as(fine).isEqualTo(-1);
    }
  }

  /** A pipeline both must refuse, and where the schema must see the fault (a JSON pointer). */
  record Bad(String why, String at, String yaml) {
    @Override
    public String toString() {
      return why;
    }
  }

  static List<Bad> badPipelines() {
    String ok = "jobs:\n  build:\n    steps: [make]\n";
    return List.of(
        new Bad("no jobs", "", "name: x\n"),
        new Bad("empty jobs", "/jobs", "jobs: {}\n"),
        new Bad("unknown top-level key", "", ok + "job: {}\n"),
        new Bad("a job that is empty", "/jobs/build", "jobs:\n  build:\n"),
        new Bad("a job name with a space", "/jobs", "jobs:\n  \"my build\": {steps: [make]}\n"),
        new Bad("a job without steps", "/jobs/build", "jobs:\n  build: {cores: 2}\n"),
        new Bad("unknown job key", "/jobs/build", "jobs:\n  build: {steps: [make], stepz: [x]}\n"),
        new Bad("steps not a list", "/jobs/build/steps", "jobs:\n  build: {steps: make}\n"),
        new Bad("empty steps", "/jobs/build/steps", "jobs:\n  build: {steps: []}\n"),
        new Bad("a blank step", "/jobs/build/steps/0", "jobs:\n  build: {steps: [\"  \"]}\n"),
        new Bad("a step without run", "/jobs/build/steps/0", "jobs:\n  build: {steps: [{name: x}]}\n"),
        new Bad("unknown step key", "/jobs/build/steps/0", "jobs:\n  build: {steps: [{run: make, nmae: x}]}\n"),
        new Bad("a null step", "/jobs/build/steps/0", "jobs:\n  build: {steps: [~]}\n"),
        new Bad("needs holds a mapping", "/jobs/test/needs", ok + "  test: {needs: [{build: 1}], steps: [make]}\n"),
        new Bad("cores as text", "/jobs/build/cores", "jobs:\n  build: {cores: four, steps: [make]}\n"),
        new Bad("a cache that is a list", "/jobs/build/cache", "jobs:\n  build: {cache: [src], steps: [make]}\n"),
        new Bad("unknown cache key", "/jobs/build/cache", "jobs:\n  build: {cache: {input: [src]}, steps: [make]}\n"),
        new Bad("a cache input outside the workspace", "/jobs/build/cache/inputs",
            "jobs:\n  build: {cache: {inputs: [../src]}, steps: [make]}\n"),
        new Bad("a cache output that is absolute", "/jobs/build/cache/outputs",
            "jobs:\n  build: {cache: {outputs: [/tmp/out]}, steps: [make]}\n"),
        new Bad("a cache env that is no name", "/jobs/build/cache/env",
            "jobs:\n  build: {cache: {env: [\"A B\"]}, steps: [make]}\n"),
        new Bad("cores zero", "/jobs/build/cores", "jobs:\n  build: {cores: 0, steps: [make]}\n"),
        new Bad("cores too many", "/jobs/build/cores", "jobs:\n  build: {cores: 5000, steps: [make]}\n"),
        new Bad("cores fractional", "/jobs/build/cores", "jobs:\n  build: {cores: 1.5, steps: [make]}\n"),
        new Bad("a bad label", "/jobs/build/labels", "jobs:\n  build: {labels: [\"gpu!\"], steps: [make]}\n"),
        new Bad("env as a list", "/jobs/build/env", "jobs:\n  build: {env: [A], steps: [make]}\n"),
        new Bad("a bad env name", "/jobs/build/env", "jobs:\n  build: {env: {1A: x}, steps: [make]}\n"),
        new Bad("an env value that is a list", "/jobs/build/env/A", "jobs:\n  build: {env: {A: [1]}, steps: [make]}\n"),
        new Bad("a malformed timeout", "/jobs/build/timeout", "jobs:\n  build: {timeout: 5x, steps: [make]}\n"),
        new Bad("a zero timeout", "/jobs/build/timeout", "jobs:\n  build: {timeout: 0s, steps: [make]}\n"),
        new Bad("a timeout past 7 days", "/jobs/build/timeout", "jobs:\n  build: {timeout: 604801, steps: [make]}\n"),
        new Bad("a timeout as a list", "/jobs/build/timeout", "jobs:\n  build: {timeout: [1m], steps: [make]}\n"),
        new Bad("retries past 10", "/jobs/build/retries", "jobs:\n  build: {retries: 11, steps: [make]}\n"),
        new Bad("retries negative", "/jobs/build/retries", "jobs:\n  build: {retries: -1, steps: [make]}\n"),
        new Bad("retries without count", "/jobs/build/retries", "jobs:\n  build: {retries: {backoff: 1s}, steps: [make]}\n"),
        new Bad("unknown retries key", "/jobs/build/retries",
            "jobs:\n  build: {retries: {count: 1, backof: 1s}, steps: [make]}\n"),
        new Bad("a malformed backoff", "/jobs/build/retries",
            "jobs:\n  build: {retries: {count: 1, backoff: soon}, steps: [make]}\n"),
        new Bad("matrix as a list", "/jobs/build/matrix", "jobs:\n  build: {matrix: [a], steps: [make]}\n"),
        new Bad("an empty matrix", "/jobs/build/matrix", "jobs:\n  build: {matrix: {}, steps: [make]}\n"),
        new Bad("a matrix axis without values", "/jobs/build/matrix/os", "jobs:\n  build: {matrix: {os: []}, steps: [make]}\n"),
        new Bad("a bad matrix axis name", "/jobs/build/matrix", "jobs:\n  build: {matrix: {\"o s\": [a]}, steps: [make]}\n"),
        new Bad("a matrix value that is a mapping", "/jobs/build/matrix/os",
            "jobs:\n  build: {matrix: {os: [{a: b}]}, steps: [make]}\n"),
        new Bad("artifacts not a list", "/jobs/build/artifacts", "jobs:\n  build: {artifacts: a.jar, steps: [make]}\n"),
        new Bad("an absolute artifact path", "/jobs/build/artifacts/0",
            "jobs:\n  build: {artifacts: [/etc/passwd], steps: [make]}\n"),
        new Bad("an artifact path climbing out", "/jobs/build/artifacts/0",
            "jobs:\n  build: {artifacts: [out/../../x], steps: [make]}\n"),
        new Bad("unknown artifact key", "/jobs/build/artifacts/0",
            "jobs:\n  build: {artifacts: [{path: a.jar, nmae: a}], steps: [make]}\n"),
        new Bad("an artifact without path", "/jobs/build/artifacts/0",
            "jobs:\n  build: {artifacts: [{name: a}], steps: [make]}\n"),
        new Bad("a bad artifact name", "/jobs/build/artifacts/0",
            "jobs:\n  build: {artifacts: [{path: a.jar, name: \"-a\"}], steps: [make]}\n"),
        new Bad("a bad secret name", "/jobs/build/secrets", "jobs:\n  build: {secrets: [npm-token], steps: [make]}\n"),
        new Bad("an absolute cache", "/jobs/build/caches", "jobs:\n  build: {caches: [/var/cache], steps: [make]}\n"),
        new Bad("an absolute report pattern", "/jobs/build/reports/0",
            "jobs:\n  build: {reports: [/tmp/*.xml], steps: [make]}\n"),
        new Bad("a report pattern climbing out", "/jobs/build/reports/0",
            "jobs:\n  build: {reports: [\"../x/*.xml\"], steps: [make]}\n"),
        new Bad("reports as one string", "/jobs/build/reports",
            "jobs:\n  build: {reports: target/*.xml, steps: [make]}\n"),
        new Bad("a cache climbing out", "/jobs/build/caches", "jobs:\n  build: {caches: [\"../x\"], steps: [make]}\n"),
        new Bad("a cache in another user's home", "/jobs/build/caches", "jobs:\n  build: {caches: [\"~root/x\"], steps: [make]}\n"),
        new Bad("deploy as a list", "/jobs/build/deploy", "jobs:\n  build: {deploy: [prod], steps: [make]}\n"),
        new Bad("unknown deploy key", "/jobs/build/deploy",
            "jobs:\n  build: {deploy: {environment: prod, idem: true}, steps: [make]}\n"),
        new Bad("idempotent not a boolean", "/jobs/build/deploy",
            "jobs:\n  build: {deploy: {environment: prod, idempotent: maybe}, steps: [make]}\n"),
        new Bad("rollback without deploy", "/jobs/build", "jobs:\n  build: {rollback: [undo], steps: [make]}\n"),
        new Bad("rollback with deploy false", "/jobs/build", "jobs:\n  build: {deploy: false, rollback: [undo], steps: [make]}\n"),
        new Bad("a deploy job with a matrix", "/jobs/build",
            "jobs:\n  build: {deploy: true, matrix: {os: [a]}, steps: [make]}\n"),
        new Bad("a deploy job emitting a job set", "/jobs/build",
            "jobs:\n  build: {deploy: true, jobset: jobs.json, steps: [make]}\n"),
        new Bad("a job set outside the workspace", "/jobs/build/jobset",
            "jobs:\n  build: {jobset: /tmp/jobs.json, steps: [make]}\n"),
        new Bad("on as a list", "/on", ok + "on: [push]\n"),
        new Bad("unknown on key", "/on", ok + "on: {pull_request: true}\n"),
        new Bad("unknown push filter", "/on/push", ok + "on: {push: {branch: main}}\n"),
        new Bad("push as a number", "/on/push", ok + "on: {push: 3}\n"),
        new Bad("an empty branch pattern", "/on/push/branches", ok + "on: {push: {branches: [\"\"]}}\n"),
        new Bad("unknown schedule key", "/on/schedule", ok + "on: {schedule: [{crn: \"@daily\"}]}\n"),
        new Bad("a cron with 3 fields", "/on/schedule", ok + "on: {schedule: [{cron: \"0 3 *\"}]}\n"),
        new Bad("an unknown cron shorthand", "/on/schedule", ok + "on: {schedule: [\"@fortnightly\"]}\n"),
        new Bad("manual as text", "/on/manual", ok + "on: {manual: sometimes}\n"),
        new Bad("environments as a list", "/environments", ok + "environments: [prod]\n"),
        new Bad("an environment without branches", "/environments/prod", ok + "environments: {prod: {protected: true}}\n"),
        new Bad("unknown environment key", "/environments/prod",
            "environments: {prod: {branches: [main], protectd: true}}\n" + ok),
        new Bad("a bad environment name", "/environments", ok + "environments: {\"pr od\": {branches: [main]}}\n"),
        new Bad("protected not a boolean", "/environments/prod/protected",
            ok + "environments: {prod: {branches: [main], protected: 1}}\n"),
        new Bad("concurrency as a list", "/concurrency", ok + "concurrency: [a]\n"),
        new Bad("concurrency without group", "/concurrency", ok + "concurrency: {cancel-in-progress: true}\n"),
        new Bad("unknown concurrency key", "/concurrency", ok + "concurrency: {group: a, cancel: true}\n"),
        new Bad("an expression other than branch in a group", "/concurrency", ok + "concurrency: \"x-${{ matrix.os }}\"\n"),
        new Bad("a pipeline name that is a list", "/name", ok + "name: [a]\n"),
        new Bad("a pipeline name with a right-to-left override", "/name", ok + "name: \"abc\\u202Edef\"\n"),
        new Bad("a pipeline name with a raw right-to-left override", "/name", ok + "name: abc\u202Edef\n"),
        new Bad("a pipeline name with a zero-width space", "/name", ok + "name: \"a\\u200Bb\"\n"),
        new Bad("a pipeline name with a tab", "/name", ok + "name: \"a\\tb\"\n"),
        new Bad("a job name with a zero-width joiner", "/jobs", "jobs:\n  \"bu\\u200Dild\": {steps: [make]}\n"),
        new Bad("a job name with a bidi isolate", "/jobs", "jobs:\n  \"build\\u2066\": {steps: [make]}\n"),
        new Bad("a matrix value with a left-to-right mark", "/jobs/build/matrix/os",
            "jobs:\n  build: {matrix: {os: [\"linux\\u200E\"]}, steps: [make]}\n"),
        new Bad("a matrix value with a byte order mark", "/jobs/build/matrix/os",
            "jobs:\n  build: {matrix: {os: \"\\uFEFFlinux\"}, steps: [make]}\n"),
        new Bad("a step name with an Arabic letter mark", "/jobs/build/steps/0",
            "jobs:\n  build: {steps: [{name: \"a\\u061Cb\", run: make}]}\n"),
        new Bad("a concurrency group with a word joiner", "/concurrency", ok + "concurrency: \"a\\u2060b\"\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badPipelines")
  void aBadPipelineIsRefusedByTheSchemaAndTheReader(Bad bad) throws Exception {
    assertThat(readerProblems(bad.yaml())).as("the reader's problems with:%n%s", bad.yaml()).isNotEmpty();
    List<String> errors = schemaErrors(bad.yaml());
    assertThat(errors).as("the schema's errors in:%n%s", bad.yaml()).isNotEmpty();
    List<String> there = errors.stream()
        .filter(error -> error.startsWith(bad.at() + ":") || error.startsWith(bad.at() + "/")).toList();
    if (there.isEmpty()) {
      fail("the schema saw nothing wrong at \"" + bad.at() + "\" in:\n" + bad.yaml() + "\nbut: "
          + errors.stream().collect(Collectors.joining("\n  ", "\n  ", "")));
    }
  }
}
