package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.buildswarm.protocol.message.SourceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory source that something else is working in while a job copies it. */
class SourceFetcherDirectoryTest {
  @TempDir
  Path work;

  @Test
  void filesRemovedWhileTheDirectoryIsCopiedAreLeftOutRatherThanFailingTheJob() throws Exception {
    Path source = work.resolve("source");
    List<Path> files = new ArrayList<>();
    for (int d = 0; d < 40; d++) {
      Path dir = Files.createDirectories(source.resolve("logs").resolve("d" + d));
      for (int f = 0; f < 100; f++) {
        files.add(Files.writeString(dir.resolve("f" + f), "line " + f));
      }
    }
    Files.writeString(source.resolve("build.sh"), "make");
    Collections.shuffle(files, new java.util.Random(7));
    CountDownLatch started = new CountDownLatch(1);
    Thread remover = new Thread(() -> {
      started.countDown();
      for (Path file : files) {
        try {
          Files.deleteIfExists(file);
          if (file.getFileName().toString().equals("f99")) {
            Files.deleteIfExists(file.getParent());
          }
        } catch (java.io.IOException ignored) {
          // a directory not yet empty stays
        }
      }
    });
    remover.start();
    started.await();
    Path workspace = work.resolve("workspace");
    new SourceFetcher(work.resolve("mirrors"), Set.of()).fetch(
        new SourceSpec(SourceSpec.DIRECTORY, source.toString(), null), workspace);
    remover.join();
    assertThat(Files.readString(workspace.resolve("build.sh"))).isEqualTo("make");
  }

  @Test
  void theDronesOwnWorkDirectoryInsideTheSourceIsNotCopied() throws Exception {
    Path source = work.resolve("project");
    Path droneWork = Files.createDirectories(source.resolve("drone").resolve("jobs").resolve("1"));
    Files.writeString(droneWork.resolve("running.log"), "x");
    Files.writeString(source.resolve("Makefile"), "all:");
    Path workspace = droneWork.resolve("workspace");
    new SourceFetcher(work.resolve("mirrors"), Set.of(source.resolve("drone"))).fetch(
        new SourceSpec(SourceSpec.DIRECTORY, source.toString(), null), workspace);
    assertThat(workspace.resolve("Makefile")).exists();
    assertThat(workspace.resolve("drone")).doesNotExist();
  }
}
