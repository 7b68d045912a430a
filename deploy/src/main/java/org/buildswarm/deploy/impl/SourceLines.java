package org.buildswarm.deploy.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.buildswarm.protocol.message.SourceSpec;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/** A run's source as the CLI shows it, and the commit a directory's checkout is at. */
public final class SourceLines {
  private SourceLines() {
  }

  /** {@code main at 1a2b3c4 "Fix the build" — Ann <ann@example.org>}, or the directory, or "no source". */
  public static String describe(SourceSpec source) {
    return Terminal.shown(describeRaw(source));
  }

  private static String describeRaw(SourceSpec source) {
    if (source == null || SourceSpec.NONE.equals(source.kind())) {
      return "no source";
    }
    StringBuilder line = new StringBuilder();
    if (SourceSpec.GIT.equals(source.kind())) {
      line.append(source.branch() != null ? source.branch()
          : source.ref() != null ? source.ref().replaceFirst("^refs/tags/", "tag ") : source.location());
    } else {
      line.append(source.location());
    }
    SourceSpec.Commit commit = source.commit();
    if (commit != null) {
      line.append(" at ").append(commit.shortSha());
      if (commit.title() != null && !commit.title().isBlank()) {
        line.append(" \"").append(commit.title()).append('"');
      }
      if (commit.author() != null && !commit.author().isBlank()) {
        line.append(" — ").append(commit.author());
      }
    } else if (SourceSpec.GIT.equals(source.kind()) && source.revision() != null) {
      line.append(" at ").append(source.revision(), 0, Math.min(7, source.revision().length()));
    }
    if (SourceSpec.GIT.equals(source.kind()) && (source.branch() != null || source.ref() != null)) {
      line.append("  (").append(source.location()).append(')');
    }
    return line.toString();
  }

  /** The commit HEAD is at, when {@code directory} is in a Git checkout with one; blocking. */
  public static Optional<SourceSpec.Commit> headOf(Path directory) {
    FileRepositoryBuilder builder = new FileRepositoryBuilder().readEnvironment().findGitDir(directory.toFile());
    if (builder.getGitDir() == null) {
      return Optional.empty();
    }
    try (Repository repository = builder.build(); RevWalk walk = new RevWalk(repository)) {
      ObjectId head = repository.resolve(Constants.HEAD);
      if (head == null) {
        return Optional.empty();
      }
      RevCommit commit = walk.parseCommit(head);
      return Optional.of(new SourceSpec.Commit(commit.getName(), commit.getShortMessage(),
          commit.getAuthorIdent().getName() + " <" + commit.getAuthorIdent().getEmailAddress() + ">"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // a broken checkout is still a directory to run
    }
  }
}
