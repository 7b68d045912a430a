package org.buildswarm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ProtocolJson;

/**
 * A swarm of separate processes on loopback, started from a built distribution: an orchestrator, a
 * gateway and one drone per entry of {@code droneCores}, each declaring that many cores. Closing it
 * stops every process it started; the work directory is the caller's.
 */
final class BenchCluster implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final String url;
  final String token;
  final Process orchestrator;
  final Process gateway;
  final List<Process> drones = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  /**
   * Starts the swarm and returns once every drone is listed — and, with {@code online}, taking work
   * (a drone whose host guard refuses work on a busy host is listed but not online).
   */
  static BenchCluster start(Path home, Path work, List<Integer> droneCores, List<String> droneArgs, boolean online)
      throws Exception {
    return new BenchCluster(home, work, droneCores, droneArgs, online);
  }

  private BenchCluster(Path home, Path work, List<Integer> droneCores, List<String> droneArgs, boolean online)
      throws Exception {
    try {
      String cluster = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      NodeCredentials credentials = new NodeCredentials(home, work);
      int orchestratorPort = freePort();
      int gatewayPort = freePort();
      List<String> common = List.of("--cluster-name", cluster, "--members",
          "127.0.0.1:" + orchestratorPort + ",127.0.0.1:" + gatewayPort, "--bind", "127.0.0.1");
      List<String> orchestratorArgs = new ArrayList<>(List.of("orchestrator", "--cluster-port", "" + orchestratorPort,
          "--event-bus-port", "0", "--admin-token-file", work.resolve("admin.token").toString(), "--data",
          work.resolve("o").toString()));
      orchestratorArgs.addAll(credentials.control(true));
      orchestrator = start(home, work, "orchestrator", orchestratorArgs, common);
      List<String> gatewayArgs = new ArrayList<>(List.of("gateway", "--cluster-port", "" + gatewayPort,
          "--event-bus-port", "0", "--http-host", "127.0.0.1", "--http-port", "0", "--data",
          work.resolve("g").toString()));
      gatewayArgs.addAll(credentials.control(false));
      gateway = start(home, work, "gateway", gatewayArgs, common);
      url = ProcessOutput.await(work.resolve("gateway.out"), Pattern.compile("UI and API:\\s+(http://\\S+)"));
      ProcessOutput.await(work.resolve("orchestrator.out"), Pattern.compile("(orchestrator ready)"));
      for (int i = 0; i < droneCores.size(); i++) {
        // Drones bind any free ports: nobody's member list names them.
        List<String> args = new ArrayList<>(List.of("drone", "--cluster-port", "0", "--event-bus-port", "0",
            "--cores", "" + droneCores.get(i), "--work-dir", work.resolve("d" + i).toString()));
        args.addAll(credentials.drone("d" + i));
        args.addAll(droneArgs);
        drones.add(start(home, work, "drone-" + i, args, common));
      }
      token = Files.readString(work.resolve("admin.token")).trim();
      awaitDrones(url, droneCores.size(), online);
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /** Resident memory of every process: "orchestrator N MB, gateway N MB, drones N N MB". */
  String memory() throws IOException {
    StringBuilder text = new StringBuilder("orchestrator " + rssMb(orchestrator) + " MB, gateway " + rssMb(gateway)
        + " MB, drones");
    for (Process drone : drones) {
      text.append(' ').append(rssMb(drone));
    }
    return text.append(" MB").toString();
  }

  @Override
  public void close() throws InterruptedException {
    for (Process process : processes) {
      process.toHandle().destroy();
    }
    for (Process process : processes) {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.toHandle().destroyForcibly();
      }
    }
  }

  /** Waits until the swarm at {@code url} lists {@code count} drones (with {@code online}, all taking work). */
  static void awaitDrones(String url, int count, boolean online) throws Exception {
    long deadline = System.currentTimeMillis() + 180_000;
    while (System.currentTimeMillis() < deadline) {
      JsonNode listed = ProtocolJson.mapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url
          + "api/v1/drones")).build(), HttpResponse.BodyHandlers.ofString()).body()).path("drones");
      int ready = 0;
      for (JsonNode drone : listed) {
        ready += !online || drone.path("state").asText().equals("online") ? 1 : 0;
      }
      if (ready == count) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("the drones did not " + (online ? "come online" : "join"));
  }

  private Process start(Path home, Path work, String name, List<String> args, List<String> common) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/swarm").toString());
    command.addAll(args);
    command.addAll(common);
    Process process = new ProcessBuilder(command).directory(work.toFile())
        .redirectOutput(work.resolve(name + ".out").toFile()).redirectError(work.resolve(name + ".err").toFile())
        .start();
    processes.add(process);
    return process;
  }

  private static long rssMb(Process process) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
