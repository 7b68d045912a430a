package org.buildswarm.gateway.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.buildswarm.protocol.api.ArtifactVersion;
import org.buildswarm.protocol.api.ChannelMove;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactRepositoryTest {
  @TempDir
  Path root;

  @TempDir
  Path elsewhere;

  private ArtifactRepository repository;

  @BeforeEach
  void open() throws Exception {
    repository = new ArtifactRepository(root);
    repository.open();
  }

  private ArtifactRepository.Published publish(String name, String version, String content) throws Exception {
    Path upload = repository.newUpload();
    Files.writeString(upload, content);
    return repository.publish(upload, sha(content), content.length(), "shop", name, version, "app.tar.gz", "alice", 7L, 9L);
  }

  private static String sha(String content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aVersionIsImmutableAndItsBytesAreContentAddressed() throws Exception {
    ArtifactVersion first = publish("app", "1", "one").version();
    assertThat(Files.readString(repository.blob(first))).isEqualTo("one");
    assertThat(repository.blob(first).getFileName().toString()).isEqualTo(sha("one"));

    assertThat(publish("app", "1", "one").created()).as("a retried upload of the same bytes").isFalse();
    assertThatThrownBy(() -> publish("app", "1", "other")).isInstanceOf(ArtifactRepository.Conflict.class)
        .hasMessageContaining("versions are immutable");
    assertThat(Files.readString(repository.blob(repository.version("shop", "app", "1").orElseThrow()))).isEqualTo("one");
    ArtifactVersion same = publish("app", "2", "one").version();
    assertThat(repository.blob(same)).as("the same bytes are stored once").isEqualTo(repository.blob(first));
    try (var uploads = Files.list(root.resolve("uploads"))) {
      assertThat(uploads).as("no upload is left behind").isEmpty();
    }
    assertThat(repository.versions("shop", "app")).extracting(ArtifactVersion::version).containsExactly("2", "1");
  }

  @Test
  void channelsMoveAtomicallyAndARollbackIsAMoveBack() throws Exception {
    publish("app", "1", "one");
    publish("app", "2", "two");
    repository.move("shop", "app", "production", "1", "alice");
    repository.move("shop", "app", "production", "2", "bob");
    ChannelMove rollback = repository.move("shop", "app", "production", "1", "carol");
    assertThat(rollback.previous()).isEqualTo("2");
    assertThat(repository.channel("shop", "app", "production").orElseThrow().version()).isEqualTo("1");
    assertThat(repository.history("shop", "app", "production")).extracting(ChannelMove::version, ChannelMove::by)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("1", "alice"), org.assertj.core.groups.Tuple.tuple("2", "bob"),
            org.assertj.core.groups.Tuple.tuple("1", "carol"));
    assertThatThrownBy(() -> repository.move("shop", "app", "production", "3", "x"))
        .isInstanceOf(ArtifactRepository.NotFound.class);
    assertThatThrownBy(() -> repository.delete("shop", "app", "1")).isInstanceOf(ArtifactRepository.Conflict.class)
        .hasMessageContaining("\"production\" points to 1");
  }

  @Test
  void retentionNeverDeletesWhatAPointerHoldsNorABlobAnUploadMayStillName() throws Exception {
    for (int i = 1; i <= 5; i++) {
      publish("app", Integer.toString(i), "content " + i);
      Thread.sleep(2); // distinct creation times
    }
    repository.move("shop", "app", "production", "1", "ops");
    repository.move("shop", "app", "latest", "5", "ci");

    ArtifactRepository.Retained young = repository.retain(2, 60_000);
    assertThat(young.versionsDeleted()).isEqualTo(2); // 2 and 3: not among the newest two, held by nothing
    assertThat(repository.versions("shop", "app")).extracting(ArtifactVersion::version).containsExactly("5", "4", "1");
    assertThat(young.blobsDeleted()).as("their blobs are still within the grace period").isZero();

    for (Path prefix : Files.newDirectoryStream(root.resolve("blobs"))) {
      for (Path blob : Files.newDirectoryStream(prefix)) {
        Files.setLastModifiedTime(blob, FileTime.fromMillis(System.currentTimeMillis() - 120_000));
      }
    }
    ArtifactRepository.Retained old = repository.retain(2, 60_000);
    assertThat(old.blobsDeleted()).isEqualTo(2);
    for (String kept : new String[] {"1", "4", "5"}) {
      assertThat(repository.blob(repository.version("shop", "app", kept).orElseThrow())).exists();
    }
  }

  @Test
  void namesThatCouldLeaveTheRepositoryAreRefused() throws Exception {
    for (String bad : new String[] {"..", "../etc", "/etc", "a/b", "a\0b", ".hidden", "", "x".repeat(129)}) {
      assertThatThrownBy(() -> repository.version("shop", bad, "1")).as(bad).isInstanceOf(ArtifactRepository.BadName.class);
      assertThatThrownBy(() -> repository.version(bad, "app", "1")).as(bad).isInstanceOf(ArtifactRepository.BadName.class);
    }
    // A link planted inside the repository is not followed out of it.
    Files.createDirectories(elsewhere.resolve("app/versions"));
    Files.writeString(elsewhere.resolve("app/versions/1.json"), "{}");
    Files.createDirectories(root.resolve("meta"));
    Files.createSymbolicLink(root.resolve("meta/evil"), elsewhere);
    assertThatThrownBy(() -> repository.version("evil", "app", "1")).isInstanceOf(ArtifactRepository.BadName.class)
        .hasMessageContaining("symbolic link");
    assertThat(repository.projects()).doesNotContain("evil");
  }
}
