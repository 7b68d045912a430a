package org.buildswarm.protocol.api;

import java.util.List;

/** A page of runs; {@code nextBefore} fetches the next (older) page, null at the end. */
public record RunPage(List<RunSummary> runs, Long nextBefore) {
  public RunPage {
    runs = List.copyOf(runs);
  }
}
