package org.buildswarm.drone.impl;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.JobCacheSpec;
import org.buildswarm.protocol.trigger.Glob;

/**
 * A job's result kept by its inputs: the drone computes the job's key once the source is in the
 * workspace, asks the gateway's job cache for it, and on a hit unpacks the outputs the result kept
 * instead of running the steps; after steps that succeeded it packs the outputs (a gzipped tar,
 * file modes kept) and stores them under the key. Nothing here fails a job: an unreadable,
 * damaged or missing entry is a miss, and a store that fails is logged. Blocking; runs on the
 * job's thread.
 */
public final class JobResultCache {
  /** Where a job's outputs are looked up and stored on a gateway (with the attempt's job token). */
  static final String PATH = "api/v1/job-cache/";
  /** The most input files a key is made of: a pattern taking more is a mistake, not an input. */
  static final int MAX_INPUT_FILES = 200_000;

  private final Supplier<String> gateway;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param gateway a gateway's base URL, or null when none answers
   * @param timeout the longest one download or upload may take
   */
  public JobResultCache(Supplier<String> gateway, HttpClient http, Duration timeout) {
    this.gateway = gateway;
    this.http = http;
    this.timeout = timeout;
  }

  /** A result found and unpacked. */
  public record Restored(long run, String job, int files, long bytes) {}

  /**
   * One input file as a key sees it, wherever it was read (a workspace, a directory read in place,
   * a Git tree): a symbolic link by its target's text, else whether it is executable and the
   * SHA-256 of its content.
   */
  public record Input(String path, boolean executable, String linkTarget, String contentSha256) {}

  /**
   * The job's key: SHA-256 over the planner's definition key, the keys of its needs, the named
   * environment values (unset ones marked as unset) and every input file in path order.
   *
   * @param environment the environment the steps would see
   * @param inputs the files the inputs' patterns take ({@link #select})
   */
  public static String key(JobCacheSpec spec, Map<String, String> environment, List<Input> inputs) {
    Keys keys = new Keys(sha256());
    keys.part("buildswarm job key 1");
    keys.part(spec.definitionKey());
    for (String need : spec.needKeys()) {
      keys.part("need=" + need);
    }
    for (String name : spec.env()) {
      String value = environment.get(name);
      keys.part(value == null ? "unset=" + name : "env=" + name + "=" + value);
    }
    List<Input> sorted = new ArrayList<>(inputs);
    sorted.sort(java.util.Comparator.comparing(Input::path));
    for (Input input : sorted) {
      if (input.linkTarget() != null) {
        keys.part("link=" + input.path() + "=" + input.linkTarget());
      } else {
        keys.part((input.executable() ? "exec=" : "file=") + input.path());
        keys.part(input.contentSha256());
      }
    }
    return HexFormat.of().formatHex(keys.digest().digest());
  }

  /** The key from the files of a workspace. */
  public static String key(JobCacheSpec spec, Path workspace, Map<String, String> environment) throws IOException {
    return key(spec, workspace, environment, dir -> false);
  }

  /**
   * The key from the files of a tree that may not be the workspace yet (a directory source, read
   * in place), seen as its copy would be: without the directories {@code leftOut} names.
   */
  public static String key(JobCacheSpec spec, Path tree, Map<String, String> environment,
      java.util.function.Predicate<Path> leftOut) throws IOException {
    List<Input> inputs = new ArrayList<>();
    for (Map.Entry<String, Path> file : select(tree, spec.inputs(), leftOut).entrySet()) {
      Path path = file.getValue();
      inputs.add(Files.isSymbolicLink(path) ? new Input(file.getKey(), false, Files.readSymbolicLink(path).toString(), null)
          : new Input(file.getKey(), executable(path), null, ArtifactPublisher.sha256(path)));
    }
    return key(spec, environment, inputs);
  }

  /**
   * Which workspace paths the patterns take: a pattern naming a directory takes everything under
   * it; the last pattern that matches a path decides, and {@code !} ones leave it out.
   */
  public static java.util.function.Predicate<String> selector(List<String> patterns) {
    List<Glob> globs = new ArrayList<>();
    for (String pattern : patterns) {
      String bare = pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
      globs.add(Glob.of(bare));
      globs.add(Glob.of(bare + "/**"));
    }
    return path -> !globs.isEmpty() && Glob.anyMatches(globs, path);
  }

