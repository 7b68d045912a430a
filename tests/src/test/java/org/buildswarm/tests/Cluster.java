package org.buildswarm.tests;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A swarm of separate processes on one machine: an orchestrator, a gateway and drones, each its
 * own JVM started through {@code ./swarm}, joined over Hazelcast on one address. Closing it stops
 * every process it started.
 */
final class Cluster implements AutoCloseable {
  final Path directory;
  final String address;
  final String name = "test-" + UUID.randomUUID().toString().substring(0, 8);
  /** The control plane's credentials (orchestrators and gateways); drones get theirs from {@link #droneCredentials}. */
  final Path controlCredentials;
  final org.buildswarm.protocol.auth.Credentials control =
      org.buildswarm.protocol.auth.Credentials.newSwarm(new java.security.SecureRandom());
  final int orchestratorPort;
  final int gatewayPort;
  /** Cluster ports of the second, third… orchestrators (high availability). */
  final List<Integer> moreOrchestratorPorts = new ArrayList<>();
  private final List<SwarmProcess> processes = new ArrayList<>();
  SwarmProcess orchestrator;
  final List<SwarmProcess> orchestrators = new ArrayList<>();
  SwarmProcess gateway;
  String url;
  Api api;

  Cluster(Path directory, String address) throws IOException {
    this(directory, address, 1);
  }

  Cluster(Path directory, String address, int orchestratorCount) throws IOException {
    this.directory = directory;
    this.address = address;
    this.controlCredentials = directory.resolve("control.credentials");
    control.write(controlCredentials);
    this.orchestratorPort = freePort();
    this.gatewayPort = freePort();
    for (int i = 1; i < orchestratorCount; i++) {
      moreOrchestratorPorts.add(freePort());
    }
  }

  String members() {
    StringBuilder members = new StringBuilder(address + ":" + orchestratorPort);
    moreOrchestratorPorts.forEach(port -> members.append(',').append(address).append(':').append(port));
    return members.append(',').append(address).append(':').append(gatewayPort).toString();
  }

  /** Starts (or restarts) orchestrator number {@code index} (0 is the first) and returns its process. */
  SwarmProcess startOrchestrator(int index, String... options) throws Exception {
    int port = index == 0 ? orchestratorPort : moreOrchestratorPorts.get(index - 1);
    List<String> args = new ArrayList<>(List.of("orchestrator", "--cluster-name", name, "--members", members(),
        "--bind", address, "--cluster-port", Integer.toString(port), "--event-bus-port", "0",
        "--credentials", controlCredentials.toString(), "--data", directory.resolve("orchestrator-" + index).toString()));
    if (index == 0) {
      args.addAll(List.of("--admin-token-file", directory.resolve("admin.token").toString()));
    }
    args.addAll(List.of(options));
    SwarmProcess process = start("orchestrator-" + index + "-" + processes.size(), null, args);
    process.awaitOutput(Pattern.compile("buildswarm orchestrator ready"), Duration.ofSeconds(120));
    return process;
  }

  /** The cluster port of the orchestrator named (as status names it: address:port). */
  int orchestratorIndex(String leader) {
    if (leader.endsWith(":" + orchestratorPort)) {
      return 0;
    }
    for (int i = 0; i < moreOrchestratorPorts.size(); i++) {
      if (leader.endsWith(":" + moreOrchestratorPorts.get(i))) {
        return i + 1;
      }
    }
    throw new AssertionError("no orchestrator " + leader);
  }

  /** Starts the orchestrator(s) and the gateway and waits until the API answers. */
  void startCore(String... orchestratorOptions) throws Exception {
    gateway = start("gateway", null, List.of("gateway", "--cluster-name", name, "--members", members(), "--bind", address,
        "--cluster-port", Integer.toString(gatewayPort), "--event-bus-port", "0",
        "--http-host", "127.0.0.1", "--http-port", "0", "--data", directory.resolve("gateway").toString(),
        "--credentials", controlCredentials.toString()));
    orchestrator = startOrchestrator(0, orchestratorOptions);
    orchestrators.add(orchestrator);
    for (int i = 1; i <= moreOrchestratorPorts.size(); i++) {
      orchestrators.add(startOrchestrator(i, orchestratorOptions));
    }
    url = gateway.awaitOutput(Pattern.compile("UI and API:\\s+(http://\\S+)"), Duration.ofSeconds(120));
    api = new Api(url, Files.readString(directory.resolve("admin.token")).trim());
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (api.get("/api/v1/status").status() != 200) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no orchestrator answers\n" + orchestrator.output());
      }
      Thread.sleep(200);
    }
  }

  /** Starts a drone (in a network namespace if given) and waits until the orchestrator lists it online. */
  SwarmProcess startDrone(String droneName, int cores, String namespace, String bind, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("drone", "--cluster-name", name, "--members", members(), "--bind", bind,
        "--cluster-port", "0", "--event-bus-port", "0",
        "--credentials", droneCredentials(droneName).toString(), "--cores", Integer.toString(cores),
        "--labels", "linux,node-" + droneName, "--work-dir", directory.resolve("drone-" + droneName).toString(),
        "--kill-grace", "2",
        // These tests need their drones to take work whatever else this host is doing.
        "--no-host-guard"));
    args.addAll(List.of(extra));
    SwarmProcess drone = start("drone-" + droneName + "-" + processes.size(), namespace, args);
    awaitDroneState(droneName, "online", Duration.ofSeconds(120), drone);
    return drone;
  }

  /** A drone's own credentials, made from the control plane's (as `swarm credentials drone NAME` does). */
  Path droneCredentials(String droneName) throws IOException {
    Path file = directory.resolve("drone-" + droneName + ".credentials");
    if (!Files.exists(file)) {
      control.forDrone(droneName).write(file);
    }
    return file;
  }

  SwarmProcess start(String logName, String namespace, List<String> args) throws IOException {
    SwarmProcess process = SwarmProcess.startIn(namespace, directory, logName, Map.of(), args.toArray(String[]::new));
    processes.add(process);
    return process;
  }

  void awaitDroneState(String droneName, String state, Duration timeout, SwarmProcess watch) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (var drone : api.get("/api/v1/drones").json().path("drones")) {
        if (drone.path("name").asText().equals(droneName) && drone.path("state").asText().equals(state)) {
          return;
        }
      }
      if (watch != null && !watch.process.isAlive()) {
        throw new AssertionError("drone " + droneName + " exited\n" + watch.output());
      }
      Thread.sleep(200);
    }
    throw new AssertionError("drone " + droneName + " not " + state + " within " + timeout
        + (watch == null ? "" : "\n" + watch.output()));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
  }
}
