package org.buildswarm.protocol.api;

import java.util.List;

/** A slice of a run's event log. */
public record EventPage(List<EventRecord> events) {
  public EventPage {
    events = List.copyOf(events);
  }
}