  /** Length-prefixed parts, so no two different lists of parts hash the same bytes. */
  private record Keys(MessageDigest digest) {
    void part(String text) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
      digest.update((byte) ':');
      digest.update(bytes);
    }
  }

  /**
   * The workspace's files (regular files and symbolic links, never {@code .git}) that the patterns
   * take, by their path relative to the workspace. A pattern naming a directory takes everything
   * under it; the last pattern that matches a path decides, and {@code !} ones leave it out.
   */
  static TreeMap<String, Path> select(Path workspace, List<String> patterns) throws IOException {
    return select(workspace, patterns, dir -> false);
  }

  /** Whether the file's owner may execute it: its mode, whoever this drone runs as. */
  static boolean executable(Path file) throws IOException {
    return Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
  }

  static TreeMap<String, Path> select(Path workspace, List<String> patterns, java.util.function.Predicate<Path> leftOut)
      throws IOException {
    TreeMap<String, Path> selected = new TreeMap<>();
    if (patterns.isEmpty()) {
      return selected;
    }
    java.util.function.Predicate<String> taken = selector(patterns);
    Files.walkFileTree(workspace, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
        return dir.equals(workspace.resolve(".git")) || leftOut.test(dir) ? FileVisitResult.SKIP_SUBTREE
            : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
        if (attributes.isRegularFile() || attributes.isSymbolicLink()) {
          String relative = workspace.relativize(file).toString().replace(java.io.File.separatorChar, '/');
          if (taken.test(relative)) {
            if (selected.size() >= MAX_INPUT_FILES) {
              throw new IOException("the patterns take more than " + MAX_INPUT_FILES + " files");
            }
            selected.put(relative, file);
          }
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return selected;
  }

  /**
   * Looks the key up and unpacks what it holds into the workspace; empty on a miss, when no
   * gateway answers, or when the entry is damaged (then the workspace may hold part of it, which
   * the steps that run instead overwrite).
   */
  public Optional<Restored> restore(AssignJob job, String key, Path workspace, Consumer<String> log) {
    String base = gateway.get();
    if (base == null) {
      log.accept("==> cache: no gateway answers; the job runs");
      return Optional.empty();
    }
    Path download = workspace.resolveSibling(workspace.getFileName() + ".cache-download");
    try {
      HttpResponse<Path> response = http.send(HttpRequest.newBuilder(target(base, key)).timeout(timeout)
          .header("authorization", "Bearer " + job.jobToken()).GET().build(), HttpResponse.BodyHandlers.ofFile(download));
      if (response.statusCode() == 404) {
        log.accept("==> cache: no result for key " + shortKey(key) + "; the job runs");
        return Optional.empty();
      }
      if (response.statusCode() != 200) {
        log.accept("==> cache: the gateway answered HTTP " + response.statusCode() + "; the job runs");
        return Optional.empty();
      }
      String expected = response.headers().firstValue("etag").orElse("").replace("\"", "");
      String actual = ArtifactPublisher.sha256(download);
      if (!actual.equals(expected)) {
        log.accept("==> cache: the result for key " + shortKey(key) + " is damaged (its content does not match "
            + "its hash); the job runs");
        return Optional.empty();
      }
      long run = response.headers().firstValue("x-buildswarm-run").map(Long::parseLong).orElse(0L);
      String from = response.headers().firstValue("x-buildswarm-job")
          .map(name -> URLDecoder.decode(name, StandardCharsets.UTF_8)).orElse(job.jobName());
      int[] files = {0};
      long bytes = unpackInto(download, workspace, files);
      return Optional.of(new Restored(run, from, files[0], bytes));
    } catch (IOException | RuntimeException e) {
      log.accept("==> cache: the result for key " + shortKey(key) + " could not be restored (" + e.getMessage()
          + "); the job runs");
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      try {
        Files.deleteIfExists(download);
      } catch (IOException ignored) {
        // the workspace's neighbours go with the job's other leftovers
      }
    }
  }

  /** Packs the outputs the patterns take and stores them under the key; true when stored. */
  public boolean store(AssignJob job, String key, Path workspace, List<String> outputs, long durationMs,
      Consumer<String> log) {
    String base = gateway.get();
    if (base == null) {
      log.accept("==> cache: no gateway answers; the result is NOT stored");
      return false;
    }
    Path packed = workspace.resolveSibling(workspace.getFileName() + ".cache-upload");
    try {
      TreeMap<String, Path> files = select(workspace, outputs);
      if (files.isEmpty() && !outputs.isEmpty()) {
        log.accept("==> cache: no file matches the outputs " + String.join(", ", outputs) + "; storing the result "
            + "without files");
      }
      Path root = workspace.toRealPath();
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(packed));
          TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out, 64 * 1024))) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Map.Entry<String, Path> file : files.entrySet()) {
          Path path = file.getValue();
          if (Files.isSymbolicLink(path)) {
            Path target = Files.readSymbolicLink(path);
            if (target.isAbsolute() || !path.getParent().resolve(target).normalize().startsWith(workspace)) {
              log.accept("==> cache: " + file.getKey() + " links outside the workspace; not kept");
              continue;
            }
            TarArchiveEntry link = new TarArchiveEntry(file.getKey(), TarArchiveEntry.LF_SYMLINK);
            link.setLinkName(target.toString());
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            continue;
          }
          if (!path.toRealPath().startsWith(root)) {
            continue;
          }
          TarArchiveEntry entry = new TarArchiveEntry(path.toFile(), file.getKey());
          entry.setMode(executable(path) ? 0100755 : 0100644);
          tar.putArchiveEntry(entry);
          Files.copy(path, tar);
          tar.closeArchiveEntry();
        }
        tar.finish();
      }
      String sha256 = ArtifactPublisher.sha256(packed);
      long size = Files.size(packed);
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(target(base, key)).timeout(timeout)
          .header("authorization", "Bearer " + job.jobToken())
          .header("content-type", "application/octet-stream")
          .header("x-checksum-sha256", sha256)
          .header("x-artifact-duration", Long.toString(Math.max(0, durationMs)))
          .PUT(HttpRequest.BodyPublishers.ofFile(packed)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200 || response.statusCode() == 201) {
        log.accept("==> cache: stored the result under key " + shortKey(key) + " (" + files.size() + " file(s), "
            + ArtifactPublisher.human(size) + ")");
        return true;
      }
      log.accept("==> cache: the result is NOT stored: HTTP " + response.statusCode() + " " + response.body());
      return false;
    } catch (IOException | RuntimeException e) {
      log.accept("==> cache: the result is NOT stored: " + e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      try {
        Files.deleteIfExists(packed);
      } catch (IOException ignored) {
        // as above
      }
    }
  }

  /**
   * Unpacks a stored result beside the workspace first and moves it in only once all of it
   * unpacked: a result that fails halfway leaves nothing behind for the steps that run instead
   * (and for the result they store).
   */
  static long unpackInto(Path archive, Path workspace, int[] files) throws IOException {
    Path staging = workspace.resolveSibling(workspace.getFileName() + ".cache-restore");
    Trees.delete(staging);
    Files.createDirectories(staging);
    try {
      long bytes = unpack(archive, staging, files);
      Path root = workspace.toRealPath();
      Files.walkFileTree(staging, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
          Path target = root.resolve(staging.relativize(dir).toString());
          if (Files.isSymbolicLink(target) || (Files.exists(target) && !Files.isDirectory(target))) {
            Trees.delete(target); // the result's directory replaces what the source had there
          }
          Files.createDirectories(target);
          if (!target.toRealPath().startsWith(root)) {
            throw new IOException(staging.relativize(dir) + " would be written through a link out of the workspace");
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
          Path target = root.resolve(staging.relativize(file).toString());
          if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            Trees.delete(target);
          }
          Files.move(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
          return FileVisitResult.CONTINUE;
        }
      });
      return bytes;
    } finally {
      Trees.delete(staging);
    }
  }

  /**
   * Unpacks a stored result into a directory. Every entry must stay inside the directory: no
   * absolute paths, no {@code ..}, no writing through a link the source put there, no link leading out.
   */
  static long unpack(Path archive, Path workspace, int[] files) throws IOException {
    Path root = workspace.toRealPath();
    long bytes = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(in, 64 * 1024))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        String name = entry.getName();
        List<String> parts = List.of(name.split("/"));
        if (name.isEmpty() || name.startsWith("/") || parts.contains("..") || parts.contains(".") || name.contains("\0")) {
          throw new IOException("the entry " + name + " leaves the workspace");
        }
        Path target = root.resolve(name).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
          throw new IOException("the entry " + name + " leaves the workspace");
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        if (!parent.toRealPath().startsWith(root)) {
          throw new IOException("the entry " + name + " would be written through a link out of the workspace");
        }
        if (entry.isDirectory()) {
          continue;
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          Trees.delete(target);
        } else {
          Files.deleteIfExists(target); // a link there is replaced, never followed
        }
        if (entry.isSymbolicLink()) {
          Path link = Path.of(entry.getLinkName());
          if (link.isAbsolute() || !parent.resolve(link).normalize().startsWith(root)) {
            throw new IOException("the link " + name + " leads outside the workspace");
          }
          Files.createSymbolicLink(target, link);
        } else if (entry.isFile()) {
          try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
            bytes += tar.transferTo(out);
          }
          if ((entry.getMode() & 0100) != 0) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(target);
            permissions.add(PosixFilePermission.OWNER_EXECUTE);
            permissions.add(PosixFilePermission.GROUP_EXECUTE);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(target, permissions);
          }
          files[0]++;
        } else {
          throw new IOException("the entry " + name + " is neither a file, a directory nor a link");
        }
      }
    }
    return bytes;
  }

  /** A key as shown in the log: its first 12 characters, as Git shows a commit. */
  static String shortKey(String key) {
    return key.length() > 12 ? key.substring(0, 12) : key;
  }

  private static URI target(String base, String key) {
    return URI.create(base.endsWith("/") ? base : base + "/").resolve(PATH + key);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
