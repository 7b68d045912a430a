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
 * @param commit what people recognise the revision by (for a directory: its checkout's HEAD, when
 *     it is one); null when unknown. Shown only, never used to fetch.
 */
public record SourceSpec(String kind, String location, String revision, String ref, Commit commit) {
  public static final String NONE = "none";
  public static final String DIRECTORY = "directory";
  public static final String GIT = "git";

  /**
   * A commit as people know it.
   *
   * @param sha the full commit id
   * @param title the first line of its message
   * @param author its author, {@code Name <email>}
   */
  public record Commit(String sha, String title, String author) {
    /** The longest title kept: a first line is a summary, not an essay. */
    public static final int MAX_TITLE = 200;

    public Commit {
      title = title == null ? null : shorten(title.lines().findFirst().orElse("").strip(), MAX_TITLE);
      author = author == null ? null : shorten(author.strip(), MAX_TITLE);
    }

    /** The first 7 characters of the sha, as Git shows it. */
    public String shortSha() {
      return sha == null ? null : sha.substring(0, Math.min(7, sha.length()));
    }

    private static String shorten(String text, int max) {
      return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
  }

  public static SourceSpec none() {
    return new SourceSpec(NONE, null, null, null, null);
  }

  public SourceSpec(String kind, String location, String revision) {
    this(kind, location, revision, null, null);
  }

  public SourceSpec(String kind, String location, String revision, String ref) {
    this(kind, location, revision, ref, null);
  }

  public SourceSpec withCommit(Commit known) {
    return new SourceSpec(kind, location, revision, ref, known);
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
