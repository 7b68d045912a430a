package org.buildswarm.protocol.pipeline;

import java.util.List;

/**
 * A job's {@code cache:}: what its result depends on besides its definition and the jobs it needs,
 * so a result made from the same inputs is reused instead of built again.
 *
 * @param inputs glob patterns of workspace files whose content is the job's input ({@code src/**},
 *     {@code pom.xml}); a pattern naming a directory takes everything under it; {@code !} excludes
 * @param env names of environment variables whose values (as the steps would see them on the
 *     drone) are part of the key: the job's own {@code env} and matrix values always are
 * @param outputs glob patterns of the workspace files kept with the result and restored on a hit
 */
public record JobCache(List<String> inputs, List<String> env, List<String> outputs) {
  public JobCache {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    env = env == null ? List.of() : List.copyOf(env);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }
}
