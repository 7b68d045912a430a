package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Private repositories with the real servers a forge runs: an OpenSSH server (key authentication,
 * its own host key) and git http-backend behind lighttpd (basic authentication), both started here
 * on loopback. The swarm polls them and its drone checks their commits out with the credentials
 * from the projects file; a wrong token shows as the project's error; no secret shows anywhere.
 */
class PrivateRepositorySystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String TOKEN = "tok-" + java.util.UUID.randomUUID();
  private static final Path PRIVSEP = Path.of("/run/sshd");

  @TempDir
  static Path work;

  static Process sshd;
  static Process lighttpd;
  static boolean madePrivsep;
  static SwarmProcess swarm;
  static Api api;
  static String clientKey;

  @BeforeAll
  static void start() throws Exception {
    assertThat(run("id", "-u").trim()).as("sshd and lighttpd are started as root here").isEqualTo("0");
    assertThat(Path.of("/usr/sbin/sshd")).as("Debian's openssh-server (./test.sh installs it)").exists();
    assertThat(Path.of("/usr/sbin/lighttpd")).as("Debian's lighttpd (./test.sh installs it)").exists();
    Path repos = Files.createDirectories(work.resolve("repos/acme"));
    bareRepository(repos.resolve("over-ssh.git"), "ssh 1.0");
    bareRepository(repos.resolve("over-https.git"), "https 1.0");
    bareRepository(repos.resolve("guarded.git"), "guarded");

    // The SSH server: its own host key; the swarm's key is the only one it lets in.
    Path ssh = Files.createDirectories(work.resolve("ssh"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("host").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("swarm").toString());
    Files.copy(ssh.resolve("swarm.pub"), ssh.resolve("authorized_keys"));
    clientKey = Files.readString(ssh.resolve("swarm"));
    int sshPort = Cluster.freePort();
    Files.writeString(ssh.resolve("sshd_config"), String.join("\n", "ListenAddress 127.0.0.1", "Port " + sshPort,
        "HostKey " + ssh.resolve("host"), "AuthorizedKeysFile " + ssh.resolve("authorized_keys"), "PidFile none",
        "UsePAM no", "StrictModes no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password", ""));
    String hostKey = Files.readString(ssh.resolve("host.pub")).trim().split(" ")[0] + " "
        + Files.readString(ssh.resolve("host.pub")).trim().split(" ")[1];
    Files.writeString(ssh.resolve("known_hosts"), "[127.0.0.1]:" + sshPort + " " + hostKey + "\n");
    if (!Files.isDirectory(PRIVSEP)) {
      Files.createDirectories(PRIVSEP);
      madePrivsep = true;
    }
    sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", ssh.resolve("sshd_config").toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("sshd.log").toFile()).start();

    // The HTTP server: git http-backend as CGI, every request needing bob's token.
    Path http = Files.createDirectories(work.resolve("http"));
    Files.writeString(http.resolve("users"), "bob:" + TOKEN + "\n");
    int httpPort = Cluster.freePort();
    Files.writeString(http.resolve("lighttpd.conf"), """
        server.document-root = "%1$s"
        server.bind = "127.0.0.1"
        server.port = %2$d
        server.modules = ("mod_auth", "mod_authn_file", "mod_cgi", "mod_alias", "mod_setenv")
        server.errorlog = "%1$s/error.log"
        alias.url = ("/git/" => "/usr/lib/git-core/git-http-backend/")
        $HTTP["url"] =~ "^/git/" {
          cgi.assign = ("" => "")
          setenv.add-environment = ("GIT_PROJECT_ROOT" => "%3$s", "GIT_HTTP_EXPORT_ALL" => "")
        }
        auth.backend = "plain"
        auth.backend.plain.userfile = "%1$s/users"
        auth.require = ("/git/" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
        """.formatted(http, httpPort, work.resolve("repos")));
    lighttpd = new ProcessBuilder("/usr/sbin/lighttpd", "-D", "-f", http.resolve("lighttpd.conf").toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("lighttpd.log").toFile()).start();
    awaitPort(sshPort, sshd);
    awaitPort(httpPort, lighttpd);

    Files.writeString(work.resolve("https.token"), TOKEN + "\n");
    Files.writeString(work.resolve("wrong.token"), "not-the-token\n");
    Files.writeString(work.resolve("projects.yml"), """
        projects:
          over-ssh:
            url: ssh://root@127.0.0.1:%1$d%2$s/over-ssh.git
            poll: 1s
            credentials: {ssh-key-file: ssh/swarm, known-hosts-file: ssh/known_hosts}
          over-https:
            url: http://127.0.0.1:%3$d/git/acme/over-https.git
            poll: 1s
            credentials: {username: bob, token-file: https.token}
          guarded:
            url: http://127.0.0.1:%3$d/git/acme/guarded.git
            poll: 1s
            credentials: {username: bob, token-file: wrong.token}
        """.formatted(sshPort, repos, httpPort));
    // The tests need the drone to take work whatever else this host is doing.
    swarm = SwarmProcess.start(work, "up", Map.of(), "up", "--port", "0", "--kill-grace", "2", "--no-host-guard",
        "--projects", work.resolve("projects.yml").toString());
    String url = swarm.awaitUrl(TIMEOUT);
    api = new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (swarm != null) {
        swarm.close();
      }
    } finally {
      for (Process server : new Process[] {sshd, lighttpd}) {
        if (server != null) {
          server.descendants().forEach(ProcessHandle::destroyForcibly);
          server.destroyForcibly();
          server.waitFor(10, TimeUnit.SECONDS);
        }
      }
      if (madePrivsep) {
        Files.deleteIfExists(PRIVSEP);
      }
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private static void bareRepository(Path bare, String version) throws Exception {
    Path source = work.resolve("sources").resolve(bare.getFileName().toString().replace(".git", ""));
    try (Git git = Git.init().setDirectory(source.toFile()).setInitialBranch("main").call()) {
      Files.writeString(source.resolve("version.txt"), version);
      Files.writeString(source.resolve(".buildswarm.yml"), "jobs:\n  build:\n    steps: [\"echo built $(cat version.txt)\"]\n");
      git.add().addFilepattern(".").call();
      git.commit().setMessage("first").setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
    }
    Git.cloneRepository().setURI(source.toUri().toString()).setDirectory(bare.toFile()).setBare(true).call().close();
  }

  private static void awaitPort(int port, Process server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(server.isAlive()).as("the server exited; see its log in " + work).isTrue();
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (java.io.IOException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("nothing listens on " + port);
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
    return output;
  }

  private static JsonNode awaitFinishedRun(String project) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode runs = null;
    while (System.nanoTime() < deadline) {
      runs = api.get("/api/v1/runs?project=" + project).json().path("runs");
      if (runs.size() > 0 && runs.get(0).path("finishedAt").isNumber()) {
        return runs.get(0);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no finished run of " + project + ": " + runs + "\n" + swarm.output());
  }

  @Test
  void privateRepositoriesArePolledAndCheckedOutOverSshAndHttpsAndAWrongTokenShowsOnTheProject() throws Exception {
    for (String project : List.of("over-ssh", "over-https")) {
      JsonNode run = awaitFinishedRun(project);
      assertThat(run.path("state").asText()).as("%s: %s", project, run).isEqualTo("SUCCEEDED");
      JsonNode detail = api.awaitRun(run.path("id").asLong(), TIMEOUT);
      String log = api.awaitLog(detail.path("jobs").get(0).path("id").asLong(), TIMEOUT);
      assertThat(log).as("the drone checked out the commit").contains("built " + project.replace("over-", "") + " 1.0");
    }

    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    JsonNode guarded = null;
    while (System.nanoTime() < deadline) {
      for (JsonNode project : api.get("/api/v1/projects").json().path("projects")) {
        if (project.path("name").asText().equals("guarded") && project.path("lastPollOk").isBoolean()) {
          guarded = project;
        }
      }
      if (guarded != null) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(guarded).isNotNull();
    assertThat(guarded.path("lastPollOk").asBoolean()).isFalse();
    assertThat(guarded.path("lastError").asText()).as("%s", guarded).containsIgnoringCase("not authorized");
    assertThat(api.get("/api/v1/runs?project=guarded").json().path("runs")).isEmpty();

    // No secret anywhere a person reads: the API, the swarm's own log, the jobs' logs.
    List<String> readable = new ArrayList<>(List.of(api.get("/api/v1/projects").text(), api.get("/api/v1/runs").text(),
        swarm.output()));
    for (String project : List.of("over-ssh", "over-https")) {
      JsonNode detail = api.awaitRun(awaitFinishedRun(project).path("id").asLong(), TIMEOUT);
      readable.add(detail.toString());
      readable.add(api.awaitLog(detail.path("jobs").get(0).path("id").asLong(), TIMEOUT));
    }
    String keyBody = clientKey.lines().filter(line -> !line.startsWith("-----")).findFirst().orElseThrow();
    for (String text : readable) {
      assertThat(text).doesNotContain(TOKEN, "not-the-token", keyBody);
    }
  }
}
