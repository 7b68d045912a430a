package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The gateway as the remote build cache of the real tools, on loopback: {@code swarm up} as a
 * process; Turborepo (the npm package {@code turbo}, its own binary) and Debian's Gradle build a
 * small project made here, and so does Maven 3.9 with its build cache extension; each throws its
 * outputs away and builds again: the second build takes every output from the gateway and runs nothing.
 */
class BuildCacheSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(240);
  private static final Path GRADLE = Path.of("/usr/bin/gradle");

  @TempDir
  static Path work;

  static SwarmProcess swarm;
  static String url;
  static Api admin;
  static String developerToken;

  @BeforeAll
  static void startSwarm() throws Exception {
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--cores", "2", "--no-host-guard");
    url = swarm.awaitUrl(Duration.ofSeconds(120)).replaceFirst("/$", "");
    admin = new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
    Api.Response created = admin.post("/api/v1/tokens", Map.of("name", "builder", "role", "developer"));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    developerToken = created.json().path("token").asText();
  }

  @AfterAll
  static void stopSwarm() {
    if (swarm != null) {
      swarm.close();
    }
  }

  /** The sum of a metric's series that carry these labels (the process adds its own, such as role). */
  private static double metric(String name, String tool, String result) throws Exception {
    double sum = 0;
    Matcher series = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$")
        .matcher(admin.get("/metrics").text());
    while (series.find()) {
      List<String> labels = List.of(series.group(1).split(","));
      if (labels.contains("tool=\"" + tool + "\"") && labels.contains("result=\"" + result + "\"")) {
        sum += Double.parseDouble(series.group(2));
      }
    }
    return sum;
  }

  @Test
  void aSecondTurborepoBuildIsAFullRemoteCacheHit() throws Exception {
    Path turbo = SwarmProcess.checkout().resolve("tests/node_modules/.bin/turbo");
    assertThat(turbo).as("./test.sh installs turbo (npm ci --prefix tests)").isExecutable();
    Path repo = Files.createDirectories(work.resolve("monorepo"));
    Files.writeString(repo.resolve("package.json"), """
        {"name": "monorepo", "private": true, "packageManager": "npm@10.9.0", "workspaces": ["packages/*"]}
        """);
    Files.writeString(repo.resolve("turbo.json"), """
        {"tasks": {"build": {"dependsOn": ["^build"], "outputs": ["dist/**"]}}}
        """);
    for (String name : List.of("core", "app")) {
      Path pkg = Files.createDirectories(repo.resolve("packages").resolve(name));
      String dependency = name.equals("app") ? ", \"dependencies\": {\"core\": \"*\"}" : "";
      Files.writeString(pkg.resolve("package.json"), "{\"name\": \"" + name + "\", \"version\": \"1.0.0\", "
          + "\"scripts\": {\"build\": \"mkdir -p dist && echo built " + name + " > dist/" + name + ".txt\"}" + dependency
          + "}\n");
      Files.writeString(pkg.resolve("index.js"), "module.exports = '" + name + "';\n");
    }
    // As a monorepo is: in Git, its outputs and turbo's own logs ignored (else they would be inputs).
    Files.writeString(repo.resolve(".gitignore"), "dist/\n.turbo/\nnode_modules/\n");
    Map<String, String> gitEnvironment = Map.of("GIT_AUTHOR_NAME", "t", "GIT_AUTHOR_EMAIL", "t@example.org",
        "GIT_COMMITTER_NAME", "t", "GIT_COMMITTER_EMAIL", "t@example.org", "HOME", work.toString());
    for (List<String> git : List.of(List.of("git", "init", "-q", "-b", "main"), List.of("git", "add", "."),
        List.of("git", "commit", "-q", "-m", "two packages"))) {
      SwarmProcess.Finished done = ExternalCommand.run(repo, gitEnvironment, TIMEOUT, git);
      assertThat(done.exitCode()).as("%s", done).isZero();
    }
    Map<String, String> environment = new HashMap<>(Map.of("TURBO_API", url, "TURBO_TOKEN", developerToken,
        "TURBO_TEAM", "shop", "TURBO_TELEMETRY_DISABLED", "1", "DO_NOT_TRACK", "1", "TURBO_NO_UPDATE_NOTIFIER", "1",
        "HOME", Files.createDirectories(work.resolve("turbo-home")).toString(), "TMPDIR", temp()));
    // Only the remote cache: a hit cannot come from turbo's own directory.
    List<String> build = List.of(turbo.toString(), "run", "build", "--cache=local:,remote:rw", "--no-color");

    SwarmProcess.Finished first = ExternalCommand.run(repo, environment, TIMEOUT, build);
    assertThat(first.exitCode()).as("%s", first).isZero();
    assertThat(first.stdout()).contains("cache miss, executing");
    assertThat(repo.resolve("packages/app/dist/app.txt")).hasContent("built app");
    assertThat(metric("buildswarm_build_cache_requests_total", "turbo", "stored")).as("%s", first)
        .isEqualTo(2);

    for (String name : List.of("core", "app")) {
      Path dist = repo.resolve("packages").resolve(name).resolve("dist");
      Files.delete(dist.resolve(name + ".txt"));
      Files.delete(dist);
    }
    SwarmProcess.Finished second = ExternalCommand.run(repo, environment, TIMEOUT, build);
    assertThat(second.exitCode()).as("%s", second).isZero();
    assertThat(second.stdout()).as("%s", second).contains("FULL TURBO").contains("2 cached, 2 total")
        .contains("core:build: cache hit", "app:build: cache hit").doesNotContain("cache miss");
    assertThat(repo.resolve("packages/core/dist/core.txt")).as("restored from the gateway").hasContent("built core");
    assertThat(repo.resolve("packages/app/dist/app.txt")).hasContent("built app");
    assertThat(metric("buildswarm_build_cache_requests_total", "turbo", "hit")).isGreaterThanOrEqualTo(2);

    // The overview says how often the cache saved a build.
    try (Browser browser = new Browser(work, Path.of("target", "ui-screenshots"))) {
      browser.driver.get(url + "/#/");
      browser.waitUpTo(TIMEOUT).until(ExpectedConditions.presenceOfElementLocated(By.id("build-cache-tile")));
      assertThat(browser.text(By.id("build-cache-tile"))).matches("(?s)\\d+%\\s*build cache hits · .* served · \\d+ entries.*");
      browser.screenshot("build-cache-overview");
    }
  }

  @Test
  void aCleanGradleBuildTakesItsTaskOutputsFromTheGateway() throws Exception {
    assertThat(GRADLE).as("./test.sh installs Debian's gradle").isExecutable();
    Path project = Files.createDirectories(work.resolve("gradle-project"));
    Files.writeString(project.resolve("settings.gradle"), """
        rootProject.name = 'greeter'
        buildCache {
          local { enabled = false }
          remote(HttpBuildCache) {
            url = '%s/cache/'
            push = true
            credentials {
              username = 'ci'
              password = '%s'
            }
          }
        }
        """.formatted(url, developerToken));
    Files.writeString(project.resolve("build.gradle"), "apply plugin: 'java'\n");
    Path source = Files.createDirectories(project.resolve("src/main/java/shop"));
    Files.writeString(source.resolve("Greeter.java"), """
        package shop;

        public final class Greeter {
          public static String greet(String name) {
            return "hello " + name;
          }
        }
        """);
    Map<String, String> environment = Map.of("GRADLE_USER_HOME",
        Files.createDirectories(work.resolve("gradle-home")).toString(), "HOME", work.toString(), "TMPDIR", temp(),
        "GRADLE_OPTS", "-Djava.io.tmpdir=" + temp());
    List<String> build = List.of(GRADLE.toString(), "--no-daemon", "--build-cache", "--console=plain",
        "compileJava");

    SwarmProcess.Finished first = ExternalCommand.run(project, environment, TIMEOUT, build);
    assertThat(first.exitCode()).as("%s", first).isZero();
    // (Gradle 4 prints ":compileJava", later ones "> Task :compileJava", then the outcome.)
    assertThat(first.stdout()).as("%s", first).containsPattern("(?m)^(> Task )?:compileJava$");
    assertThat(metric("buildswarm_build_cache_requests_total", "gradle", "stored"))
        .as("%s", first).isGreaterThanOrEqualTo(1);
    Path compiled = project.resolve("build/classes/java/main/shop/Greeter.class");
    assertThat(compiled).exists();

    deleteTree(project.resolve("build"));
    SwarmProcess.Finished second = ExternalCommand.run(project, environment, TIMEOUT, build);
    assertThat(second.exitCode()).as("%s", second).isZero();
    assertThat(second.stdout()).as("%s", second).containsPattern("(?m)^(> Task )?:compileJava FROM-CACHE$");
    assertThat(compiled).as("restored from the gateway").exists();
    assertThat(metric("buildswarm_build_cache_requests_total", "gradle", "hit")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aJobWritesTheCacheWithItsOwnTokenWhichItsLogNeverShows() throws Exception {
    Path source = Files.createDirectories(work.resolve("job-source"));
    Files.writeString(source.resolve("outputs.bin"), "made inside a job\n");
    Api.Response created = admin.post("/api/v1/runs", Api.submission("cached", """
        jobs:
          fill:
            steps:
              - echo "token is $BUILDSWARM_JOB_TOKEN"
              - >-
                curl -fsS -X PUT --data-binary @outputs.bin
                -H "Authorization: Bearer $BUILDSWARM_JOB_TOKEN"
                "$BUILDSWARM_GATEWAY_URL/cache/0f1e2d3c4b5a6978"
              # (kept so the test can try the token once the attempt is over)
              - >-
                printf %s "$BUILDSWARM_JOB_TOKEN" | curl -fsS -X PUT --data-binary @-
                -H "Authorization: Bearer $BUILDSWARM_JOB_TOKEN" "$BUILDSWARM_GATEWAY_URL/cache/spent-token"
        """, source.toString()));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    long run = created.json().path("id").asLong();
    var detail = admin.awaitRun(run, TIMEOUT);
    long job = detail.path("jobs").get(0).path("id").asLong();
    String log = admin.awaitLog(job, TIMEOUT);
    assertThat(detail.path("run").path("state").asText()).as(log).isEqualTo("SUCCEEDED");
    assertThat(log).contains("token is ***");

    Api.Response cached = admin.get("/cache/0f1e2d3c4b5a6978");
    assertThat(cached.status()).isEqualTo(200);
    assertThat(cached.text()).isEqualTo("made inside a job\n");
    // Once the attempt is over, its token writes nothing.
    String spent = admin.get("/cache/spent-token").text();
    assertThat(spent).isNotBlank();
    assertThat(log).as("the token is masked wherever the job printed it").doesNotContain(spent);
    java.net.http.HttpResponse<String> refused = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/cache/0f1e2d3c4b5a6978"))
            .header("authorization", "Bearer " + spent)
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("poisoned")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
    assertThat(admin.get("/cache/0f1e2d3c4b5a6978").text()).isEqualTo("made inside a job\n");
  }

  @Test
  void aCleanMavenBuildTakesItsModuleFromTheGateway() throws Exception {
    Path mavenHome = Path.of(System.getProperty("buildswarm.maven.home"));
    assertThat(mavenHome.resolve("bin/mvn")).as("the tests module unpacks Maven 3.9 (the extension needs it)").exists();
    Path project = Files.createDirectories(work.resolve("maven-project"));
    // The plugins the swarm's own build uses, so the offline build finds them in the local repository.
    Files.writeString(project.resolve("pom.xml"), """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>org.example</groupId><artifactId>greeter</artifactId><version>1.0</version>
          <properties>
            <maven.compiler.release>17</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
          <build><plugins>
            <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
            <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
            <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
            <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version></plugin>
            <plugin><artifactId>maven-install-plugin</artifactId><version>3.1.4</version></plugin>
            <plugin><artifactId>maven-clean-plugin</artifactId><version>3.4.1</version></plugin>
          </plugins></build>
        </project>
        """);
    Path mvn = Files.createDirectories(project.resolve(".mvn"));
    Files.writeString(mvn.resolve("extensions.xml"), """
        <extensions>
          <extension>
            <groupId>org.apache.maven.extensions</groupId><artifactId>maven-build-cache-extension</artifactId>
            <version>%s</version>
          </extension>
        </extensions>
        """.formatted(System.getProperty("buildswarm.maven.buildCacheVersion")));
    Files.writeString(mvn.resolve("maven-build-cache-config.xml"), """
        <cache xmlns="http://maven.apache.org/BUILD-CACHE-CONFIG/1.2.0">
          <configuration>
            <enabled>true</enabled>
            <hashAlgorithm>SHA-256</hashAlgorithm>
            <remote enabled="true" saveToRemote="true" id="buildswarm"><url>%s/maven-cache</url></remote>
          </configuration>
        </cache>
        """.formatted(url));
    Path settings = project.resolve("settings.xml");
    Files.writeString(settings, """
        <settings>
          <servers><server><id>buildswarm</id><username>ci</username><password>%s</password></server></servers>
        </settings>
        """.formatted(developerToken));
    Path source = Files.createDirectories(project.resolve("src/main/java/shop"));
    Files.writeString(source.resolve("Greeter.java"), """
        package shop;

        public final class Greeter {
          public static String greet(String name) {
            return "hello " + name;
          }
        }
        """);
    Map<String, String> environment = Map.of("HOME", work.toString(), "TMPDIR", temp(),
        "MAVEN_OPTS", "-Djava.io.tmpdir=" + temp(), "JAVA_HOME", System.getProperty("java.home"));
    Path jar = project.resolve("target/greeter-1.0.jar");

    SwarmProcess.Finished first = ExternalCommand.run(project, environment, TIMEOUT, maven(mavenHome, settings, "first"));
    assertThat(first.exitCode()).as("%s", first).isZero();
    assertThat(first.stdout()).as("%s", first).contains("Compiling 1 source file");
    assertThat(jar).exists();
    assertThat(metric("buildswarm_build_cache_requests_total", "maven", "stored"))
        .as("%s", first).isGreaterThanOrEqualTo(2); // the build's record and its jar

    deleteTree(project.resolve("target"));
    SwarmProcess.Finished second = ExternalCommand.run(project, environment, TIMEOUT, maven(mavenHome, settings, "second"));
    assertThat(second.exitCode()).as("%s", second).isZero();
    assertThat(second.stdout()).as("a new local cache: what it restores came from the gateway\n%s", second)
        .contains("Found cached build, restoring").doesNotContain("Compiling 1 source file");
    assertThat(jar).as("restored from the gateway").exists();
    assertThat(metric("buildswarm_build_cache_requests_total", "maven", "hit")).isGreaterThanOrEqualTo(2);
  }

  /** An offline build with its own, empty local build cache, so only the gateway can have what it reuses. */
  private static List<String> maven(Path mavenHome, Path settings, String localCache) throws Exception {
    return List.of("sh", mavenHome.resolve("bin/mvn").toString(), "-B", "-o", "-s", settings.toString(),
        "-Dmaven.repo.local=" + System.getProperty("buildswarm.maven.repository"),
        "-Dmaven.build.cache.location=" + Files.createDirectories(work.resolve("maven-cache-" + localCache)),
        "package");
  }

  /** The tools' temporary files stay in the test's directory, which JUnit removes. */
  private static String temp() throws Exception {
    return Files.createDirectories(work.resolve("tmp")).toString();
  }

  private static void deleteTree(Path root) throws Exception {
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
