package org.buildswarm.protocol.api;

/**
 * What became of a webhook delivery.
 *
 * @param outcome {@code polling} (the project is being looked at now), {@code duplicate} (a replay:
 *     nothing started), {@code ignored} (an event that starts nothing, such as a deleted branch)
 * @param project the project it was for
 */
public record WebhookResult(String outcome, String project, String message) {}
