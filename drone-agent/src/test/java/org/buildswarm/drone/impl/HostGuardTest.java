package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.buildswarm.drone.HostGuardOptions;
import org.buildswarm.protocol.message.HostRefusal;
import org.buildswarm.protocol.message.HostRefusal.Signal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host guard on recorded {@code /proc} readings: a fake {@code /proc} tree in a temporary
 * directory, read by the real {@link HostProbe}, judged by the real {@link HostGuard}.
 */
class HostGuardTest {
  private static final long DRONE_PID = 500;
  private static final long JOB_GROUP = 1000;
  private static final long GIB = 1024L * 1024 * 1024;

  @TempDir
  Path proc;

  @TempDir
  Path work;

  /** Writes the host-wide files: CPUs, runnable and blocked tasks, memory, and PSI unless {@code cpuSome} < 0. */
  private void host(int cpus, int running, int blocked, double cpuSome, double ioSome, double memorySome,
      long memoryAvailable) throws IOException {
    StringBuilder stat = new StringBuilder("cpu  1 2 3 4 5 6 7 8 9 10\n");
    for (int i = 0; i < cpus; i++) {
      stat.append("cpu").append(i).append(" 1 2 3 4 5 6 7 8 9 10\n");
    }
    stat.append("procs_running ").append(running).append("\nprocs_blocked ").append(blocked).append('\n');
    Files.writeString(proc.resolve("stat"), stat);
    Files.writeString(proc.resolve("loadavg"), "3.50 2.00 1.00 " + running + "/300 4242\n");
    Files.writeString(proc.resolve("meminfo"), "MemTotal:       16000000 kB\nMemAvailable:   "
        + memoryAvailable / 1024 + " kB\n");
    Path pressure = proc.resolve("pressure");
    if (cpuSome < 0) {
      deleteTree(pressure);
      return;
    }
    Files.createDirectories(pressure);
    Files.writeString(pressure.resolve("cpu"), psi(cpuSome, 0));
    Files.writeString(pressure.resolve("io"), psi(ioSome, ioSome / 2));
    Files.writeString(pressure.resolve("memory"), psi(memorySome, memorySome / 2));
  }

  private static String psi(double some, double full) {
    return "some avg10=" + some + " avg60=1.00 avg300=0.50 total=123456\nfull avg10=" + full
        + " avg60=0.00 avg300=0.00 total=0\n";
  }

  /** A process with threads in these states ('R' running, 'S' sleeping, 'D' blocked), leading or in a group. */
  private void process(long pid, long group, String threadStates) throws IOException {
    Path dir = proc.resolve(Long.toString(pid));
    Files.createDirectories(dir.resolve("task"));
    Files.writeString(dir.resolve("stat"), stat(pid, threadStates.charAt(0), group));
    for (int i = 0; i < threadStates.length(); i++) {
      Path task = dir.resolve("task").resolve(Long.toString(pid + i));
      Files.createDirectories(task);
      Files.writeString(task.resolve("stat"), stat(pid + i, threadStates.charAt(i), group));
    }
  }

  private static String stat(long pid, char state, long group) {
    // The command name holds a space and a parenthesis, as real ones may.
    return pid + " (cc1 (x)) " + state + " 1 " + group + " " + group + " 0 -1 4194560 0 0 0 0 0 0\n";
  }

  private HostSample read(long now) {
    return new HostProbe(proc, work).read(Set.of(JOB_GROUP), DRONE_PID, now);
  }

  private static HostGuardOptions options() {
    return HostGuardOptions.defaults().withFloors(0, 0).withHoldMs(10_000);
  }

