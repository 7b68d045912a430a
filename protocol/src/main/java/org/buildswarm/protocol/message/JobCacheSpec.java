package org.buildswarm.protocol.message;

import java.util.List;

/**
 * How a drone finds a job's result by its inputs. The drone completes the key after the checkout
 * (only then are the input files there): SHA-256 over {@code definitionKey}, {@code needKeys}, each
 * input file's path, mode and content, and the named environment values.
 *
 * @param definitionKey the hash of what the pipeline says the job is (steps, env, labels, cores,
 *     matrix values, the cache section itself), computed by the planner
 * @param inputs glob patterns of the workspace files that are the job's input
 * @param env names of environment variables whose values are part of the key
 * @param outputs glob patterns of the files kept with a result and restored on a hit
 * @param needKeys the keys of the jobs it needs, in the order of its needs
 * @param reuse false for a forced run: it runs whatever the cache holds (and refreshes it)
 */
public record JobCacheSpec(String definitionKey, List<String> inputs, List<String> env, List<String> outputs,
    List<String> needKeys, boolean reuse) {
  public JobCacheSpec {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    env = env == null ? List.of() : List.copyOf(env);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    needKeys = needKeys == null ? List.of() : List.copyOf(needKeys);
  }

  /** The same, with the keys of the jobs it needs as they turned out. */
  public JobCacheSpec withNeedKeys(List<String> keys) {
    return new JobCacheSpec(definitionKey, inputs, env, outputs, keys, reuse);
  }
}
