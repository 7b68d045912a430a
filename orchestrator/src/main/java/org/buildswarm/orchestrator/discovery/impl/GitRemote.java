package org.buildswarm.orchestrator.discovery.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * What work discovery asks of a Git remote, through JGit: its heads ({@code ls-remote}), and —
 * through a bare mirror kept per repository under the orchestrator's data directory — a file at a
 * commit and the files two commits differ in. Blocking: call from a worker.
 */
public final class GitRemote {
  private final Path mirrorRoot;
  private final java.util.function.Function<String, org.buildswarm.protocol.message.GitCredentials> credentials;
  private final org.buildswarm.protocol.git.GitAccess access;

  public GitRemote(Path mirrorRoot) {
    this(mirrorRoot, url -> null);
  }

  /** @param credentials what reading a repository (by URL) takes; null for anonymous */
  public GitRemote(Path mirrorRoot,
      java.util.function.Function<String, org.buildswarm.protocol.message.GitCredentials> credentials) {
    this.mirrorRoot = mirrorRoot;
    this.credentials = credentials;
    this.access = new org.buildswarm.protocol.git.GitAccess(mirrorRoot.resolve(".ssh"));
  }

  /** Branches and tags of the remote: ref name → commit id (annotated tags peeled to their commit). */
  public Map<String, String> heads(String url) throws IOException {
    try {
      Map<String, String> heads = new TreeMap<>();
      for (Ref ref : access.apply(Git.lsRemoteRepository().setRemote(url).setHeads(true).setTags(true),
          credentials.apply(url)).call()) {
        ObjectId id = ref.getPeeledObjectId() != null ? ref.getPeeledObjectId() : ref.getObjectId();
        if (id != null && !ref.getName().endsWith("^{}")) {
          heads.put(ref.getName(), id.getName());
        }
      }
      return heads;
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("ls-remote " + url + " failed: " + e.getMessage(), e);
    }
  }

  /** Fetches into the mirror (created on first use) unless it already has the commit. */
  public synchronized void fetch(String url, String commit) throws IOException {
    Path mirror = mirror(url);
    try {
      if (!Files.isDirectory(mirror)) {
        Files.createDirectories(mirror.getParent());
        access.apply(Git.cloneRepository().setURI(url).setDirectory(mirror.toFile()).setBare(true).setMirror(true),
            credentials.apply(url)).call().close();
        return;
      }
      try (Git git = Git.open(mirror.toFile())) {
        if (!has(git.getRepository(), commit)) {
          access.apply(git.fetch().setRemote(url).setRefSpecs(new RefSpec("+refs/*:refs/*")).setRemoveDeletedRefs(true),
              credentials.apply(url)).call();
        }
      }
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("fetching " + url + " failed: " + e.getMessage(), e);
    }
  }

  /** The text of a file at a commit, or null if the commit has no such file. */
  public String read(String url, String commit, String path) throws IOException {
    try (Repository repository = Git.open(mirror(url).toFile()).getRepository(); RevWalk walk = new RevWalk(repository)) {
      RevCommit revision = walk.parseCommit(repository.resolve(commit));
      try (TreeWalk tree = TreeWalk.forPath(repository, path, revision.getTree())) {
        if (tree == null) {
          return null;
        }
        return new String(repository.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
      }
    }
  }

  /** A commit's first line and author, as people know it (the mirror must have it: {@link #fetch}). */
  public org.buildswarm.protocol.message.SourceSpec.Commit commit(String url, String commit) throws IOException {
    try (Git git = Git.open(mirror(url).toFile()); RevWalk walk = new RevWalk(git.getRepository())) {
      RevCommit revision = walk.parseCommit(git.getRepository().resolve(commit));
      var author = revision.getAuthorIdent();
      return new org.buildswarm.protocol.message.SourceSpec.Commit(revision.getName(), revision.getShortMessage(),
          author.getName() + " <" + author.getEmailAddress() + ">");
    }
  }

  /** Paths changed between two commits (both sides of renames); null if {@code from} is unknown here. */
  public List<String> changedFiles(String url, String from, String to) throws IOException {
    try (Git git = Git.open(mirror(url).toFile()); ObjectReader reader = git.getRepository().newObjectReader();
        RevWalk walk = new RevWalk(git.getRepository())) {
      if (!has(git.getRepository(), from)) {
        return null;
      }
      ObjectId fromId = ObjectId.fromString(from);
      CanonicalTreeParser oldTree = new CanonicalTreeParser(null, reader, walk.parseCommit(fromId).getTree());
      CanonicalTreeParser newTree = new CanonicalTreeParser(null, reader,
          walk.parseCommit(git.getRepository().resolve(to)).getTree());
      List<String> paths = new ArrayList<>();
      for (DiffEntry entry : git.diff().setOldTree(oldTree).setNewTree(newTree).call()) {
        if (!entry.getOldPath().equals(DiffEntry.DEV_NULL)) {
          paths.add(entry.getOldPath());
        }
        if (!entry.getNewPath().equals(DiffEntry.DEV_NULL) && !paths.contains(entry.getNewPath())) {
          paths.add(entry.getNewPath());
        }
      }
      return paths;
    } catch (GitAPIException | RuntimeException e) {
      throw new IOException("diffing " + from + ".." + to + " of " + url + " failed: " + e.getMessage(), e);
    }
  }

  /** Whether the repository holds the commit; resolve() throws rather than answer no for a full id. */
  static boolean has(Repository repository, String commit) throws IOException {
    return ObjectId.isId(commit) ? repository.getObjectDatabase().has(ObjectId.fromString(commit))
        : repository.resolve(commit + "^{commit}") != null;
  }

  private Path mirror(String url) {
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-1").digest(url.getBytes(StandardCharsets.UTF_8));
      return mirrorRoot.resolve(HexFormat.of().formatHex(hash) + ".git");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
