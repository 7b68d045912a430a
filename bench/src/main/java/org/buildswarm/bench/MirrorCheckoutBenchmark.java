package org.buildswarm.bench;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;

/**
 * Many jobs of one commit on one drone: each needs the commit checked out in its own workspace
 * from the drone's Git mirror. Runs the drone's own source fetcher, loaded from each distribution
 * named (so an older build measures side by side with this one), {@code jobs} checkouts at once
 * on as many threads, and prints when the last one was ready (when the last job could start), the
 * median, and the bytes the workspaces' objects took on disk. Both ways of taking the objects are
 * measured where the build has them: copies, and hard links (jobs running as another user).
 *
 * <pre>MirrorCheckoutBenchmark JOBS FILES LABEL=DISTRIBUTION_HOME...</pre>
 */
public final class MirrorCheckoutBenchmark {
  private MirrorCheckoutBenchmark() {}

  public static void main(String[] args) throws Exception {
    int jobs = Integer.parseInt(args[0]);
    int files = Integer.parseInt(args[1]);
    Path work = Files.createTempDirectory(Path.of(System.getProperty("user.dir")).resolve("target"), "mirror-bench");
    try {
      Path repo = work.resolve("repo");
      String commit = makeRepository(repo, files);
      System.out.printf("repository: %d files, %.1f MiB of objects; %d checkouts of one commit at once%n", files,
          treeBytes(repo.resolve(".git/objects")) / 1048576.0, jobs);
      System.out.printf("%-28s %10s %10s %12s%n", "build / objects", "last (ms)", "p50 (ms)", "MiB on disk");
      for (String named : Arrays.copyOfRange(args, 2, args.length)) {
        String label = named.substring(0, named.indexOf('='));
        Path home = Path.of(named.substring(named.indexOf('=') + 1));
        try (URLClassLoader loader = loaderFor(home)) {
          for (boolean link : new boolean[] {false, true}) {
            Method fetch = fetchMethod(loader, link);
            if (fetch == null) {
              continue;
            }
            for (int round = 0; round < 2; round++) { // the first round warms the JIT and the page cache
              Path mirrors = work.resolve("mirrors-" + label + "-" + link + "-" + round);
              Object fetcher = fetcher(loader, mirrors);
              Object source = source(loader, repo.toUri().toString(), commit);
              fetch(fetch, fetcher, source, work.resolve("warm-" + label + link + round), link); // the mirror exists
              long[] ready = checkoutAtOnce(jobs, fetch, fetcher, source, work.resolve("ws-" + label + link + round), link);
              if (round == 1) {
                Arrays.sort(ready);
                System.out.printf("%-28s %10.0f %10.0f %12.1f%n", label + (link ? " / hard links" : " / copies"),
                    ready[ready.length - 1] / 1e6, ready[ready.length / 2] / 1e6,
                    diskBytes(work.resolve("ws-" + label + link + round)) / 1048576.0);
              }
              deleteTree(work.resolve("ws-" + label + link + round));
            }
          }
        }
      }
    } finally {
      deleteTree(work);
    }
  }

  private static long[] checkoutAtOnce(int jobs, Method fetch, Object fetcher, Object source, Path root, boolean link)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(jobs);
    try {
      long start = System.nanoTime();
      List<Future<Long>> done = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        Path workspace = root.resolve("job-" + i);
        done.add(pool.submit(() -> {
          fetch(fetch, fetcher, source, workspace, link);
          return System.nanoTime() - start;
        }));
      }
      long[] ready = new long[jobs];
      for (int i = 0; i < jobs; i++) {
        ready[i] = done.get(i).get(10, TimeUnit.MINUTES);
      }
      return ready;
    } finally {
      pool.shutdownNow();
    }
  }

  private static URLClassLoader loaderFor(Path home) throws Exception {
    List<URL> jars = new ArrayList<>();
    try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
      for (Path jar : lib.filter(file -> file.toString().endsWith(".jar")).toList()) {
        jars.add(jar.toUri().toURL());
      }
    }
    return new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  /** The fetcher's 4-argument fetch (workspace sharing chosen) where the build has it, else the 2-argument one. */
  private static Method fetchMethod(ClassLoader loader, boolean link) throws Exception {
    Class<?> fetcher = loader.loadClass("org.buildswarm.drone.impl.SourceFetcher");
    Class<?> source = loader.loadClass("org.buildswarm.protocol.message.SourceSpec");
    Class<?> credentials = loader.loadClass("org.buildswarm.protocol.message.GitCredentials");
    try {
      return fetcher.getMethod("fetch", source, credentials, Path.class, boolean.class);
    } catch (NoSuchMethodException older) {
      return link ? null : fetcher.getMethod("fetch", source, Path.class);
    }
  }

  private static void fetch(Method fetch, Object fetcher, Object source, Path workspace, boolean link) throws Exception {
    if (fetch.getParameterCount() == 4) {
      fetch.invoke(fetcher, source, null, workspace, link);
    } else {
      fetch.invoke(fetcher, source, workspace);
    }
  }

  private static Object fetcher(ClassLoader loader, Path mirrors) throws Exception {
    Constructor<?> constructor = loader.loadClass("org.buildswarm.drone.impl.SourceFetcher")
        .getConstructor(Path.class, Set.class);
    return constructor.newInstance(mirrors, Set.of());
  }

  private static Object source(ClassLoader loader, String url, String revision) throws Exception {
    return loader.loadClass("org.buildswarm.protocol.message.SourceSpec")
        .getConstructor(String.class, String.class, String.class).newInstance("git", url, revision);
  }

  private static String makeRepository(Path repo, int files) throws Exception {
    Random random = new Random(42);
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      for (int i = 0; i < files; i++) {
        Path file = repo.resolve("src/module-" + i % 50 + "/File" + i + ".java");
        Files.createDirectories(file.getParent());
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < 100; line++) {
          text.append("  int value").append(line).append(" = ").append(random.nextInt()).append(";\n");
        }
        Files.writeString(file, "class File" + i + " {\n" + text + "}\n");
      }
      git.add().addFilepattern(".").call();
      String commit = git.commit().setMessage("a release").setAuthor("b", "b@example.org")
          .setCommitter("b", "b@example.org").call().getName();
      git.gc().call();
      return commit;
    }
  }

  private static long treeBytes(Path root) throws Exception {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum();
    }
  }

  /** Blocks the workspaces' Git objects take, a hard-linked file counted once (du's way). */
  private static long diskBytes(Path root) throws Exception {
    Set<Object> seen = new java.util.HashSet<>();
    long bytes = 0;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.filter(path -> path.toString().contains(File.separator + ".git" + File.separator + "objects"))
          .filter(Files::isRegularFile).toList()) {
        if (seen.add(Files.getAttribute(path, "unix:ino"))) {
          bytes += path.toFile().length();
        }
      }
    }
    return bytes;
  }

  private static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
