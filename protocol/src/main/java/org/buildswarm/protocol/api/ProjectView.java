package org.buildswarm.protocol.api;

import java.util.List;

/**
 * A watched repository and how watching it goes. Times are epoch milliseconds; null: not yet.
 *
 * @param url the repository (as configured; never with credentials)
 * @param branches the followed branch patterns
 * @param pollSeconds time between two looks
 * @param lastPollAt when it was last looked at
 * @param lastPollOk whether that look worked (null before the first)
 * @param lastError why the last failed look failed (null once one works)
 * @param failingSince when looks started failing (null while they work)
 * @param lastCommit the newest commit seen on a followed branch, as {@code ref sha}
 * @param nextPollAt when it is looked at next
 * @param forge where commit statuses go ({@code github owner/name}); null: nowhere
 * @param lastReportAt when a status or notification was last delivered
 * @param lastReportError why the last status or notification that failed did (null after one works)
 * @param reportsPending statuses and notifications not yet delivered
 */
public record ProjectView(String name, String url, List<String> branches, long pollSeconds, Long lastPollAt,
    Boolean lastPollOk, String lastError, Long failingSince, String lastCommit, Long nextPollAt, String forge,
    Long lastReportAt, String lastReportError, int reportsPending) {
  public ProjectView {
    branches = List.copyOf(branches);
  }
}
