package org.buildswarm.orchestrator.discovery.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.buildswarm.orchestrator.discovery.Forge;
import org.buildswarm.orchestrator.discovery.Notifier;
import org.buildswarm.orchestrator.discovery.Project;
import org.buildswarm.protocol.Addresses;
import org.buildswarm.protocol.EventType;
import org.buildswarm.protocol.JobState;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.RunState;
import org.buildswarm.protocol.api.FindGateway;
import org.buildswarm.protocol.api.GatewayInfo;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.message.SourceSpec;

/**
 * Tells the outside world how a project's runs go: a commit status on GitHub or Gitea (pending
 * when queued, then success, failure or error, linking to the run page; per job too where asked)
 * and a signed JSON notification when a run finishes or a deploy succeeds or is rolled back.
 * Driven by the orchestrator's run events; all delivery goes through an {@link Outbox}, so a forge
 * that is away never fails or slows a build.
 */
public final class ProjectReports {
  private static final Logger LOG = Logger.getLogger(ProjectReports.class.getName());
  private static final long ASK_TIMEOUT_MS = 10_000;
  /** GitHub refuses longer descriptions. */
  private static final int MAX_DESCRIPTION = 140;

  private final Vertx vertx;
  private final Function<String, Project> projects;
  private final Outbox outbox;
  private final boolean jobStatuses;
  private String gatewayUrl;

  /**
   * @param projects a project by name, or null
   * @param jobStatuses whether some project wants a status per job (else job events are not looked at)
   */
  public ProjectReports(Vertx vertx, Function<String, Project> projects, Outbox outbox, boolean jobStatuses) {
    this.vertx = vertx;
    this.projects = projects;
    this.outbox = outbox;
    this.jobStatuses = jobStatuses;
  }

