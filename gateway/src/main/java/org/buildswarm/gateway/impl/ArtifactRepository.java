package org.buildswarm.gateway.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.buildswarm.protocol.ArtifactNames;
import org.buildswarm.protocol.ProtocolJson;
import org.buildswarm.protocol.api.ArtifactVersion;
import org.buildswarm.protocol.api.ChannelMove;

/**
 * The artifact repository on disk. Bytes are content-addressed blobs ({@code blobs/ab/<sha256>}),
 * each written to a temp file, forced to disk and renamed, so a blob is whole or absent. A version
 * is an immutable record naming a blob; a channel is a pointer file replaced atomically, with an
 * append-only history beside it. Every name is one checked path segment, and no path under the
 * root may pass through a symbolic link, so nothing outside the root is ever read or written.
 *
 * <p>Blocking: call from worker threads. Writes to metadata are serialised by this object.
 */
public final class ArtifactRepository {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final ObjectMapper JSON = ProtocolJson.mapper();

  /** Thrown for a request that names nothing there is (404). */
  public static final class NotFound extends RuntimeException {
    NotFound(String message) {
      super(message);
    }
  }

  /** Thrown for a request that contradicts what is stored (409): an existing version, a held version. */
  public static final class Conflict extends RuntimeException {
    Conflict(String message) {
      super(message);
    }
  }

  /** Thrown for a name that cannot be a path segment, or a path that would leave the root (400). */
  public static final class BadName extends RuntimeException {
    BadName(String message) {
      super(message);
    }
  }

  /** @param created false when the same bytes were already this version (a retried upload) */
  public record Published(ArtifactVersion version, boolean created) {}

  /** What a retention pass removed. */
  public record Retained(int versionsDeleted, int blobsDeleted, long bytesFreed, int uploadsAbandoned) {}

  private final Path root;
  private final Path blobs;
  private final Path meta;
  private final Path uploads;
  private final BuildCacheStore buildCache;

