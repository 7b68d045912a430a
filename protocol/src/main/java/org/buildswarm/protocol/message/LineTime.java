package org.buildswarm.protocol.message;

/**
 * When a line of a job's log was written: the byte offset of the line's first byte and the drone's
 * clock (epoch ms) when that byte was written. A log's times are an index, not one per line: lines
 * written within 100 ms of an indexed one share its time.
 */
public record LineTime(long offset, long epochMs) {}
