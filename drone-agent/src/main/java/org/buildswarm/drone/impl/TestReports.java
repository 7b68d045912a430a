package org.buildswarm.drone.impl;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import javax.xml.stream.XMLInputFactory;
import org.buildswarm.protocol.api.TestFailure;
import org.buildswarm.protocol.api.TestSummary;
import org.buildswarm.protocol.message.TestResults;
import org.buildswarm.protocol.trigger.Glob;

/**
 * Finds the JUnit XML reports a job declared ({@code reports:} patterns) in its workspace once its
 * steps ended, and reads them into what the job's report carries: a summary and the failures. The
 * files are the job's: no symbolic link is followed out of the workspace, and what is read and sent
 * is capped. Whatever goes wrong with a file is a {@code ==> } line in the job's log, never a failed
 * job. Blocking: runs on the job's own thread.
 */
public final class TestReports {
  /** What is read and sent at most. */
  public record Limits(int maxFiles, long maxBytes, int maxFailures, int maxMessage, int maxDetail, int maxOutput,
      long maxFailureText, int maxVisited) {
    public static final Limits DEFAULTS = new Limits(1_000, 50L * 1024 * 1024, 200, 4 * 1024, 16 * 1024, 16 * 1024,
        2L * 1024 * 1024, 200_000);
  }

  static final String TRUNCATED = "… (truncated)";
  private static final int MAX_NAME = 1_024;

  private final Limits limits;
  /**
   * Made when a job first has a report to read, on its own thread: finding the StAX implementation
   * searches the class path, which cost every job (most have no reports) on the drone's event loop.
   */
  private XMLInputFactory factory;

  public TestReports(Limits limits) {
    this.limits = limits;
  }

  private XMLInputFactory factory() {
    if (factory == null) {
      factory = JUnitXml.factory();
    }
    return factory;
  }