  public ArtifactRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.blobs = this.root.resolve("blobs");
    this.meta = this.root.resolve("meta");
    this.buildCache = new BuildCacheStore(this, this.root.resolve("cache"));
    this.uploads = this.root.resolve("uploads");
  }

  /** Creates the directories; call once before use. */
  public void open() throws IOException {
    for (Path directory : List.of(blobs, meta, uploads, buildCache.directory())) {
      Files.createDirectories(directory);
      refuseLinks(directory);
    }
  }

  /** The remote build cache's entries, whose bytes are blobs of this repository. */
  public BuildCacheStore buildCache() {
    return buildCache;
  }

  /** A fresh file to stream an upload into (same file system as the blobs, so it can be renamed). */
  public Path newUpload() {
    return uploads.resolve(UUID.randomUUID() + ".part");
  }

  /**
   * Stores an upload whose SHA-256 and size the caller computed while receiving it, as a new
   * version. The same bytes under an existing version are a retried upload and succeed.
   *
   * @throws Conflict if the version exists with other bytes (versions are immutable)
   */
  public Published publish(Path upload, String sha256, long size, String project, String name, String version,
      String fileName, String publishedBy, Long runId, Long jobId) throws IOException {
    checkSha(sha256);
    Path versionFile = versionFile(project, name, version);
    try {
      synchronized (this) {
        Optional<ArtifactVersion> existing = readVersion(versionFile);
        if (existing.isPresent()) {
          if (existing.get().sha256().equals(sha256)) {
            return new Published(existing.get(), false);
          }
          throw new Conflict(project + "/" + name + " version " + version + " exists with other content (sha256 "
              + existing.get().sha256() + "); versions are immutable, publish a new one");
        }
        storeBlob(upload, sha256);
        ArtifactVersion record = new ArtifactVersion(project, name, version, sha256, size,
            fileName == null || !ArtifactNames.isSegment(fileName) ? name : fileName, System.currentTimeMillis(),
            publishedBy, runId, jobId);
        writeAtomically(versionFile, JSON.writeValueAsBytes(record));
        return new Published(record, true);
      }
    } finally {
      Files.deleteIfExists(upload);
    }
  }

  /** Moves an upload whose SHA-256 was checked into the blobs (or drops it when the bytes are there). */
  void storeBlob(Path upload, String sha256) throws IOException {
    Path blob = blobPath(sha256);
    if (Files.exists(blob, LinkOption.NOFOLLOW_LINKS)) {
      // Already here (the same bytes under another version): keep it, and keep retention's grace
      // from collecting it before the new version record names it.
      Files.setLastModifiedTime(blob, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
      return;
    }
    Files.createDirectories(blob.getParent());
    force(upload);
    moveAtomically(upload, blob);
    forceDirectory(blob.getParent());
  }

  public Optional<ArtifactVersion> version(String project, String name, String version) throws IOException {
    return readVersion(versionFile(project, name, version));
  }

  /** A version's bytes on disk. */
  public Path blob(ArtifactVersion version) {
    return blobPath(version.sha256());
  }

  /** Versions of an artifact, newest first. */
  public List<ArtifactVersion> versions(String project, String name) throws IOException {
    Path directory = artifactDirectory(project, name).resolve("versions");
    List<ArtifactVersion> versions = new ArrayList<>();
    for (Path file : list(directory)) {
      if (file.getFileName().toString().endsWith(".json")) {
        readVersion(file).ifPresent(versions::add);
      }
    }
    versions.sort(Comparator.comparingLong(ArtifactVersion::createdAt).thenComparing(ArtifactVersion::version).reversed());
    return versions;
  }

  public List<String> projects() throws IOException {
    return names(meta);
  }

  public List<String> artifacts(String project) throws IOException {
    return names(safe(meta, project));
  }

  /** Where each channel of an artifact points now. */
  public Map<String, ChannelMove> channels(String project, String name) throws IOException {
    Map<String, ChannelMove> channels = new LinkedHashMap<>();
    for (Path file : list(artifactDirectory(project, name).resolve("channels"))) {
      String fileName = file.getFileName().toString();
      if (fileName.endsWith(".json")) {
        read(file, ChannelMove.class).ifPresent(move -> channels.put(move.channel(), move));
      }
    }
    return channels;
  }

  public Optional<ChannelMove> channel(String project, String name, String channel) throws IOException {
    return read(channelFile(project, name, channel), ChannelMove.class);
  }

  /** A channel's moves, oldest first. */
  public List<ChannelMove> history(String project, String name, String channel) throws IOException {
    Path file = historyFile(project, name, channel);
    List<ChannelMove> moves = new ArrayList<>();
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return moves;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        try {
          moves.add(JSON.readValue(line, ChannelMove.class));
        } catch (IOException torn) {
          // a line cut short by a crash: the pointer file, not the history, is the truth
        }
      }
    }
    return moves;
  }

  /**
   * Points a channel at an existing version (a rollback is a move to an older one).
   *
   * @throws NotFound if the version does not exist
   */
  public ChannelMove move(String project, String name, String channel, String version, String by) throws IOException {
    Path pointer = channelFile(project, name, channel);
    synchronized (this) {
      if (version(project, name, version).isEmpty()) {
        throw new NotFound(project + "/" + name + " has no version " + version);
      }
      String previous = read(pointer, ChannelMove.class).map(ChannelMove::version).orElse(null);
      ChannelMove move = new ChannelMove(channel, version, previous, by, System.currentTimeMillis());
      byte[] line = (JSON.writeValueAsString(move) + "\n").getBytes(StandardCharsets.UTF_8);
      Files.createDirectories(pointer.getParent());
      Files.write(historyFile(project, name, channel), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      writeAtomically(pointer, JSON.writeValueAsBytes(move));
      return move;
    }
  }

  /**
   * Deletes a version record (its blob goes at the next retention pass if nothing else uses it).
   *
   * @throws Conflict if a channel points to it
   */
  public ArtifactVersion delete(String project, String name, String version) throws IOException {
    synchronized (this) {
      ArtifactVersion found = version(project, name, version)
          .orElseThrow(() -> new NotFound(project + "/" + name + " has no version " + version));
      for (ChannelMove channel : channels(project, name).values()) {
        if (channel.version().equals(version)) {
          throw new Conflict("channel \"" + channel.channel() + "\" points to " + version + "; move it first");
        }
      }
      Files.delete(versionFile(project, name, version));
      return found;
    }
  }

  /**
   * Keeps the newest {@code keepVersions} versions of each artifact plus every version a channel
   * points to, and deletes the rest; then removes blobs no version and no build-cache entry names, and abandoned uploads,
   * once they are older than {@code graceMs} (so an upload in flight is never collected).
   */
  public Retained retain(int keepVersions, long graceMs) throws IOException {
    int versionsDeleted = 0;
    Set<String> referenced = new HashSet<>();
    long cutoff = System.currentTimeMillis() - graceMs;
    synchronized (this) {
      for (String project : projects()) {
        for (String name : artifacts(project)) {
          Set<String> held = new HashSet<>();
          channels(project, name).values().forEach(move -> held.add(move.version()));
          List<ArtifactVersion> versions = versions(project, name);
          for (int i = 0; i < versions.size(); i++) {
            ArtifactVersion version = versions.get(i);
            if (keepVersions > 0 && i >= keepVersions && !held.contains(version.version())) {
              Files.deleteIfExists(versionFile(project, name, version.version()));
              versionsDeleted++;
            } else {
              referenced.add(version.sha256());
            }
          }
        }
      }
      referenced.addAll(buildCache.referencedBlobs());
      int blobsDeleted = 0;
      long bytesFreed = 0;
      for (Path prefix : list(blobs)) {
        for (Path blob : list(prefix)) {
          String sha = blob.getFileName().toString();
          if (!referenced.contains(sha) && Files.getLastModifiedTime(blob, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
            bytesFreed += Files.size(blob);
            Files.delete(blob);
            blobsDeleted++;
          }
        }
      }
      int abandoned = 0;
      for (Path upload : list(uploads)) {
        if (Files.getLastModifiedTime(upload, LinkOption.NOFOLLOW_LINKS).toMillis() < cutoff) {
          Files.deleteIfExists(upload);
          abandoned++;
        }
      }
      return new Retained(versionsDeleted, blobsDeleted, bytesFreed, abandoned);
    }
  }

  // ---- paths ------------------------------------------------------------------------------------

  private Path artifactDirectory(String project, String name) {
    return safe(meta, project, name);
  }

  private Path versionFile(String project, String name, String version) {
    return safe(meta, project, name, "versions", checkSegment(version, "version") + ".json");
  }

  private Path channelFile(String project, String name, String channel) {
    return safe(meta, project, name, "channels", checkSegment(channel, "channel") + ".json");
  }

  private Path historyFile(String project, String name, String channel) {
    return safe(meta, project, name, "channels", checkSegment(channel, "channel") + ".history");
  }

  Path blobPath(String sha256) {
    checkSha(sha256);
    return safe(blobs, sha256.substring(0, 2), sha256);
  }

  /**
   * {@code base/segments…}, each segment checked, and no existing part of the path a symbolic
   * link: names cannot climb out, and neither can a link planted inside the repository.
   */
  Path safe(Path base, String... segments) {
    Path path = base;
    for (String segment : segments) {
      String plain = segment.endsWith(".json") ? segment.substring(0, segment.length() - 5)
          : segment.endsWith(".history") ? segment.substring(0, segment.length() - 8) : segment;
      checkSegment(plain, "name");
      path = path.resolve(segment);
    }
    if (!path.normalize().startsWith(root)) {
      throw new BadName("\"" + String.join("/", segments) + "\" leaves the repository");
    }
    try {
      refuseLinks(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return path;
  }

  private void refuseLinks(Path path) throws IOException {
    for (Path part = path; part != null && part.startsWith(root); part = part.getParent()) {
      if (Files.isSymbolicLink(part)) {
        throw new BadName(root.relativize(path) + " passes through a symbolic link; refused");
      }
    }
  }

  static String checkSegment(String segment, String what) {
    if (!ArtifactNames.isSegment(segment)) {
      throw new BadName(what + " \"" + String.valueOf(segment).replace("\0", "\\0") + "\" must start with a letter or digit "
          + "and hold only letters, digits, '.', '_', '+' and '-' (at most 128)");
    }
    return segment;
  }

  private static void checkSha(String sha256) {
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      throw new BadName("a SHA-256 is 64 lowercase hex digits");
    }
  }

  // ---- files ------------------------------------------------------------------------------------

  private static Optional<ArtifactVersion> readVersion(Path file) throws IOException {
    return read(file, ArtifactVersion.class);
  }

  static <T> Optional<T> read(Path file, Class<T> type) throws IOException {
    try {
      return Optional.of(JSON.readValue(Files.readAllBytes(file), type));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private static List<String> names(Path directory) throws IOException {
    List<String> names = new ArrayList<>();
    for (Path child : list(directory)) {
      if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) && ArtifactNames.isSegment(child.getFileName().toString())) {
        names.add(child.getFileName().toString());
      }
    }
    names.sort(null);
    return names;
  }

  static List<Path> list(Path directory) throws IOException {
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(children::add);
    }
    return children;
  }

  /** Writes a file whole or not at all: a temp file beside it, forced, then renamed over it. */
  void writeAtomically(Path target, byte[] content) throws IOException {
    Files.createDirectories(target.getParent());
    Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.write(temp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      force(temp);
      moveAtomically(temp, target);
      forceDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
      throw new IOException("cannot rename " + from + " to " + to + " atomically: " + e.getMessage(), e);
    }
  }

  private static void force(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  private static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be forced; the rename is still atomic
    }
  }
}
