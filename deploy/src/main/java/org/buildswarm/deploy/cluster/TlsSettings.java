package org.buildswarm.deploy.cluster;

import java.nio.file.Path;

/**
 * Event-bus TLS with client certificates: every node presents {@code certificate} (signed by
 * {@code authority}) and accepts only peers whose certificate {@code authority} signed. PEM files.
 */
public record TlsSettings(Path certificate, Path privateKey, Path authority) {}
