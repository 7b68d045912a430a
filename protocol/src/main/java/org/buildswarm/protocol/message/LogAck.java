package org.buildswarm.protocol.message;

/** The sink's length of the attempt's log after a chunk: the offset the drone sends from next. */
public record LogAck(String drone, long length) implements ToDrone {}
