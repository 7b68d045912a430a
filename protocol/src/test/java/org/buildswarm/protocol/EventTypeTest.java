package org.buildswarm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.buildswarm.protocol.api.RunEvent;
import org.junit.jupiter.api.Test;

class EventTypeTest {
  @Test
  void aLiveEventTravelsWithItsKindsNameAsBeforeAndComesBackAsTheSameKind() {
    RunEvent event = new RunEvent(EventType.JOB_RETRY_SCHEDULED, 7, 9L, "build", JobState.QUEUED, RunState.RUNNING,
        null, "exit 1", 5);
    String json = ProtocolJson.toJson(event);
    assertThat(json).contains("\"type\":\"job.retry_scheduled\"");
    assertThat(ProtocolJson.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), RunEvent.class))
        .isEqualTo(event);
  }

  @Test
  void aKindFromANewerReleaseReadsAsNullRatherThanFailingTheMessage() {
    String json = "{\"type\":\"job.teleported\",\"runId\":7,\"at\":5}";
    RunEvent event = ProtocolJson.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), RunEvent.class);
    assertThat(event.type()).isNull();
    assertThat(event.runId()).isEqualTo(7);
    assertThatThrownBy(() -> EventType.fromWire("job.teleported")).hasMessage("unknown event type job.teleported");
  }

  @Test
  void everyKindHasItsOwnNameAndEveryEndHasItsKind() {
    assertThat(Arrays.stream(EventType.values()).map(EventType::wire))
        .doesNotHaveDuplicates()
        .allMatch(name -> name.matches("(run|job|report|drone|deploy|environment)\\.[a-z_]+"));
    Arrays.stream(EventType.values()).forEach(type -> assertThat(EventType.fromWire(type.wire())).isSameAs(type));
    Arrays.stream(JobState.values()).filter(JobState::isTerminal)
        .forEach(state -> assertThat(EventType.jobEnded(state).wire()).isEqualTo("job." + state.name().toLowerCase()));
    Arrays.stream(RunState.values()).filter(RunState::isTerminal)
        .forEach(state -> assertThat(EventType.runEnded(state).wire()).isEqualTo("run." + state.name().toLowerCase()));
  }
}
