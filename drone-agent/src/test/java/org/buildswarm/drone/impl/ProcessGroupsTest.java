package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessGroupsTest {
  private static byte[] stat(String line) {
    return line.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void readsTheGroupFromAStatLineWhateverTheCommandIsCalled() {
    assertThat(ProcessGroups.inGroup(stat("4242 (sleep) S 4200 4200 4200 0 -1 4194560 89"), 4200)).isTrue();
    assertThat(ProcessGroups.inGroup(stat("4242 (sleep) S 4200 4201 4200 0 -1"), 4200)).isFalse();
    assertThat(ProcessGroups.inGroup(stat("77 (evil) (name) S 1 990 990 0"), 990)).as("parentheses in the name").isTrue();
    assertThat(ProcessGroups.inGroup(stat("78 (gone) Z 1 990 990 0"), 990)).as("zombies are not members").isFalse();
    assertThat(ProcessGroups.inGroup(stat("garbage"), 1)).isFalse();
  }

  @Test
  void findsTheLiveMembersOfARealGroup() throws Exception {
    Process leader = new ProcessBuilder(ProcessGroups.newGroupCommand(List.of("/bin/sh", "-c", "sleep 30 & sleep 30")))
        .start();
    try {
      long deadline = System.currentTimeMillis() + 5_000;
      List<Long> members = ProcessGroups.members(leader.pid());
      while (members.size() < 3 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
        members = ProcessGroups.members(leader.pid());
      }
      assertThat(members).contains(leader.pid()).hasSize(3);
    } finally {
      ProcessGroups.terminate(leader.pid(), 1_000);
    }
    assertThat(ProcessGroups.members(leader.pid())).isEmpty();
  }
}