  /**
   * Reads the reports matching {@code patterns} in {@code workspace}.
   *
   * @param log takes the lines for the job's log (without the {@code ==> })
   * @param mask masks the job's secrets in a text
   * @return null when there are no patterns; else the results (a zero summary when nothing matched)
   */
  public TestResults collect(Path workspace, List<String> patterns, Consumer<String> log, UnaryOperator<String> mask) {
    if (patterns.isEmpty()) {
      return null;
    }
    Tally tally = new Tally(mask);
    List<Path> files;
    try {
      files = find(workspace, patterns, log, tally);
    } catch (IOException e) {
      log.accept("reports: could not look for them: " + e.getMessage());
      return tally.results();
    }
    if (files.isEmpty()) {
      log.accept("reports: no file matches " + String.join(", ", patterns));
      return tally.results();
    }
    if (files.size() > limits.maxFiles()) {
      log.accept("reports: " + files.size() + " files match; only the first " + limits.maxFiles() + " are read");
      files = files.subList(0, limits.maxFiles());
      tally.truncated = true;
    }
    long budget = limits.maxBytes();
    int read = 0;
    for (Path file : files) {
      String name = workspace.relativize(file).toString();
      long size;
      try {
        size = Files.size(file);
      } catch (IOException e) {
        log.accept("reports: " + name + " could not be read: " + e.getMessage());
        continue;
      }
      if (size > budget) {
        log.accept("reports: " + name + " and the files after it are left out: more than " + limits.maxBytes()
            / (1024 * 1024) + " MiB of reports");
        tally.truncated = true;
        break;
      }
      budget -= size;
      try (InputStream in = new Bounded(Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS),
          size)) {
        tally.add(JUnitXml.read(factory(), in, Math.max(0, limits.maxFailures() - tally.failures.size())));
        read++;
      } catch (JUnitXml.Unreadable e) {
        log.accept("reports: " + name + " is left out, it is not a JUnit XML report: " + e.where());
      } catch (IOException e) {
        log.accept("reports: " + name + " could not be read: " + e.getMessage());
      }
    }
    TestResults results = tally.results();
    TestSummary s = results.summary();
    log.accept("reports: " + read + " file(s), " + s.total() + " tests: " + s.passed() + " passed, " + s.failed()
        + " failed, " + s.errored() + " errored, " + s.skipped() + " skipped"
        + (results.truncated() ? " (the report sent is cut to the limits)" : ""));
    return results;
  }

  /**
   * Regular files in the workspace matching the patterns, in name order. Each pattern's literal
   * leading directories are walked only, without following links; a linked file is taken only when
   * it resolves inside the workspace.
   */
  private List<Path> find(Path workspace, List<String> patterns, Consumer<String> log, Tally tally) throws IOException {
    Path root = workspace.toRealPath();
    List<Glob> globs = patterns.stream().map(Glob::of).toList();
    TreeMap<String, Path> found = new TreeMap<>();
    int[] visited = {0};
    List<String> outside = new ArrayList<>();
    for (Glob glob : globs) {
      if (glob.negated()) {
        continue;
      }
      String[] parts = glob.pattern().split("/");
      int literal = 0;
      while (literal < parts.length - 1 && !parts[literal].matches(".*[*?\\[].*")) {
        literal++;
      }
      Path start = workspace.resolve(String.join("/", java.util.Arrays.copyOfRange(parts, 0, literal))).normalize();
      if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
        // A directory link on the way is fine as long as it stays in the workspace.
        if (!Files.isDirectory(start) || !start.toRealPath().startsWith(root)) {
          continue;
        }
      }
      boolean deep = glob.pattern().contains("**");
      int depth = deep ? Integer.MAX_VALUE : parts.length - literal;
      Files.walkFileTree(start, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
          if (++visited[0] > limits.maxVisited()) {
            return FileVisitResult.TERMINATE;
          }
          String relative = workspace.relativize(file).toString().replace(java.io.File.separatorChar, '/');
          if (!Glob.anyMatches(globs, relative)) {
            return FileVisitResult.CONTINUE;
          }
          if (attributes.isRegularFile()) {
            found.put(relative, file);
          } else if (attributes.isSymbolicLink()) {
            Path target;
            try {
              target = file.toRealPath();
            } catch (IOException e) {
              return FileVisitResult.CONTINUE; // a dangling link
            }
            if (target.startsWith(root) && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
              found.put(relative, target);
            } else {
              outside.add(relative);
            }
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE;
        }
      });
    }
    if (visited[0] > limits.maxVisited()) {
      log.accept("reports: stopped looking after " + limits.maxVisited() + " files; give narrower patterns");
      tally.truncated = true;
    }
    if (!outside.isEmpty()) {
      log.accept("reports: " + String.join(", ", outside.subList(0, Math.min(5, outside.size())))
          + (outside.size() > 5 ? " and " + (outside.size() - 5) + " more" : "")
          + " left out: a link to outside the workspace");
    }
    return new ArrayList<>(found.values());
  }

  /** The results so far, with the failures capped and masked as they are added. */
  private final class Tally {
    final UnaryOperator<String> mask;
    int total;
    int passed;
    int failed;
    int errored;
    int skipped;
    long durationMs;
    long failureText;
    boolean truncated;
    final List<TestFailure> failures = new ArrayList<>();

    Tally(UnaryOperator<String> mask) {
      this.mask = mask;
    }

    void add(JUnitXml.Report report) {
      durationMs += report.durationMs();
      for (JUnitXml.Case testCase : report.cases()) {
        total++;
        TestFailure failure = testCase.failure();
        if (failure == null) {
          if (testCase.skipped()) {
            skipped++;
          } else {
            passed++;
          }
          continue;
        }
        if (TestFailure.ERROR.equals(failure.kind())) {
          errored++;
        } else {
          failed++;
        }
        if (failures.size() >= limits.maxFailures() || failureText >= limits.maxFailureText()) {
          truncated = true;
          continue;
        }
        TestFailure sent = new TestFailure(cut(failure.suite(), MAX_NAME), cut(failure.classname(), MAX_NAME),
            cut(failure.name(), MAX_NAME), failure.kind(), cut(failure.message(), limits.maxMessage()),
            cut(failure.type(), MAX_NAME), cut(failure.detail(), limits.maxDetail()),
            cut(failure.output(), limits.maxOutput()), failure.durationMs());
        failureText += sent.suite().length() + sent.classname().length() + sent.name().length()
            + sent.message().length() + sent.type().length() + sent.detail().length() + sent.output().length();
        failures.add(sent);
      }
    }

    /**
     * The text masked, then cut to {@code max} characters. Masked first: a secret cut in two
     * would show its first part.
     */
    String cut(String text, int max) {
      if (text == null || text.isEmpty()) {
        return "";
      }
      boolean cutWhileRead = text.length() >= JUnitXml.MAX_TEXT;
      if (cutWhileRead) {
        // Its end may hold the first part of a secret, which masking would not recognise. Secrets
        // are masked line by line, so ending at a line's end is safe; a text of one huge line
        // loses more than any one-line secret is long.
        int newline = text.lastIndexOf('\n');
        text = newline >= text.length() / 2 ? text.substring(0, newline + 1)
            : text.substring(0, Math.max(0, text.length() - 8 * 1024));
      }
      String masked = mask.apply(text);
      if (masked.length() <= max && !cutWhileRead) {
        return masked;
      }
      truncated = true;
      int end = Math.min(max, masked.length());
      if (end > 0 && Character.isHighSurrogate(masked.charAt(end - 1))) {
        end--;
      }
      return masked.substring(0, end) + TRUNCATED;
    }

    TestResults results() {
      return new TestResults(new TestSummary(total, passed, failed, errored, skipped, durationMs), failures, truncated);
    }
  }

  /** Reads at most the size the file had when it was chosen: a file still growing cannot exceed the budget. */
  private static final class Bounded extends FilterInputStream {
    private long left;

    Bounded(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(buffer, offset, (int) Math.min(length, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
