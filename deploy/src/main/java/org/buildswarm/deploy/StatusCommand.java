package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Command;

/** {@code swarm status}: the orchestrator, the queue, the drones and the latest runs at a glance. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the queue, the drones and the latest runs.")
final class StatusCommand extends ApiCommand {
  @Override
  String name() {
    return "status";
  }

  @Override
  int run(SwarmClient client) throws IOException, InterruptedException {
    // One answer the gateway can give from its snapshot while the orchestrator is away.
    JsonNode overview = client.get("/api/v1/overview");
    JsonNode status = overview.path("status");
    JsonNode drones = overview.path("drones").path("drones");
    List<JsonNode> runs = new ArrayList<>();
    overview.path("runs").path("runs").forEach(run -> {
      if (runs.size() < 5) {
        runs.add(run);
      }
    });
    if (!overview.path("live").asBoolean(true)) {
      System.out.printf(Locale.ROOT, "NOT LIVE      the orchestrator does not answer; this is the gateway's snapshot from %s%n",
          java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").format(java.time.LocalDateTime.ofInstant(
              java.time.Instant.ofEpochMilli(overview.path("snapshotAt").asLong()), java.time.ZoneId.systemDefault())));
    }
    List<String> jobs = new ArrayList<>();
    status.path("jobsByState").fields().forEachRemaining(entry -> jobs.add(entry.getValue().asInt() + " "
        + entry.getKey().toLowerCase(Locale.ROOT)));
    System.out.printf(Locale.ROOT, "orchestrator  %s, epoch %d, %d active run(s)%s%n", status.path("leader").asText(),
        status.path("epoch").asLong(), status.path("activeRuns").asInt(), jobs.isEmpty() ? "" : ": " + String.join(", ", jobs));
    if (!status.path("storeAvailable").asBoolean(true)) {
      System.out.printf(Locale.ROOT, "store         NOT AVAILABLE: %d state change(s) waiting%n", status.path("eventsPending").asLong());
    }
    if (status.hasNonNull("oldestQueuedAt")) {
      System.out.printf(Locale.ROOT, "queue         oldest ready job waiting %.0fs%n",
          (status.path("at").asLong() - status.path("oldestQueuedAt").asLong()) / 1000.0);
    }
    int online = status.path("dronesOnline").asInt();
    int accepting = status.path("dronesAccepting").asInt();
    System.out.printf(Locale.ROOT, "drones        %d online%s, %d of %d cores busy, %d free; %d stale reports, "
            + "%d leases expired%n", online, accepting == online ? "" : " (" + (online - accepting) + " take no new work)",
        status.path("coresBusy").asInt(), status.path("coresTotal").asInt(), status.path("coresFree").asInt(),
        status.path("staleReports").asLong(), status.path("leasesExpired").asLong());
    for (JsonNode drone : drones) {
      List<String> labels = new ArrayList<>();
      drone.path("labels").forEach(label -> labels.add(label.asText()));
      System.out.printf(Locale.ROOT, "  %-20s %-12s %3d/%-3d cores  load %5.2f  %s%n", drone.path("name").asText(),
          drone.path("state").asText(), drone.path("busyCores").asInt(), drone.path("cores").asInt(),
          drone.path("load1").asDouble(), String.join(",", labels));
      if (drone.hasNonNull("reason") && !drone.path("reason").asText().isBlank()) {
        System.out.printf(Locale.ROOT, "  %-20s %s%n", "", drone.path("reason").asText());
      }
      if (drone.hasNonNull("sandbox")) {
        System.out.printf(Locale.ROOT, "  %-20s sandbox %s%n", "", drone.path("sandbox").asText());
      }
    }
    JsonNode waiting = status.path("waitingByReason");
    if (waiting.size() > 0) {
      List<String> reasons = new ArrayList<>();
      waiting.fields().forEachRemaining(entry -> reasons.add(entry.getValue().asInt() + " "
          + entry.getKey().toLowerCase(Locale.ROOT).replace('_', ' ')));
      System.out.println("waiting       " + String.join(", ", reasons) + "  (swarm run and the queue page say why each)");
    }
    System.out.println("latest runs");
    for (JsonNode run : runs) {
      org.buildswarm.protocol.message.SourceSpec source = run.hasNonNull("source")
          ? org.buildswarm.protocol.ProtocolJson.mapper().convertValue(run.get("source"),
              org.buildswarm.protocol.message.SourceSpec.class)
          : null;
      System.out.printf(Locale.ROOT, "  #%-6d %-24s %-10s %s%n", run.path("id").asLong(), run.path("project").asText(),
          run.path("state").asText().toLowerCase(Locale.ROOT), org.buildswarm.deploy.impl.SourceLines.describe(source));
    }
    return SwarmCli.OK;
  }
}
