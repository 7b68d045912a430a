package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import org.buildswarm.protocol.message.SourceSpec;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.RefSpec;

/**
 * Puts a job's source into its fresh workspace: nothing, a copy of a local directory, or a Git
 * revision checked out through a bare mirror kept per repository (so each job fetches only what is
 * new). The mirrors together stay under a size limit: past it, the least recently used ones that no
 * job is using are removed. Blocking; runs on the job's thread.
 */
public final class SourceFetcher {
  private static final Logger LOG = Logger.getLogger(SourceFetcher.class.getName());
  /** Directory names never copied from a directory source (our own state lives there). */
  static final Set<String> SKIPPED_DIRECTORIES = Set.of(".buildswarm");

  private final Path mirrorRoot;
  private final Set<Path> excluded;
  private final long maxMirrorBytes;
  private final Map<Path, ReentrantLock> mirrorLocks = new ConcurrentHashMap<>();
  /** Keys and known hosts of private repositories, beside the mirrors (hidden from jobs as they are). */
  private final org.buildswarm.protocol.git.GitAccess access;
  /** Touched on every use: the mirror's place in the least-recently-used order survives restarts. */
  static final String USED_MARKER = "buildswarm-last-used";
  public static final long DEFAULT_MAX_MIRROR_BYTES = 10L * 1024 * 1024 * 1024;

  /**
   * @param mirrorRoot where bare mirrors are kept
   * @param excluded absolute paths never copied (the drone's own work directory)
   * @param maxMirrorBytes the mirrors' total size limit; 0 means no limit
   */
  public SourceFetcher(Path mirrorRoot, Set<Path> excluded, long maxMirrorBytes) {
    this.mirrorRoot = mirrorRoot;
    this.excluded = excluded;
    this.maxMirrorBytes = maxMirrorBytes;
    this.access = new org.buildswarm.protocol.git.GitAccess(mirrorRoot.resolve(".ssh"));
  }

  public SourceFetcher(Path mirrorRoot, Set<Path> excluded) {
    this(mirrorRoot, excluded, DEFAULT_MAX_MIRROR_BYTES);
  }

  public void fetch(SourceSpec source, Path workspace) throws IOException {
    fetch(source, null, workspace);
  }

