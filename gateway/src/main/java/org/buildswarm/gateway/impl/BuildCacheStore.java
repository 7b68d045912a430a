package org.buildswarm.gateway.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.buildswarm.protocol.ProtocolJson;

/**
 * The remote build cache's entries: a key of a tool's namespace ({@code turbo/<team>/<hash>},
 * {@code gradle/default/<key>}) names a blob of the artifact repository, so equal outputs are
 * stored once and retention sees what the cache still needs. An entry is a small record written
 * atomically after its blob; its file's modification time is the time it was last written or
 * read, which is what retention keeps entries by.
 *
 * <p>Blocking: call from worker threads. Writes share the repository's lock.
 */
public final class BuildCacheStore {
  private static final ObjectMapper JSON = ProtocolJson.mapper();

  /**
   * @param durationMs how long the tool took to make these outputs (Turborepo's
   *     {@code x-artifact-duration}), or null
   * @param tag the tool's signature of the bytes (Turborepo's {@code x-artifact-tag}), or null
   * @param run for a job's result: the run that made it; else null
   * @param job for a job's result: the job's name in that run; else null
   */
  public record Entry(String tool, String namespace, String key, String sha256, long size, long storedAt, String storedBy,
      Long durationMs, String tag, Long run, String job) {}

  /** What a retention pass of the cache dropped. */
  public record Dropped(int entries, long bytes) {}

  private final ArtifactRepository repository;
  private final Path directory;

  BuildCacheStore(ArtifactRepository repository, Path directory) {
    this.repository = repository;
    this.directory = directory;
  }

  Path directory() {
    return directory;
  }

  /** The entry, marked as used now; empty when there is none or its bytes are gone. */
  public Optional<Entry> find(String tool, String namespace, String key) throws IOException {
    Path file = entryFile(tool, namespace, key);
    Optional<Entry> entry = readQuietly(file);
    if (entry.isEmpty()) {
      return entry;
    }
    Path blob = repository.blobPath(entry.get().sha256());
    if (!Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS) || Files.size(blob) != entry.get().size()) {
      // Lost or truncated bytes make a miss, never an error: the tool builds and stores the entry again.
      Files.deleteIfExists(file);
      return Optional.empty();
    }
    try {
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (NoSuchFileException raced) {
      return Optional.empty(); // retention dropped it this moment
    }
    return entry;
  }

  /** Where an entry's bytes are. */
  public Path blob(Entry entry) {
    return repository.blobPath(entry.sha256());
  }

  /**
   * Stores an upload whose SHA-256 and size the caller computed while receiving it. A key written
   * again is replaced: caches are last-writer-wins (both Turborepo and Gradle expect it).
   */
  public Entry put(Path upload, String sha256, long size, String tool, String namespace, String key, String storedBy,
      Long durationMs, String tag) throws IOException {
    return put(upload, sha256, size, tool, namespace, key, storedBy, durationMs, tag, null, null);
  }

  /** {@link #put(Path, String, long, String, String, String, String, Long, String)} for a job's result, with its origin. */
  public Entry put(Path upload, String sha256, long size, String tool, String namespace, String key, String storedBy,
      Long durationMs, String tag, Long run, String job) throws IOException {
    Path file = entryFile(tool, namespace, key);
    Entry entry = new Entry(tool, namespace, key, sha256, size, System.currentTimeMillis(), storedBy, durationMs, tag,
        run, job);
    try {
      synchronized (repository) {
        repository.storeBlob(upload, sha256);
        repository.writeAtomically(file, JSON.writeValueAsBytes(entry));
      }
    } finally {
      Files.deleteIfExists(upload);
    }
    return entry;
  }

  /**
   * Drops the entries unused for {@code unusedForMs}, then the least recently used ones until the
   * rest fit in {@code maxTotalBytes}. Their blobs go at the repository's next collection.
   */
  public Dropped retain(long unusedForMs, long maxTotalBytes) throws IOException {
    long cutoff = System.currentTimeMillis() - unusedForMs;
    record Kept(Path file, long usedAt, long size) {}
    List<Kept> kept = new ArrayList<>();
    int dropped = 0;
    long freed = 0;
    synchronized (repository) {
      for (Path file : entryFiles()) {
        Optional<Entry> entry = readQuietly(file);
        long usedAt = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
        if (entry.isEmpty() || usedAt < cutoff) {
          Files.deleteIfExists(file);
          dropped++;
          freed += entry.map(Entry::size).orElse(0L);
        } else {
          kept.add(new Kept(file, usedAt, entry.get().size()));
        }
      }
      long total = kept.stream().mapToLong(Kept::size).sum();
      kept.sort(Comparator.comparingLong(Kept::usedAt));
      for (int i = 0; i < kept.size() && total > maxTotalBytes; i++) {
        Files.deleteIfExists(kept.get(i).file());
        total -= kept.get(i).size();
        freed += kept.get(i).size();
        dropped++;
      }
    }
    return new Dropped(dropped, freed);
  }

  /** Entries and bytes now held. */
  public Dropped size() throws IOException {
    int entries = 0;
    long bytes = 0;
    for (Path file : entryFiles()) {
      Optional<Entry> entry = readQuietly(file);
      if (entry.isPresent()) {
        entries++;
        bytes += entry.get().size();
      }
    }
    return new Dropped(entries, bytes);
  }

  /** The blobs some entry names: the repository's collection keeps them. Call holding the repository's lock. */
  Set<String> referencedBlobs() throws IOException {
    Set<String> referenced = new HashSet<>();
    for (Path file : entryFiles()) {
      readQuietly(file).ifPresent(entry -> referenced.add(entry.sha256()));
    }
    return referenced;
  }

  private Path entryFile(String tool, String namespace, String key) {
    ArtifactRepository.checkSegment(key, "cache key");
    String prefix = key.substring(0, Math.min(2, key.length()));
    return repository.safe(directory, tool, namespace, prefix, key + ".json");
  }

  private List<Path> entryFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path tool : ArtifactRepository.list(directory)) {
      for (Path namespace : ArtifactRepository.list(tool)) {
        for (Path prefix : ArtifactRepository.list(namespace)) {
          for (Path file : ArtifactRepository.list(prefix)) {
            String name = file.getFileName().toString();
            if (name.endsWith(".json") && !name.startsWith(".") && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
              files.add(file);
            }
          }
        }
      }
    }
    return files;
  }

  /** A damaged entry record reads as no entry (and retention removes it). */
  private static Optional<Entry> readQuietly(Path file) {
    try {
      return ArtifactRepository.read(file, Entry.class);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
