package org.buildswarm.drone;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostLimitsTest {
  private static final long GIB = 1024L * 1024 * 1024;

  @Test
  void lowDiskAndAnOverSubscribedHostAreRefusedWithTheNumbers() {
    HostLimits limits = new HostLimits(2 * GIB, 1.5);
    assertThat(limits.refusal(10 * GIB, 3.0, 4)).isNull();
    assertThat(limits.refusal(GIB, 3.0, 4))
        .isEqualTo("disk space low: 1024 MiB free in the work directory, needs 2048 MiB");
    assertThat(limits.refusal(10 * GIB, 6.5, 4)).isEqualTo("host over-subscribed: load 6.5 on 4 CPUs (limit 1.5 per CPU)");
  }

  @Test
  void unknownReadingsAndZeroLimitsNeverRefuse() {
    assertThat(new HostLimits(2 * GIB, 1.5).refusal(-1, -1, 4)).isNull();
    assertThat(HostLimits.none().refusal(0, 1000, 1)).isNull();
  }
}