  @Test
  void theProbeCountsTheHostsTasksAndTheDronesOwnFromProc() throws Exception {
    host(4, 9, 2, 80, 12.5, 3, 8 * GIB);
    process(DRONE_PID, DRONE_PID, "SRS"); // the drone's JVM: one thread runnable
    process(JOB_GROUP, JOB_GROUP, "RRD"); // a job step: two runnable, one blocked
    process(JOB_GROUP + 7, JOB_GROUP, "RS"); // its child
    process(JOB_GROUP + 20, 777, "RRRR"); // someone else's build

    HostSample sample = read(1_000);

    assertThat(sample.cpus()).isEqualTo(4);
    assertThat(sample.runnableTasks()).isEqualTo(9);
    assertThat(sample.blockedTasks()).isEqualTo(2);
    assertThat(sample.ownRunnable()).as("JVM 1 + step 2 + child 1").isEqualTo(4);
    assertThat(sample.ownBlocked()).isEqualTo(1);
    assertThat(sample.cpu()).isEqualTo(new HostSample.Pressure(80, 0));
    assertThat(sample.io().someAvg10()).isEqualTo(12.5);
    assertThat(sample.memoryAvailableBytes()).isEqualTo(8 * GIB);
    assertThat(sample.load1()).isEqualTo(3.5);
  }

  @Test
  void cpuPressureTheDronesOwnJobsCauseIsNotAReasonToRefuse() throws Exception {
    // A make -j16 of the drone's own keeps every CPU busy and tasks waiting: 95% CPU pressure, all its own.
    host(2, 17, 0, 95, 0, 0, 8 * GIB);
    process(DRONE_PID, DRONE_PID, "S");
    process(JOB_GROUP, JOB_GROUP, "RRRRRRRRRRRRRRRR");
    HostGuard guard = new HostGuard(options());

    HostGuard.Reading reading = guard.observe(read(1_000));

    assertThat(reading.cpuPressure()).as("95% × 1 foreign task of 17").isLessThan(10);
    assertThat(reading.refusal()).isNull();
  }

  @Test
  void cpuPressureOtherWorkCausesHoldsBackMoreWorkWhileTheDroneRunsSomething() throws Exception {
    // Someone else's work: 8 runnable tasks on 2 CPUs, none of them the drone's.
    host(2, 9, 0, 95, 0, 0, 8 * GIB);
    process(DRONE_PID, DRONE_PID, "R");
    process(JOB_GROUP, JOB_GROUP, "S");
    HostGuard guard = new HostGuard(options());

    HostRefusal refusal = guard.observe(read(1_000)).refusal();

    assertThat(refusal).isNotNull();
    assertThat(refusal.signal()).isEqualTo(Signal.CPU_PRESSURE);
    assertThat(refusal.message()).matches("CPU pressure from other work \\d+% > 60%");
    assertThat(refusal.whileBusyOnly()).isTrue();
    assertThat(refusal.applies(1)).as("holds back more work while it runs a job").isTrue();
    assertThat(refusal.applies(0)).as("a drone that runs nothing still takes a job: the swarm never stalls").isFalse();
  }

  @Test
  void aPressureRefusalHasHysteresisAndAMinimumHold() throws Exception {
    HostGuard guard = new HostGuard(options());
    process(DRONE_PID, DRONE_PID, "S");
    host(2, 6, 0, 80, 0, 0, 8 * GIB);
    assertThat(guard.observe(read(1_000)).refusal()).as("80% > 60%").isNotNull();

    host(2, 6, 0, 45, 0, 0, 8 * GIB); // below the refuse threshold, above resume (30)
    assertThat(guard.observe(read(3_000)).refusal()).as("45% is not below 30%: still refusing").isNotNull();

    host(2, 6, 0, 10, 0, 0, 8 * GIB); // below resume, but within the hold (10 s from 1 s)
    assertThat(guard.observe(read(6_000)).refusal()).as("held for at least 10 s").isNotNull();

    assertThat(guard.observe(read(12_000)).refusal()).as("below resume and the hold is over").isNull();

    host(2, 6, 0, 50, 0, 0, 8 * GIB);
    assertThat(guard.observe(read(13_000)).refusal()).as("50% is not above 60%: no new refusal").isNull();
  }

