package org.buildswarm.protocol.api;

/** Asks whether a job token belongs to an attempt that is current now. */
public record VerifyJobToken(String jobToken) {}
