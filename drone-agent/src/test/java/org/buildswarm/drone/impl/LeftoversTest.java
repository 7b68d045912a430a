package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeftoversTest {
  @TempDir
  Path work;

  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void stopsTheJobsOfADeadDroneAndRemovesItsFiles() throws Exception {
    Path jobs = Files.createDirectories(work.resolve("jobs"));
    Path logs = Files.createDirectories(work.resolve("logs"));
    Path workspace = Files.createDirectories(jobs.resolve("7-1-abc"));
    Files.writeString(logs.resolve("7-1-abc.log"), "partial");
    // A job left running in its own session, as a killed drone leaves it.
    Process orphan = new ProcessBuilder(ProcessGroups.newGroupCommand(List.of("/bin/sh", "-c", "trap '' TERM; sleep 600")))
        .directory(workspace.toFile()).start();
    // setsid makes it lead its own group only once it runs: on a busy host that is not at once.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!ProcessGroups.members(orphan.pid()).contains(orphan.pid()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    Leftovers.record(jobs.resolve("7-1-abc" + Leftovers.SUFFIX), orphan.pid());
    // A record of a group that no longer exists (or now belongs to someone else) is left alone.
    Files.writeString(jobs.resolve("8-1-def" + Leftovers.SUFFIX), "999999 123\n", java.nio.file.StandardOpenOption.CREATE);

    int stopped = Leftovers.clean(jobs, logs, 300);

    assertThat(stopped).isEqualTo(1);
    assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(running(orphan.pid())).isFalse();
    try (var left = Files.list(jobs)) {
      assertThat(left).isEmpty();
    }
    try (var left = Files.list(logs)) {
      assertThat(left).isEmpty();
    }
  }
}