  @Test
  void withoutPressureStallInformationCpuPressureIsEstimatedFromTheTaskCounts() throws Exception {
    host(2, 9, 0, -1, 0, 0, 8 * GIB); // no /proc/pressure
    process(DRONE_PID, DRONE_PID, "R");
    HostGuard guard = new HostGuard(options());

    HostGuard.Reading reading = guard.observe(read(1_000));

    assertThat(reading.psi()).isFalse();
    assertThat(reading.refusal()).isNotNull();
    assertThat(reading.refusal().signal()).isEqualTo(Signal.CPU_PRESSURE);
    assertThat(reading.refusal().message()).contains("estimated: no pressure stall information");

    // The other work stops: fewer runnable tasks than CPUs, so the estimate decays over the readings.
    host(2, 1, 0, -1, 0, 0, 8 * GIB);
    HostGuard.Reading later = null;
    for (long at = 2_000; at <= 40_000; at += 1_000) {
      later = guard.observe(read(at));
    }
    assertThat(later.cpuPressure()).isLessThan(30);
    assertThat(later.refusal()).isNull();
  }

  @Test
  void ioPressureIsDiscountedByTheDronesOwnBlockedTasksAndMemoryPressureIsNot() throws Exception {
    process(DRONE_PID, DRONE_PID, "S");
    process(JOB_GROUP, JOB_GROUP, "DDDD");
    host(4, 1, 4, 0, 90, 0, 8 * GIB); // the drone's own jobs wait on the disk
    HostGuard own = new HostGuard(options());
    assertThat(own.observe(read(1_000)).refusal()).isNull();

    host(4, 1, 20, 0, 90, 0, 8 * GIB); // sixteen more blocked tasks that are not the drone's
    HostGuard mixed = new HostGuard(options());
    HostRefusal io = mixed.observe(read(1_000)).refusal();
    assertThat(io).isNotNull();
    assertThat(io.signal()).isEqualTo(Signal.IO_PRESSURE);
    assertThat(io.message()).as("90% × 16 of 20 blocked tasks").isEqualTo("I/O pressure from other work 72% > 60%");

    host(4, 1, 4, 0, 0, 42, 8 * GIB); // memory waits, whoever causes them
    HostRefusal memory = new HostGuard(options()).observe(read(1_000)).refusal();
    assertThat(memory).isEqualTo(new HostRefusal(Signal.MEMORY_PRESSURE, "memory pressure 42% > 30%", true));
  }

  @Test
  void floorsOfDiskAndMemoryHoldBackWorkEvenFromAnIdleDrone() throws Exception {
    process(DRONE_PID, DRONE_PID, "S");
    host(2, 1, 0, 0, 0, 0, 100L * 1024 * 1024);
    HostGuard guard = new HostGuard(HostGuardOptions.defaults().withHoldMs(0));

    HostRefusal refusal = guard.observe(read(1_000)).refusal();

    assertThat(refusal).isEqualTo(new HostRefusal(Signal.MEMORY, "memory low: 100 MiB available, needs 256 MiB", false));
    assertThat(refusal.applies(0)).as("even idle: a job started now would fail").isTrue();

    host(2, 1, 0, 0, 0, 0, 270L * 1024 * 1024);
    assertThat(guard.observe(read(2_000)).refusal()).as("above the floor, but not by 10%").isNotNull();
    host(2, 1, 0, 0, 0, 0, 300L * 1024 * 1024);
    assertThat(guard.observe(read(3_000)).refusal()).isNull();

    HostGuard disk = new HostGuard(HostGuardOptions.defaults().withFloors(Long.MAX_VALUE / 2, 0));
    HostRefusal full = disk.observe(read(1_000)).refusal();
    assertThat(full.signal()).isEqualTo(Signal.DISK);
    assertThat(full.message()).startsWith("disk space low: ").contains("free in the work directory, needs ");
  }

  @Test
  void turnedOffSignalsNeverRefuse() throws Exception {
    process(DRONE_PID, DRONE_PID, "S");
    host(1, 50, 50, 100, 100, 100, 1024);
    HostGuard guard = new HostGuard(HostGuardOptions.none());
    assertThat(guard.observe(read(1_000)).refusal()).isNull();
    assertThat(new HostGuard(HostGuardOptions.singleHostDefaults().withFloors(0, 0).withMemoryPressure(0, 0))
        .observe(read(1_000)).refusal()).as("swarm up: CPU and I/O pressure off by default").isNull();
  }

  private static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      for (Path each : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(each);
      }
    }
  }
}
