package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.buildswarm.protocol.message.SourceSpec;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.RefSpec;

/**
 * Puts a job's source into its fresh workspace: nothing, a copy of a local directory, or a Git
 * revision checked out through a bare mirror kept per repository (so each job fetches only what is
 * new). Blocking; runs on the job's thread.
 */
public final class SourceFetcher {
  /** Directory names never copied from a directory source (our own state lives there). */
  static final Set<String> SKIPPED_DIRECTORIES = Set.of(".buildswarm");

  private final Path mirrorRoot;
  private final Set<Path> excluded;
  private final Map<String, Object> mirrorLocks = new ConcurrentHashMap<>();

  /**
   * @param mirrorRoot where bare mirrors are kept
   * @param excluded absolute paths never copied (the drone's own work directory)
   */
  public SourceFetcher(Path mirrorRoot, Set<Path> excluded) {
    this.mirrorRoot = mirrorRoot;
    this.excluded = excluded;
  }

  public void fetch(SourceSpec source, Path workspace) throws IOException {
    switch (source.kind()) {
      case SourceSpec.NONE -> { }
      case SourceSpec.DIRECTORY -> copyDirectory(Path.of(source.location()), workspace);
      case SourceSpec.GIT -> checkout(source.location(), source.revision(), workspace);
      default -> throw new IOException("unknown source kind \"" + source.kind() + "\"");
    }
  }

  private void copyDirectory(Path from, Path to) throws IOException {
    Path root = from.toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new IOException("source directory " + root + " does not exist on this drone");
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!dir.equals(root) && (SKIPPED_DIRECTORIES.contains(dir.getFileName().toString()) || isExcluded(absolute))) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        Files.createDirectories(to.resolve(root.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Path target = to.resolve(root.relativize(file).toString());
        if (attrs.isSymbolicLink()) {
          Files.createSymbolicLink(target, Files.readSymbolicLink(file));
        } else if (attrs.isRegularFile()) {
          Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private boolean isExcluded(Path absolute) {
    for (Path path : excluded) {
      if (absolute.startsWith(path)) {
        return true;
      }
    }
    return false;
  }

  private void checkout(String url, String revision, Path workspace) throws IOException {
    if (revision == null || revision.isBlank()) {
      throw new IOException("a git source needs a revision");
    }
    Path mirror = mirrorRoot.resolve(HexFormat.of().formatHex(sha1(url)) + ".git");
    Object lock = mirrorLocks.computeIfAbsent(url, u -> new Object());
    try {
      synchronized (lock) {
        updateMirror(url, mirror, revision);
      }
      try (Git git = Git.cloneRepository().setURI(mirror.toUri().toString()).setDirectory(workspace.toFile())
          .setNoCheckout(true).setCloneAllBranches(true).call()) {
        // Point the work tree at the exact revision (the default branch follows it).
        git.reset().setMode(ResetCommand.ResetType.HARD).setRef(revision).call();
      }
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("cannot check out " + revision + " of " + url + ": " + e.getMessage(), e);
    }
  }

  private static void updateMirror(String url, Path mirror, String revision) throws GitAPIException, IOException {
    if (!Files.isDirectory(mirror)) {
      Files.createDirectories(mirror.getParent());
      Git.cloneRepository().setURI(url).setDirectory(mirror.toFile()).setBare(true).setMirror(true).call().close();
      return;
    }
    try (Git git = Git.open(mirror.toFile())) {
      Repository repository = git.getRepository();
      if (repository.resolve(revision + "^{commit}") == null) {
        git.fetch().setRemote(url).setRefSpecs(new RefSpec("+refs/*:refs/*")).setRemoveDeletedRefs(true).call();
      }
    }
  }

  private static byte[] sha1(String text) {
    try {
      return java.security.MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
