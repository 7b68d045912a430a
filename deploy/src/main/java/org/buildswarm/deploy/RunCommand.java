package org.buildswarm.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.buildswarm.deploy.impl.RunProgress;
import org.buildswarm.deploy.impl.SwarmClient;
import org.buildswarm.deploy.impl.Terminal;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.pipeline.PipelineReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm run [DIR]}: submit DIR's pipeline, follow it, exit 0 only if it succeeded. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Submit the pipeline in DIR (its .buildswarm.yml) to the running swarm and follow it. "
        + "Exit status: 0 the run succeeded, 1 it failed or was cancelled, 2 the pipeline is invalid, "
        + "3 the swarm cannot be reached.")
final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", description = "Directory with the pipeline and the files its jobs use "
      + "(default: the current directory).")
  Path directory = Path.of(".");

  @Option(names = "--file", description = "Pipeline file, relative to DIR (default: ${DEFAULT-VALUE}).",
      defaultValue = PipelineReader.DEFAULT_FILE)
  String file;

  @Option(names = "--project", description = "Project name (default: the directory's name).")
  String project;

  @picocli.CommandLine.Mixin
  Connection connection;

  @Option(names = "--detach", description = "Print the run's id and return without following it.")
  boolean detach;

  @Option(names = "--branch", description = "The branch this run stands for: its deploy jobs deploy to the "
      + "environment of that branch (without it, deploy jobs are skipped).")
  String branch;

  @Option(names = "--deploy-version", description = "The version its deploy jobs deploy (default: run-<id>).")
  String deployVersion;

  @Option(names = "--no-cache", description = "Run every job, also those whose result the cache holds (their "
      + "results are stored afresh).")
  boolean noCache;

  @Override
  public Integer call() throws Exception {
    Path dir = directory.toAbsolutePath().normalize();
    Path pipelineFile = dir.resolve(file);
    if (!Files.isRegularFile(pipelineFile)) {
      System.err.println("swarm run: no pipeline file " + pipelineFile);
      return SwarmCli.BAD_INPUT;
    }
    String yaml;
    try {
      yaml = org.buildswarm.deploy.impl.PipelineFiles.read(pipelineFile);
    } catch (org.buildswarm.deploy.impl.PipelineFiles.NotText e) {
      System.err.println("swarm run: the pipeline is invalid; nothing was queued\n  " + e.getMessage());
      return SwarmCli.BAD_INPUT;
    }
    if (yaml.isBlank()) {
      System.err.println("swarm run: the pipeline is invalid; nothing was queued\n  " + pipelineFile
          + ":1:1: the pipeline file is empty (a pipeline needs at least \"jobs:\")");
      return SwarmCli.BAD_INPUT;
    }
    SwarmClient client;
    try {
      client = connection.client(dir);
    } catch (IOException e) {
      System.err.println("swarm run: " + e.getMessage());
      return SwarmCli.UNAVAILABLE;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    // A directory may have any name; a project's is restricted (docs/api.md, "Projects").
    body.put("project", project != null ? project
        : org.buildswarm.protocol.ProjectNames.from(dir.getFileName() == null ? "root" : dir.getFileName().toString()));
    body.put("file", file);
    body.put("pipeline", yaml);
    body.put("trigger", "manual");
    if (noCache) {
      body.put("cache", false);
    }
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("kind", "directory");
    source.put("location", dir.toString());
    if (branch != null) {
      source.put("ref", branch);
    }
    if (deployVersion != null) {
      source.put("revision", deployVersion);
    }
    // Shown with the run (API, UI, this CLI): which commit the directory's checkout was at.
    org.buildswarm.deploy.impl.SourceLines.headOf(dir).ifPresent(commit -> {
      Map<String, Object> known = new LinkedHashMap<>();
      known.put("sha", commit.sha());
      known.put("title", commit.title());
      known.put("author", commit.author());
      source.put("commit", known);
    });
    body.put("source", source);
    // Follow live events from before the run exists, so every change is seen, in order.
    BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
    AutoCloseable stream = null;
    if (!detach) {
      try {
        stream = client.followEvents(events::offer);
      } catch (IOException e) {
        System.err.println("swarm run: " + e.getMessage() + "; reading the run every second instead");
      }
    }
    try {
      long runId;
      try {
        runId = client.submit(body);
      } catch (SwarmClient.ApiException e) {
        if (e.status() == 422) {
          System.err.println("swarm run: the pipeline is invalid; nothing was queued");
          e.error().path("details").forEach(problem -> System.err.println("  " + Terminal.shown(
              problem.path("file").asText() + ":" + problem.path("line").asInt() + ":" + problem.path("column").asInt()
                  + ": " + problem.path("message").asText())));
          return SwarmCli.BAD_INPUT;
        }
        System.err.println("swarm run: the swarm refused the run (" + e.status() + "): "
            + (e.status() == 401 ? Connection.tokenHint() : e.getMessage()));
        return e.status() == 400 || e.status() == 413 ? SwarmCli.BAD_INPUT : SwarmCli.UNAVAILABLE;
      } catch (IOException e) {
        System.err.println("swarm run: cannot reach the swarm at " + client.base() + ": "
            + org.buildswarm.deploy.impl.SwarmClient.problem(e));
        return SwarmCli.UNAVAILABLE;
      }
      RunDetail detail = client.run(runId);
      System.out.println("run #" + runId + " of " + detail.run().project() + ": " + detail.jobs().size() + " jobs  ("
          + client.base() + "#/runs/" + runId + ")");
      System.out.println("  source   " + org.buildswarm.deploy.impl.SourceLines.describe(detail.run().source()));
      if (detach) {
        return SwarmCli.OK;
      }
      return follow(client, runId, events, stream != null);
    } finally {
      if (stream != null) {
        stream.close();
      }
    }
  }

  /** How often a followed run is read again while some of its jobs wait. */
  private static final long WAIT_READ_MS = 2_000;

  private static int follow(SwarmClient client, long runId, BlockingQueue<RunEvent> events, boolean live)
      throws Exception {
    RunProgress progress = new RunProgress(System.out, jobId -> findTests(client, jobId));
    int unreachable = 0;
    long lastRead = System.currentTimeMillis();
    while (true) {
      RunEvent event = live ? events.poll(WAIT_READ_MS, TimeUnit.MILLISECONDS) : null;
      // Live events say what changed, not why a job still waits: read the run for that every few seconds.
      boolean waitsToExplain = progress.anyWaiting() && System.currentTimeMillis() - lastRead >= WAIT_READ_MS;
      if (event != null) {
        if (event.runId() == runId) {
          progress.event(event, jobId -> findJob(client, runId, jobId));
          if (event.jobId() == null && event.runState() != null && event.runState().isTerminal()) {
            return progress.summary(client.run(runId)) ? SwarmCli.OK : SwarmCli.RUN_FAILED;
          }
        }
        if (!waitsToExplain) {
          continue;
        }
      }
      // Quiet for a while, jobs waiting, or no live events: read the whole run to catch anything missed.
      try {
        RunDetail detail = client.run(runId);
        lastRead = System.currentTimeMillis();
        unreachable = 0;
        progress.update(detail, lastRead);
        if (detail.run().state().isTerminal()) {
          return progress.summary(detail) ? SwarmCli.OK : SwarmCli.RUN_FAILED;
        }
      } catch (IOException e) {
        if (++unreachable == 1) {
          System.err.println("swarm run: lost the swarm (" + org.buildswarm.deploy.impl.SwarmClient.problem(e)
              + "); still trying; the run goes on");
        }
      }
      if (!live) {
        Thread.sleep(1_000);
      }
    }
  }

  private static org.buildswarm.protocol.api.JobTests findTests(SwarmClient client, long jobId) {
    try {
      return client.tests(jobId);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static JobView findJob(SwarmClient client, long runId, long jobId) {
    try {
      return client.run(runId).jobs().stream().filter(job -> job.id() == jobId).findFirst().orElse(null);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
