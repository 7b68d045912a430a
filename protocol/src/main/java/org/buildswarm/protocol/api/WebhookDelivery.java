package org.buildswarm.protocol.api;

/**
 * A webhook call as the gateway received it, passed on untouched: the orchestrator, which knows
 * each project's secret, checks the signature over the exact bytes.
 *
 * @param provider {@code github} or {@code gitea}
 * @param event the event type header ({@code push}, {@code ping}, {@code delete}…)
 * @param deliveryId the host's id of this delivery (a replay carries the same one)
 * @param signature the signature header as sent ({@code sha256=…} for GitHub, hex for Gitea), null if none
 * @param body the raw request body
 */
public record WebhookDelivery(String provider, String event, String deliveryId, String signature, byte[] body) {}
