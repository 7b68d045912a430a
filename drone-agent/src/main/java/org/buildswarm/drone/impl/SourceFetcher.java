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
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Logger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import org.buildswarm.protocol.message.SourceSpec;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
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
  private final Map<Path, ReentrantReadWriteLock> mirrorLocks = new ConcurrentHashMap<>();
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
    fetch(source, null, workspace, false);
  }

  /**
   * @param credentials what reading a private repository takes; null: anonymous
   * @param linkObjects whether the job's steps run as another user than the drone, who cannot
   *     write the drone's files: then the workspace shares the mirror's Git objects by hard links
   *     instead of copies
   */
  public void fetch(SourceSpec source, org.buildswarm.protocol.message.GitCredentials credentials, Path workspace,
      boolean linkObjects) throws IOException {
    switch (source.kind()) {
      case SourceSpec.NONE -> { }
      case SourceSpec.DIRECTORY -> copyDirectory(Path.of(source.location()), workspace);
      case SourceSpec.GIT -> checkout(source.location(), source.revision(), credentials, workspace, linkObjects);
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

  /**
   * Whether a copy of the directory source at {@code root} leaves {@code dir} out: what reads a
   * directory source in place (a job's cache key) must see exactly what a copy of it would.
   */
  public boolean leavesOut(Path root, Path dir) {
    return !dir.equals(root) && (SKIPPED_DIRECTORIES.contains(dir.getFileName().toString())
        || isExcluded(dir.toAbsolutePath().normalize()));
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
      Path workspace, boolean linkObjects) throws IOException {
    if (revision == null || revision.isBlank()) {
      throw new IOException("a git source needs a revision");
    }
    Path mirror = mirrorFor(url);
    String defaultBranch = withMirror(url, revision, credentials, "check out",
        () -> takeObjects(mirror, workspace, revision, linkObjects));
    // The work tree is written from the workspace's own objects: no lock.
    try (Git git = Git.open(workspace.toFile())) {
      // The mirror is the drone's (hidden from sandboxed jobs): a job's git talks to the real origin.
      var config = git.getRepository().getConfig();
      config.setString("remote", "origin", "url", url);
      config.setString("remote", "origin", "fetch", "+refs/heads/*:refs/remotes/origin/*");
      if (defaultBranch != null) {
        config.setString("branch", defaultBranch, "remote", "origin");
        config.setString("branch", defaultBranch, "merge", Constants.R_HEADS + defaultBranch);
      }
      config.save();
      // Point the work tree at the exact revision (the default branch follows it).
      git.reset().setMode(ResetCommand.ResetType.HARD).setRef(revision).call();
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("cannot check out " + revision + " of " + url + ": " + e.getMessage(), e);
    }
    evictBeyondLimit(mirror);
  }

  private interface MirrorWork<T> {
    T run() throws IOException, GitAPIException;
  }

  /**
   * Runs {@code work} while the mirror of {@code url} holds {@code revision} and nothing fetches or
   * evicts it: shared while jobs read the mirror, exclusive only while it fetches (or is evicted),
   * so many jobs of one commit go side by side.
   */
  private <T> T withMirror(String url, String revision, org.buildswarm.protocol.message.GitCredentials credentials,
      String what, MirrorWork<T> work) throws IOException {
    Path mirror = mirrorFor(url);
    ReentrantReadWriteLock lock = mirrorLocks.computeIfAbsent(mirror, m -> new ReentrantReadWriteLock());
    lock.readLock().lock();
    boolean reading = true;
    try {
      if (!Files.isDirectory(mirror) || !hasRevision(mirror, revision)) {
        lock.readLock().unlock();
        reading = false;
        lock.writeLock().lock();
        try {
          updateMirror(url, mirror, revision, credentials);
          lock.readLock().lock(); // downgraded: nobody fetches or evicts between the fetch and the work
          reading = true;
        } finally {
          lock.writeLock().unlock();
        }
      }
      markUsed(mirror);
      return work.run();
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("cannot " + what + " " + revision + " of " + url + ": " + e.getMessage(), e);
    } finally {
      if (reading) {
        lock.readLock().unlock();
      }
    }
  }

  /**
   * The files of {@code revision} that {@code selected} takes, read from the mirror without a
   * checkout (fetching the revision first when the mirror lacks it), as a job's cache key sees
   * them: regular and executable files by their content's SHA-256, symbolic links by their
   * target; submodules are not files of the tree. The workspace a checkout makes holds the same.
   */
  public List<JobResultCache.Input> gitInputs(SourceSpec source, org.buildswarm.protocol.message.GitCredentials credentials,
      java.util.function.Predicate<String> selected) throws IOException {
    if (source.revision() == null || source.revision().isBlank()) {
      throw new IOException("a git source needs a revision");
    }
    Path mirror = mirrorFor(source.location());
    return withMirror(source.location(), source.revision(), credentials, "read", () -> {
      List<JobResultCache.Input> inputs = new ArrayList<>();
      try (Repository repository = Git.open(mirror.toFile()).getRepository();
          org.eclipse.jgit.revwalk.RevWalk commits = new org.eclipse.jgit.revwalk.RevWalk(repository);
          org.eclipse.jgit.treewalk.TreeWalk tree = new org.eclipse.jgit.treewalk.TreeWalk(repository)) {
        ObjectId commit = repository.resolve(source.revision() + "^{commit}");
        tree.addTree(commits.parseCommit(commit).getTree());
        tree.setRecursive(true);
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        while (tree.next()) {
          String path = tree.getPathString();
          org.eclipse.jgit.lib.FileMode mode = tree.getFileMode(0);
          boolean link = mode == org.eclipse.jgit.lib.FileMode.SYMLINK;
          boolean file = mode == org.eclipse.jgit.lib.FileMode.REGULAR_FILE
              || mode == org.eclipse.jgit.lib.FileMode.EXECUTABLE_FILE;
          if (!(link || file) || !selected.test(path)) {
            continue;
          }
          if (inputs.size() >= JobResultCache.MAX_INPUT_FILES) {
            throw new IOException("the patterns take more than " + JobResultCache.MAX_INPUT_FILES + " files");
          }
          org.eclipse.jgit.lib.ObjectLoader blob = repository.open(tree.getObjectId(0));
          if (link) {
            inputs.add(new JobResultCache.Input(path, false, new String(blob.getBytes(), StandardCharsets.UTF_8), null));
            continue;
          }
          digest.reset();
          try (java.io.InputStream in = blob.openStream()) {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
              digest.update(buffer, 0, read);
            }
          }
          inputs.add(new JobResultCache.Input(path, mode == org.eclipse.jgit.lib.FileMode.EXECUTABLE_FILE, null,
              HexFormat.of().formatHex(digest.digest())));
        }
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      return inputs;
    });
  }

  private static final java.util.regex.Pattern OBJECT_FILE = java.util.regex.Pattern.compile(
      "pack/pack-[0-9a-f]{40,64}\\.(pack|idx|bitmap|rev)|[0-9a-f]{2}/[0-9a-f]{38,62}");

  /** A packed or loose object file, by its path under {@code objects/}. */
  static boolean isObjectFile(Path relative) {
    return OBJECT_FILE.matcher(relative.toString().replace('\\', '/')).matches();
  }

  private static boolean hasRevision(Path mirror, String revision) throws IOException {
    try (Repository repository = Git.open(mirror.toFile()).getRepository()) {
      return present(repository, revision);
    }
  }

  private static boolean present(Repository repository, String revision) throws IOException {
    // resolve() throws, rather than answer null, for a full commit id it does not have.
    return ObjectId.isId(revision) ? repository.getObjectDatabase().has(ObjectId.fromString(revision))
        : repository.resolve(revision + "^{commit}") != null;
  }

  private static void markUsed(Path mirror) throws IOException {
    Path marker = mirror.resolve(USED_MARKER);
    try {
      Files.setLastModifiedTime(marker, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
    } catch (NoSuchFileException e) {
      Files.writeString(marker, Long.toString(System.currentTimeMillis()));
    }
  }

  /**
   * Makes {@code workspace} a repository holding the mirror's objects and refs (branches as
   * {@code origin/*}, tags, the default branch at {@code revision}), without copying a byte when
   * {@code linkObjects}: pack files are never changed once written, so a hard link shares them
   * safely with a job that runs as another user (who cannot write the drone's files). Otherwise,
   * or across file systems, the objects are copied, still beside other jobs of the same mirror.
   *
   * @return the mirror's default branch, or null when its HEAD names none
   */
  private String takeObjects(Path mirror, Path workspace, String revision, boolean linkObjects) throws IOException {
    Path gitDir = workspace.resolve(Constants.DOT_GIT);
    try (Repository created = FileRepositoryBuilder.create(gitDir.toFile())) {
      created.create(false);
    }
    Path from = mirror.resolve("objects");
    Path to = gitDir.resolve("objects");
    boolean[] linked = {linkObjects};
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        String name = dir.getFileName().toString();
        if (!dir.equals(from) && (name.equals("info") && dir.getParent().equals(from))) {
          return FileVisitResult.SKIP_SUBTREE; // alternates of the mirror are the mirror's business
        }
        Files.createDirectories(to.resolve(from.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (!attrs.isRegularFile() || !isObjectFile(from.relativize(file))) {
          return FileVisitResult.CONTINUE; // a pack being written, a lock, a leftover: not objects
        }
        Path target = to.resolve(from.relativize(file).toString());
        if (linked[0]) {
          try {
            Files.createLink(target, file);
            return FileVisitResult.CONTINUE;
          } catch (IOException | UnsupportedOperationException e) {
            linked[0] = false;
            LOG.info("cannot hard-link Git objects from " + mirror + " into " + workspace + " (" + e
                + "); copying them instead (keep the drone's work directory on one file system to avoid the copy)");
          }
        }
        Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // a loose object packed away this moment: it is in a pack now
        }
        throw e;
      }
    });
    try (Repository source = Git.open(mirror.toFile()).getRepository()) {
      String defaultBranch = null;
      Ref head = source.exactRef(Constants.HEAD);
      if (head != null && head.isSymbolic() && head.getTarget().getName().startsWith(Constants.R_HEADS)) {
        defaultBranch = head.getTarget().getName().substring(Constants.R_HEADS.length());
      }
      ObjectId commit = source.resolve(revision + "^{commit}");
      java.util.TreeMap<String, String> refs = new java.util.TreeMap<>();
      for (Ref ref : source.getRefDatabase().getRefs()) {
        if (ref.isSymbolic() || ref.getObjectId() == null) {
          continue;
        }
        String name = ref.getName();
        if (name.startsWith(Constants.R_HEADS)) {
          refs.put(Constants.R_REMOTES + "origin/" + name.substring(Constants.R_HEADS.length()), ref.getObjectId().name());
        } else if (name.startsWith(Constants.R_TAGS)) {
          refs.put(name, ref.getObjectId().name());
        }
      }
      String branch = defaultBranch != null ? defaultBranch : "main";
      refs.put(Constants.R_HEADS + branch, commit.name());
      StringBuilder packed = new StringBuilder("# pack-refs with: sorted \n");
      refs.forEach((name, id) -> packed.append(id).append(' ').append(name).append('\n'));
      Files.writeString(gitDir.resolve(Constants.PACKED_REFS), packed);
      Files.writeString(gitDir.resolve(Constants.HEAD), "ref: " + Constants.R_HEADS + branch + "\n");
      return defaultBranch;
    }
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
      ReentrantReadWriteLock lock = mirrorLocks.computeIfAbsent(mirror, m -> new ReentrantReadWriteLock());
      if (lock.writeLock().tryLock()) {
        try {
          Trees.delete(mirror);
          total -= sizes.get(mirror);
          LOG.info("removed Git mirror " + mirror.getFileName() + " (" + sizes.get(mirror) / (1024 * 1024)
              + " MiB): the mirror cache is over its limit of " + maxMirrorBytes / (1024 * 1024) + " MiB");
        } finally {
          lock.writeLock().unlock();
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
      if (!present(git.getRepository(), revision)) {
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
