package org.buildswarm.protocol.pipeline;

import java.util.List;
import org.buildswarm.protocol.trigger.Glob;

/**
 * A deploy target and the branches that deploy to it ({@code environments:} in the pipeline).
 *
 * @param branches runs of these branches deploy here (globs; the first environment that matches wins)
 * @param protectedEnvironment its deploys are never cancelled (not by a person, not by a newer run
 *     in the concurrency group); newer deploys queue behind them
 */
public record Environment(String name, List<Glob> branches, boolean protectedEnvironment) {
  /** Without {@code environments:}: {@code main} deploys to a protected {@code prod}, {@code develop} to {@code stg}. */
  public static final List<Environment> DEFAULTS = List.of(
      new Environment("prod", List.of(Glob.of("main")), true),
      new Environment("stg", List.of(Glob.of("develop")), false));

  public Environment {
    branches = List.copyOf(branches);
  }

  /** The environment a branch deploys to, or null; {@code branch} may be null (no branch known). */
  public static Environment forBranch(List<Environment> environments, String branch) {
    if (branch == null) {
      return null;
    }
    for (Environment environment : environments) {
      if (Glob.anyMatches(environment.branches(), branch)) {
        return environment;
      }
    }
    return null;
  }
}