  /** @param credentials what reading a private repository takes; null: anonymous */
  public void fetch(SourceSpec source, org.buildswarm.protocol.message.GitCredentials credentials, Path workspace)
      throws IOException {
    switch (source.kind()) {
      case SourceSpec.NONE -> { }
      case SourceSpec.DIRECTORY -> copyDirectory(Path.of(source.location()), workspace);
      case SourceSpec.GIT -> checkout(source.location(), source.revision(), credentials, workspace);
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
        try {
          if (attrs.isSymbolicLink()) {
            Files.createSymbolicLink(target, Files.readSymbolicLink(file));
          } else if (attrs.isRegularFile()) {
            Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
          }
        } catch (NoSuchFileException vanished) {
          vanished(file);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
        if (failure instanceof NoSuchFileException) {
          vanished(file);
          return FileVisitResult.CONTINUE;
        }
        throw failure;
      }
    });
  }

  /**
   * A file removed while the directory was being copied (something else is working in it) is left
   * out, as rsync does, rather than failing the job: the copy is of the directory as it was.
   */
  private static void vanished(Path file) {
    LOG.fine(() -> "left out of the source copy, it vanished while copying: " + file);
  }

  private boolean isExcluded(Path absolute) {
    for (Path path : excluded) {
      if (absolute.startsWith(path)) {
        return true;
      }
    }
    return false;
  }

  private void checkout(String url, String revision, org.buildswarm.protocol.message.GitCredentials credentials,
      Path workspace) throws IOException {
    if (revision == null || revision.isBlank()) {
      throw new IOException("a git source needs a revision");
    }
    Path mirror = mirrorFor(url);
    ReentrantLock lock = mirrorLocks.computeIfAbsent(mirror, m -> new ReentrantLock());
    lock.lock();
    try {
      updateMirror(url, mirror, revision, credentials);
      Files.writeString(mirror.resolve(USED_MARKER), Long.toString(System.currentTimeMillis()));
      try (Git git = Git.cloneRepository().setURI(mirror.toUri().toString()).setDirectory(workspace.toFile())
          .setNoCheckout(true).setCloneAllBranches(true).call()) {
        // Point the work tree at the exact revision (the default branch follows it).
        git.reset().setMode(ResetCommand.ResetType.HARD).setRef(revision).call();
        // The mirror is the drone's (hidden from sandboxed jobs): a job's git talks to the real origin.
        var config = git.getRepository().getConfig();
        config.setString("remote", "origin", "url", url);
        config.save();
      }
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("cannot check out " + revision + " of " + url + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
    evictBeyondLimit(mirror);
  }

  /** The bare mirror of a repository. */
  Path mirrorFor(String url) {
    return mirrorRoot.resolve(HexFormat.of().formatHex(sha1(url)) + ".git");
  }

  /** Removes least recently used mirrors, never {@code keep} nor one in use, until the rest fit the limit. */
  void evictBeyondLimit(Path keep) throws IOException {
    if (maxMirrorBytes <= 0 || !Files.isDirectory(mirrorRoot)) {
      return;
    }
    List<Path> mirrors;
    try (var listing = Files.list(mirrorRoot)) {
      mirrors = new ArrayList<>(listing.filter(path -> path.getFileName().toString().endsWith(".git")).toList());
    }
    Map<Path, Long> sizes = new HashMap<>();
    long total = 0;
    for (Path mirror : mirrors) {
      long size = Trees.size(mirror);
      sizes.put(mirror, size);
      total += size;
    }
    if (total <= maxMirrorBytes) {
      return;
    }
    mirrors.sort(Comparator.comparingLong(SourceFetcher::lastUsed));
    for (Path mirror : mirrors) {
      if (total <= maxMirrorBytes) {
        return;
      }
      if (mirror.equals(keep)) {
        continue;
      }
      ReentrantLock lock = mirrorLocks.computeIfAbsent(mirror, m -> new ReentrantLock());
      if (lock.tryLock()) {
        try {
          Trees.delete(mirror);
          total -= sizes.get(mirror);
          LOG.info("removed Git mirror " + mirror.getFileName() + " (" + sizes.get(mirror) / (1024 * 1024)
              + " MiB): the mirror cache is over its limit of " + maxMirrorBytes / (1024 * 1024) + " MiB");
        } finally {
          lock.unlock();
        }
      }
    }
  }

  private static long lastUsed(Path mirror) {
    try {
      return Files.getLastModifiedTime(mirror.resolve(USED_MARKER)).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private void updateMirror(String url, Path mirror, String revision,
      org.buildswarm.protocol.message.GitCredentials credentials) throws GitAPIException, IOException {
    if (!Files.isDirectory(mirror)) {
      Files.createDirectories(mirror.getParent());
      access.apply(Git.cloneRepository().setURI(url).setDirectory(mirror.toFile()).setBare(true).setMirror(true),
          credentials).call().close();
      return;
    }
    try (Git git = Git.open(mirror.toFile())) {
      Repository repository = git.getRepository();
      // resolve() throws, rather than answer null, for a full commit id it does not have.
      boolean present = org.eclipse.jgit.lib.ObjectId.isId(revision)
          ? repository.getObjectDatabase().has(org.eclipse.jgit.lib.ObjectId.fromString(revision))
          : repository.resolve(revision + "^{commit}") != null;
      if (!present) {
        access.apply(git.fetch().setRemote(url).setRefSpecs(new RefSpec("+refs/*:refs/*")).setRemoveDeletedRefs(true),
            credentials).call();
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
