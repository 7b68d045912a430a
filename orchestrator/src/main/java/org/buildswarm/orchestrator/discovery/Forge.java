package org.buildswarm.orchestrator.discovery;

/**
 * Where a project's commit statuses go: GitHub's or Gitea's statuses API
 * ({@code POST {api}/repos/{repository}/statuses/{sha}}).
 *
 * @param kind github or gitea
 * @param apiUrl the API's base, {@code https://api.github.com} or {@code https://gitea.example.org/api/v1}
 * @param repository {@code owner/name}
 * @param token the API token (read from a file; never shown)
 * @param context the status context; a job's is {@code context/job}
 * @param perJob also a status per job, besides the one per run
 * @param webUrl the UI's address for the statuses' links; null: asked of a gateway
 */
public record Forge(Kind kind, String apiUrl, String repository, String token, String context, boolean perJob,
    String webUrl) {
  public enum Kind {
    GITHUB, GITEA
  }

  public static final String DEFAULT_GITHUB_API = "https://api.github.com";
  public static final String DEFAULT_CONTEXT = "buildswarm";

  @Override
  public String toString() {
    return "Forge[" + kind + " " + apiUrl + " " + repository + "]"; // never the token
  }
}
