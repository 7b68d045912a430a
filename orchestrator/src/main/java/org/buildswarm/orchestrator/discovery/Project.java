package org.buildswarm.orchestrator.discovery;

import java.util.List;
import org.buildswarm.protocol.message.GitCredentials;
import org.buildswarm.protocol.trigger.Glob;

/**
 * A repository the orchestrator watches for new commits.
 *
 * @param name the project's name (its runs and artifacts are filed under it)
 * @param url where to {@code ls-remote} and fetch from (any URL JGit understands)
 * @param branches branches followed (globs, {@code !} excludes); tags are followed when the
 *     pipeline's {@code on.push.tags} asks for them
 * @param pollMs time between two looks at the remote (default {@value #DEFAULT_POLL_MS})
 * @param file the pipeline file in the repository (default {@code .buildswarm.yml})
 * @param webhookSecret the secret webhook deliveries for this repository are signed with; null
 *     refuses every delivery for it (polling alone then finds its commits)
 * @param forge where commit statuses go; null: none are reported
 * @param notifier where run and deploy results are posted; null: nowhere
 * @param credentials what reading a private repository takes (the orchestrator's polls and the
 *     drones' checkouts); null: it is read anonymously
 */
public record Project(String name, String url, List<Glob> branches, long pollMs, String file, String webhookSecret,
    Forge forge, Notifier notifier, GitCredentials credentials) {
  public static final long DEFAULT_POLL_MS = 60_000;

  public Project {
    branches = List.copyOf(branches);
  }

  public Project(String name, String url, List<Glob> branches, long pollMs, String file, String webhookSecret) {
    this(name, url, branches, pollMs, file, webhookSecret, null, null, null);
  }

  @Override
  public String toString() {
    return "Project[" + name + ", " + url + "]"; // never the secret
  }
}
