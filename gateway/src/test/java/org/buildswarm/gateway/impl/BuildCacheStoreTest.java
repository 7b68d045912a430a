package org.buildswarm.gateway.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCacheStoreTest {
  private static final long DAY = 24L * 60 * 60 * 1000;

  @TempDir
  Path root;

  private ArtifactRepository repository;
  private BuildCacheStore cache;

  @BeforeEach
  void open() throws Exception {
    repository = new ArtifactRepository(root);
    repository.open();
    cache = repository.buildCache();
  }

  private BuildCacheStore.Entry put(String namespace, String key, String content) throws Exception {
    Path upload = repository.newUpload();
    Files.writeString(upload, content);
    return cache.put(upload, sha(content), content.length(), "turbo", namespace, key, "alice", 1234L, "sig");
  }

  private static String sha(String content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
  }

  private Path entryFile(String namespace, String key) {
    return root.resolve("cache/turbo").resolve(namespace).resolve(key.substring(0, 2)).resolve(key + ".json");
  }

  private void lastUsed(String namespace, String key, long millisAgo) throws Exception {
    Files.setLastModifiedTime(entryFile(namespace, key), FileTime.fromMillis(System.currentTimeMillis() - millisAgo));
  }

  @Test
  void anEntryIsFoundInItsOwnNamespaceWithWhatTheToolToldAboutIt() throws Exception {
    put("team-a", "abc123", "outputs of a");
    BuildCacheStore.Entry found = cache.find("turbo", "team-a", "abc123").orElseThrow();
    assertThat(Files.readString(cache.blob(found))).isEqualTo("outputs of a");
    assertThat(found.durationMs()).isEqualTo(1234L);
    assertThat(found.tag()).isEqualTo("sig");
    assertThat(found.storedBy()).isEqualTo("alice");
    assertThat(cache.find("turbo", "team-b", "abc123")).as("another team's cache").isEmpty();
    assertThat(cache.find("gradle", "team-a", "abc123")).as("another tool's cache").isEmpty();

    put("team-a", "abc123", "rebuilt");
    assertThat(Files.readString(cache.blob(cache.find("turbo", "team-a", "abc123").orElseThrow())))
        .as("the last write wins").isEqualTo("rebuilt");
    try (var uploads = Files.list(root.resolve("uploads"))) {
      assertThat(uploads).as("no upload is left behind").isEmpty();
    }
  }

  @Test
  void lostTruncatedOrDamagedEntriesAreMissesNotErrors() throws Exception {
    BuildCacheStore.Entry lost = put("t", "lost00", "bytes that vanish");
    Files.delete(cache.blob(lost));
    assertThat(cache.find("turbo", "t", "lost00")).isEmpty();
    assertThat(entryFile("t", "lost00")).as("the dangling entry is gone").doesNotExist();

    BuildCacheStore.Entry truncated = put("t", "trunc0", "bytes that get cut");
    Files.writeString(cache.blob(truncated), "bytes");
    assertThat(cache.find("turbo", "t", "trunc0")).isEmpty();

    put("t", "broken", "fine bytes");
    Files.writeString(entryFile("t", "broken"), "{\"sha256\": ");
    assertThat(cache.find("turbo", "t", "broken")).isEmpty();

    assertThatThrownBy(() -> cache.find("turbo", "t", "../../meta")).isInstanceOf(ArtifactRepository.BadName.class);
    assertThatThrownBy(() -> cache.find("turbo", "..", "abc")).isInstanceOf(ArtifactRepository.BadName.class);
  }

  @Test
  void retentionDropsUnusedEntriesThenTheLeastRecentlyUsedAndItsBlobsFollow() throws Exception {
    put("t", "old000", "old outputs");
    put("t", "used00", "outputs used last week");
    put("t", "new000", "new outputs");
    put("t", "big000", "x".repeat(1000));
    lastUsed("t", "old000", 20 * DAY);
    lastUsed("t", "used00", 20 * DAY);
    lastUsed("t", "big000", 2 * DAY);
    assertThat(cache.find("turbo", "t", "used00")).as("a read counts as a use").isPresent();

    BuildCacheStore.Dropped dropped = cache.retain(14 * DAY, 100);
    assertThat(dropped.entries()).as("the unused one, then the least recently used until 100 bytes fit").isEqualTo(2);
    assertThat(cache.find("turbo", "t", "old000")).isEmpty();
    assertThat(cache.find("turbo", "t", "big000")).isEmpty();
    assertThat(cache.find("turbo", "t", "used00")).isPresent();
    assertThat(cache.find("turbo", "t", "new000")).isPresent();

    // The artifact repository's collection frees the dropped entries' blobs and keeps the others'.
    ArtifactRepository.Retained retained = repository.retain(50, 0);
    assertThat(retained.blobsDeleted()).isEqualTo(2);
    assertThat(cache.find("turbo", "t", "used00")).isPresent();
    assertThat(cache.find("turbo", "t", "new000")).isPresent();
    assertThat(cache.size().entries()).isEqualTo(2);
  }
}
