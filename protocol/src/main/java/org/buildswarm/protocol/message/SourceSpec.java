package org.buildswarm.protocol.message;

/**
 * Where a job's files come from.
 *
 * <ul>
 *   <li>{@code none}: an empty workspace;
 *   <li>{@code directory}: a copy of a directory on the drone's host ({@code location}), for runs
 *       submitted from the same machine;
 *   <li>{@code git}: {@code revision} of the repository at {@code location}, through the drone's
 *       mirror cache.
 * </ul>
 *
 * @param ref the branch or tag the revision was found on ({@code main}, {@code refs/heads/main},
 *     {@code refs/tags/v1}); null when unknown. A run's branch picks its deploy environment.
 */
public record SourceSpec(String kind, String location, String revision, String ref) {
  public static final String NONE = "none";
  public static final String DIRECTORY = "directory";
  public static final String GIT = "git";

  public static SourceSpec none() {
    return new SourceSpec(NONE, null, null, null);
  }

  public SourceSpec(String kind, String location, String revision) {
    this(kind, location, revision, null);
  }

  /** The branch name of {@link #ref()}, or null for a tag or no ref. */
  public String branch() {
    if (ref == null || ref.isBlank() || ref.startsWith("refs/tags/")) {
      return null;
    }
    return ref.startsWith("refs/heads/") ? ref.substring("refs/heads/".length()) : ref;
  }

  public SourceSpec {
    kind = kind == null ? NONE : kind;
  }
}
