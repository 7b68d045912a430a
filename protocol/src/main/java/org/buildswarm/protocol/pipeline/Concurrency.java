package org.buildswarm.protocol.pipeline;

/**
 * {@code concurrency:} runs of one project in the same group do not run side by side.
 *
 * @param group the group's name ({@code ${{ branch }}} is replaced by the run's branch)
 * @param cancelInProgress a newer run cancels the older ones in its group (except their deploys to
 *     protected environments, which finish; the newer deploy queues behind them); when false the
 *     newer run waits until the older ones finish
 */
public record Concurrency(String group, boolean cancelInProgress) {}
