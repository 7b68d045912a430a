package org.buildswarm.drone;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How a drone keeps its jobs away from itself (docs/security.md, "What a job sees").
 *
 * @param mode {@link Mode#AUTO} (default): bubblewrap where it works, else a separate user where the
 *     drone runs as root, else nothing — and the drone says which in its status
 * @param jobUser the user steps run as: {@code null} (default) means {@value #DEFAULT_ROOT_JOB_USER}
 *     when the drone runs as root and the drone's own user otherwise; a name or numeric uid
 * @param hiddenPaths more files and directories a job must not see, besides the drone's work directory,
 *     secrets directory and home (default none)
 * @param bubblewrap the bubblewrap program (default {@value #DEFAULT_BUBBLEWRAP}, found on PATH)
 */
public record SandboxOptions(Mode mode, String jobUser, List<Path> hiddenPaths, String bubblewrap) {
  public static final String DEFAULT_ROOT_JOB_USER = "nobody";
  public static final String DEFAULT_BUBBLEWRAP = "bwrap";

  /** How jobs are kept apart from the drone. */
  public enum Mode {
    /** Bubblewrap if it works here, else a separate user (if root), else none; never refuses to start. */
    AUTO,
    /** Bubblewrap or the drone does not start. */
    BUBBLEWRAP,
    /** A separate unprivileged user only (needs a drone running as root). */
    USER,
    /** Jobs run as the drone, seeing all it sees; for trusted jobs on a machine of their own. */
    NONE;

    public static Mode parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown sandbox \"" + text + "\"; use auto, bubblewrap, user or none");
      }
    }
  }

  public SandboxOptions {
    mode = mode == null ? Mode.AUTO : mode;
    jobUser = jobUser == null || jobUser.isBlank() ? null : jobUser.trim();
    hiddenPaths = hiddenPaths == null ? List.of() : List.copyOf(hiddenPaths);
    bubblewrap = bubblewrap == null || bubblewrap.isBlank() ? DEFAULT_BUBBLEWRAP : bubblewrap;
  }

  public static SandboxOptions defaults() {
    return new SandboxOptions(Mode.AUTO, null, List.of(), DEFAULT_BUBBLEWRAP);
  }

  public SandboxOptions withMode(Mode newMode) {
    return new SandboxOptions(newMode, jobUser, hiddenPaths, bubblewrap);
  }

  /** These paths hidden too (e.g. the swarm's state directory, a config file naming credentials). */
  public SandboxOptions hiding(List<Path> more) {
    List<Path> all = new java.util.ArrayList<>(hiddenPaths);
    all.addAll(more);
    return new SandboxOptions(mode, jobUser, all, bubblewrap);
  }
}