  /** A run event: reports what it changes for its project, if that project reports anything. */
  public void onEvent(RunEvent event) {
    // A retried run is pending again: its commit status goes back to pending until it finishes again.
    EventType type = event.type();
    boolean runChange = event.jobId() == null
        && (type == EventType.RUN_CREATED || type == EventType.RUN_FINISHED || type == EventType.RUN_RETRIED);
    boolean deployDone = type == EventType.DEPLOY_SUCCEEDED || type == EventType.DEPLOY_ROLLED_BACK
        || type == EventType.DEPLOY_ROLLBACK_FAILED;
    boolean jobChange = jobStatuses && event.jobId() != null && event.jobState() != null;
    if (!runChange && !deployDone && !jobChange) {
      return;
    }
    vertx.eventBus().<RunDetail>request(Addresses.RUN_GET, new GetRun(event.runId()),
            new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS))
        .compose(reply -> webUrl(projects.apply(reply.body().run().project())).map(url -> {
          report(reply.body(), event, url);
          return null;
        }))
        .onFailure(failure -> LOG.fine("run " + event.runId() + " not reported: " + failure.getMessage()));
  }

  /** Reports a run as it is now (after a restart, so a status that did not go out before does). */
  public void reportState(RunDetail detail) {
    Project project = projects.apply(detail.run().project());
    webUrl(project).onSuccess(url -> report(detail, null, url));
  }

  private void report(RunDetail detail, RunEvent event, String webUrl) {
    RunSummary run = detail.run();
    Project project = projects.apply(run.project());
    if (project == null) {
      return;
    }
    String link = webUrl == null ? null : webUrl + "#/runs/" + run.id();
    Forge forge = project.forge();
    String sha = commitOf(project, run.source());
    if (forge != null && sha != null) {
      if (event == null || event.jobId() == null) {
        status(project, forge, sha, forge.context() + "/" + run.pipeline(), runState(run.state()), link,
            runDescription(run));
      }
      if (forge.perJob()) {
        for (JobView job : detail.jobs()) {
          if (event == null || job.id() == event.jobId()) {
            status(project, forge, sha, forge.context() + "/" + run.pipeline() + "/" + job.name(), jobState(job.state()),
                link, jobDescription(job));
          }
        }
      }
    }
    Notifier notifier = project.notifier();
    if (notifier != null && event != null && (event.type() == EventType.RUN_FINISHED || event.type().isDeploy())) {
      notify(project, notifier, event, run, link);
    }
  }

  /** The commit a forge knows, if the run is of the project's own repository. */
  private static String commitOf(Project project, SourceSpec source) {
    if (source == null || !SourceSpec.GIT.equals(source.kind()) || source.revision() == null
        || !source.revision().matches("[0-9a-f]{40}([0-9a-f]{24})?")) {
      return null;
    }
    return org.buildswarm.orchestrator.discovery.Projects.sameRepository(project.url(), source.location())
        ? source.revision() : null;
  }

  private void status(Project project, Forge forge, String sha, String context, String state, String link,
      String description) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("state", state);
    if (link != null) {
      body.put("target_url", link);
    }
    body.put("description", description.length() <= MAX_DESCRIPTION ? description
        : description.substring(0, MAX_DESCRIPTION - 1) + "…");
    body.put("context", context);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.put("user-agent", "buildswarm");
    if (forge.kind() == Forge.Kind.GITHUB) {
      headers.put("authorization", "Bearer " + forge.token());
      headers.put("accept", "application/vnd.github+json");
    } else {
      headers.put("authorization", "token " + forge.token());
      headers.put("accept", "application/json");
    }
    outbox.send(new Outbox.Post("status " + project.name() + " " + sha + " " + context,
        forge.apiUrl() + "/repos/" + forge.repository() + "/statuses/" + sha, headers,
        Buffer.buffer(ProtocolJson.toJson(body)), state + " status " + context + " of " + shortSha(sha)));
  }

  private void notify(Project project, Notifier notifier, RunEvent event, RunSummary run, String link) {
    Map<String, Object> body = new LinkedHashMap<>();
    // A finished run is told as how it ended (run.failed); one already retried again stays "run.finished".
    body.put("event", event.type() == EventType.RUN_FINISHED && run.state().isTerminal()
        ? EventType.runEnded(run.state()).wire() : event.type().wire());
    body.put("project", project.name());
    body.put("run", run.id());
    body.put("pipeline", run.pipeline());
    body.put("state", run.state().name().toLowerCase(Locale.ROOT));
    body.put("source", run.source());
    if (link != null) {
      body.put("url", link);
    }
    body.put("at", event.at());
    byte[] json = ProtocolJson.toJson(body).getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.put("user-agent", "buildswarm");
    headers.put("x-buildswarm-event", String.valueOf(body.get("event")));
    headers.put("x-buildswarm-signature-256", "sha256=" + hmac(notifier.secret(), json));
    outbox.send(new Outbox.Post("notify " + project.name() + " " + run.id() + " " + body.get("event"), notifier.url(),
        headers, Buffer.buffer(json), body.get("event") + " notification of run " + run.id()));
  }

  /** The UI's address for links: the project's setting, else what a gateway says (asked once). */
  private Future<String> webUrl(Project project) {
    if (project != null && project.forge() != null && project.forge().webUrl() != null) {
      return Future.succeededFuture(project.forge().webUrl());
    }
    if (gatewayUrl != null) {
      return Future.succeededFuture(gatewayUrl);
    }
    return vertx.eventBus().<GatewayInfo>request(Addresses.GATEWAY_FIND, new FindGateway("orchestrator"),
            new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS))
        .map(reply -> {
          gatewayUrl = reply.body().url().endsWith("/") ? reply.body().url() : reply.body().url() + "/";
          return gatewayUrl;
        })
        .otherwise(failure -> null);
  }

  static String runState(RunState state) {
    return switch (state) {
      case QUEUED, RUNNING -> "pending";
      case SUCCEEDED -> "success";
      case FAILED -> "failure";
      case CANCELLED -> "error";
    };
  }

  static String jobState(JobState state) {
    return switch (state) {
      case SUCCEEDED, SKIPPED -> "success";
      case FAILED -> "failure";
      case CANCELLED -> "error";
      default -> "pending";
    };
  }

  private static String runDescription(RunSummary run) {
    return switch (run.state()) {
      case QUEUED -> "queued";
      case RUNNING -> "running";
      case SUCCEEDED -> "passed" + counts(run);
      case FAILED -> "failed" + counts(run);
      case CANCELLED -> "cancelled";
    };
  }

  private static String counts(RunSummary run) {
    List<String> parts = new java.util.ArrayList<>();
    run.jobCounts().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(entry -> parts.add(entry.getValue() + " " + entry.getKey().name().toLowerCase(Locale.ROOT)));
    return parts.isEmpty() ? "" : ": " + String.join(", ", parts);
  }

  private static String jobDescription(JobView job) {
    return job.state().name().toLowerCase(Locale.ROOT) + (job.reason() == null ? "" : ": " + job.reason());
  }

  private static String shortSha(String sha) {
    return sha.substring(0, Math.min(7, sha.length()));
  }

  static String hmac(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
