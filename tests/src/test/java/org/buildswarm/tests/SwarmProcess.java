package org.buildswarm.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A buildswarm command started as a separate process, exactly as a user would start it: the
 * {@code swarm} script at the root of the checkout. Output goes to files in the test's directory.
 * Closing it stops the process and everything it started (SIGTERM, then SIGKILL).
 */
final class SwarmProcess implements AutoCloseable {
  private static final Pattern URL = Pattern.compile("UI and API:\\s+(http://\\S+)");

  final Process process;
  final Path stdout;
  final Path stderr;

  private SwarmProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** The checkout under test (its {@code swarm} script runs the distribution built by Maven). */
  static Path checkout() {
    return Path.of(System.getProperty("buildswarm.checkout", "..")).toAbsolutePath().normalize();
  }

  static SwarmProcess start(Path workingDirectory, String name, Map<String, String> env, String... args)
      throws IOException {
    return startIn(null, workingDirectory, name, env, args);
  }

  /** Starts {@code swarm ARGS} inside a network namespace (null: this one). */
  static SwarmProcess startIn(String namespace, Path workingDirectory, String name, Map<String, String> env, String... args)
      throws IOException {
    return launch(namespace, checkout().resolve("swarm"), workingDirectory, name, env, args);
  }

  /** Starts another launcher (an installed or unpacked distribution's {@code bin/swarm}) with ARGS. */
  static SwarmProcess startWith(Path launcher, Path workingDirectory, String name, Map<String, String> env,
      String... args) throws IOException {
    return launch(null, launcher, workingDirectory, name, env, args);
  }

  private static SwarmProcess launch(String namespace, Path launcher, Path workingDirectory, String name,
      Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    if (namespace != null) {
      command.addAll(List.of("ip", "netns", "exec", namespace));
    }
    command.add(launcher.toString());
    command.addAll(List.of(args));
    Path out = workingDirectory.resolve(name + ".out");
    Path err = workingDirectory.resolve(name + ".err");
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    return new SwarmProcess(builder.start(), out, err);
  }

  /** Runs a command to completion and returns its exit status. */
  static Finished run(Path workingDirectory, String name, Duration timeout, String... args) throws Exception {
    return runWith(checkout().resolve("swarm"), workingDirectory, name, timeout, args);
  }

  /** Runs another launcher's command to completion and returns its exit status. */
  static Finished runWith(Path launcher, Path workingDirectory, String name, Duration timeout, String... args)
      throws Exception {
    try (SwarmProcess process = startWith(launcher, workingDirectory, name, Map.of(), args)) {
      if (!process.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("swarm " + String.join(" ", args) + " did not finish within " + timeout
            + "\n" + process.output());
      }
      return new Finished(process.process.exitValue(), process.stdout(), process.stderr());
    }
  }

  record Finished(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  /** Waits for a line of output matching {@code pattern}; returns its first group (or the whole match). */
  String awaitOutput(Pattern pattern, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = pattern.matcher(stdout());
      if (matcher.find()) {
        return matcher.groupCount() > 0 ? matcher.group(1) : matcher.group();
      }
      if (!process.isAlive()) {
        throw new AssertionError("process exited with " + process.exitValue() + " before printing " + pattern + "\n"
            + output());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no " + pattern + " within " + timeout + "\n" + output());
  }

  /** kill -9: no shutdown hook, no goodbye. */
  void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits for {@code swarm up} to print its URL. */
  String awaitUrl(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = URL.matcher(stdout());
      if (matcher.find()) {
        return matcher.group(1);
      }
      if (!process.isAlive()) {
        throw new AssertionError("swarm exited with " + process.exitValue() + " before it was up\n" + output());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("swarm was not up within " + timeout + "\n" + output());
  }

  String stdout() throws IOException {
    return Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8) : "";
  }

  String stderr() throws IOException {
    return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
  }

  String output() throws IOException {
    return "--- stdout\n" + stdout() + "--- stderr\n" + stderr();
  }

  /** SIGTERM (what service managers send on stop) and wait; true if it exited by itself in time. */
  boolean terminate(Duration timeout) throws InterruptedException {
    process.toHandle().destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    ProcessHandle handle = process.toHandle();
    List<ProcessHandle> family = new ArrayList<>(handle.descendants().toList());
    family.add(handle);
    family.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (family.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    family.forEach(ProcessHandle::destroyForcibly);
  }
}
