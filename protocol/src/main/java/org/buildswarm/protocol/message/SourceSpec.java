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
 */
public record SourceSpec(String kind, String location, String revision) {
  public static final String NONE = "none";
  public static final String DIRECTORY = "directory";
  public static final String GIT = "git";

  public static SourceSpec none() {
    return new SourceSpec(NONE, null, null);
  }

  public SourceSpec {
    kind = kind == null ? NONE : kind;
  }
}
