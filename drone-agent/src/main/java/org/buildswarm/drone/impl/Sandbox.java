package org.buildswarm.drone.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.buildswarm.drone.SandboxOptions;

/**
 * What keeps a job's steps away from the drone that runs them (docs/security.md, "What a job sees").
 * Decided once, when the drone starts, by trying it: with bubblewrap each step gets its own PID and
 * IPC namespaces and a read-only view of the host in which the drone's work directory, secrets,
 * home, state and sockets are empty, and only the job's workspace, home, temporary directory and
 * caches are writable; where the drone runs as root the step also drops to an unprivileged user
 * (which takes every capability with it, so no mount can be undone). Without bubblewrap a root
 * drone can still run steps as that user, relying on file permissions alone.
 */
public final class Sandbox {
  private static final Logger LOG = Logger.getLogger(Sandbox.class.getName());
  private static final long PROBE_TIMEOUT_MS = 10_000;
  /** Sockets that hand out root to whoever can write to them. */
  private static final List<Path> PRIVILEGED_SOCKETS = List.of(Path.of("/run/docker.sock"),
      Path.of("/var/run/docker.sock"), Path.of("/run/containerd/containerd.sock"), Path.of("/run/podman/podman.sock"));
  /** Replaced by the job's own temporary directory, so whatever is under them is hidden already. */
  private static final List<Path> PRIVATE_TEMP = List.of(Path.of("/tmp"), Path.of("/var/tmp"));

  /** What is in effect. */
  public enum Kind { BUBBLEWRAP, USER, NONE }

  /** Where one job's things are on the drone's file system. */
  public record Layout(Path workspace, Path home, Path tmp, Path caches) {}

  private final Kind kind;
  private final String description;
  private final String bubblewrap;
  /** The job user's ids, or null when steps run as the drone's own user. */
  private final Integer uid;
  private final Integer gid;
  private final String userName;
  private final List<Path> hidden;
  private final List<Path> reexposed;

  private Sandbox(Kind kind, String description, String bubblewrap, Integer uid, Integer gid, String userName,
      List<Path> hidden, List<Path> reexposed) {
    this.kind = kind;
    this.description = description;
    this.bubblewrap = bubblewrap;
    this.uid = uid;
    this.gid = gid;
    this.userName = userName;
    this.hidden = hidden;
    this.reexposed = reexposed;
  }

  /** No sandbox: steps run as the drone and see what it sees (tests of the runner itself). */
  public static Sandbox none(String why) {
    return new Sandbox(Kind.NONE, "none: " + why, null, null, null, null, List.of(), List.of());
  }

  /**
   * Decides the sandbox by trying it. Blocking (starts processes).
   *
   * @param hide what jobs must not see: the work directory, the secrets directory and the caller's
   *     extras; the drone's home and privileged sockets are added here
   * @param toolPaths directories jobs need even when inside a hidden one (PATH entries, JAVA_HOME)
   * @throws IOException when bubblewrap was required and does not work, or the job user is unknown
   */
  public static Sandbox decide(SandboxOptions options, List<Path> hide, List<Path> toolPaths) throws IOException {
    if (options.mode() == SandboxOptions.Mode.NONE) {
      return none("turned off in the drone's settings; jobs can read everything the drone can");
    }
    boolean root = currentUid() == 0;
    String userName = options.jobUser() != null ? options.jobUser() : root ? SandboxOptions.DEFAULT_ROOT_JOB_USER : null;
    Integer uid = null;
    Integer gid = null;
    if (userName != null) {
      int[] ids = lookUpUser(userName);
      if (ids[0] != currentUid()) {
        if (!root) {
          throw new IOException("job user " + userName + " needs a drone running as root (this one runs as uid "
              + currentUid() + ")");
        }
        uid = ids[0];
        gid = ids[1];
      } else {
        userName = null;
      }
    }
    List<Path> hidden = hiddenPaths(hide);
    List<Path> reexposed = reexposed(toolPaths, hidden);
    String asWhom = uid == null ? "steps run as the drone's user" : "steps run as " + userName + " (uid " + uid + ")";
    Sandbox bubble = new Sandbox(Kind.BUBBLEWRAP, "bubblewrap: own PID namespace, the drone's state, secrets and other"
        + " jobs hidden; " + asWhom, options.bubblewrap(), uid, gid, userName, hidden, reexposed);
    String failure = null;
    if (options.mode() != SandboxOptions.Mode.USER) {
      failure = bubble.probe();
      if (failure == null) {
        return bubble;
      }
      if (options.mode() == SandboxOptions.Mode.BUBBLEWRAP) {
        throw new IOException("the sandbox is set to bubblewrap, which does not work here: " + failure);
      }
      LOG.warning("bubblewrap does not work here (" + failure + "); jobs are not sandboxed by it");
    }
    String noBubble = failure == null ? "bubblewrap turned off" : "bubblewrap does not work here (" + failure + ")";
    if (uid == null) {
      if (options.mode() == SandboxOptions.Mode.USER) {
        throw new IOException("the sandbox is set to user, which needs a drone running as root and a job user");
      }
      return none(noBubble + " and the drone does not run as root; jobs can read everything the drone can");
    }
    Sandbox user = new Sandbox(Kind.USER, "user: " + noBubble + "; " + asWhom + ", kept out of the drone's files by"
        + " their permissions only; jobs can see the host's processes and each other", null, uid, gid, userName,
        hidden, reexposed);
    String userFailure = user.probe();
    if (userFailure != null) {
      throw new IOException("steps cannot run as " + userName + ": " + userFailure);
    }
    return user;
  }

  public Kind kind() {
    return kind;
  }

  /** One line for the drone's status, the UI and every job log. */
  public String description() {
    return description;
  }

  /** The user steps run as, or null for the drone's own. */
  public String jobUser() {
    return userName;
  }

  /** The command that runs {@code command} (a step's shell) in the sandbox. */
  public List<String> wrap(List<String> command, Layout layout) {
    List<String> full = new ArrayList<>();
    if (kind == Kind.BUBBLEWRAP) {
      full.addAll(bubblewrapArguments(layout));
    }
    if (uid != null) {
      full.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--no-new-privs", "--"));
    }
    full.addAll(command);
    return full;
  }

  /** Where the step finds its home and temporary directory. */
  public Map<String, String> environment(Layout layout) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", layout.home().toString());
    env.put("TMPDIR", kind == Kind.BUBBLEWRAP ? "/tmp" : layout.tmp().toString());
    if (userName != null) {
      env.put("USER", userName);
      env.put("LOGNAME", userName);
    }
    return env;
  }

  /**
   * Makes the job's directories the job user's (after the drone filled them), and the way to them
   * passable, not listable, without bubblewrap. Blocking.
   */
  public void handOver(Layout layout, Path workDirectory) throws IOException {
    if (kind == Kind.BUBBLEWRAP) {
      mountPointsInTemp(layout);
      writePasswd(layout);
    }
    if (uid == null) {
      return;
    }
    for (Path dir : new Path[] {layout.workspace(), layout.home(), layout.tmp()}) {
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        chownTree(dir);
      }
    }
    if (kind == Kind.USER) {
      // The job user must pass through the drone's directories to reach its own, but not list them.
      for (Path dir = layout.workspace().getParent(); dir != null; dir = dir.getParent()) {
        addOthersExecute(dir);
      }
      if (layout.caches() != null) {
        for (Path dir = layout.caches().getParent(); dir != null && dir.startsWith(workDirectory); dir = dir.getParent()) {
          addOthersExecute(dir);
        }
      }
    }
  }

  /**
   * The host's /etc/passwd with the job user's home set to the job's own: what Java reports as
   * {@code user.home} (and so where Maven and Gradle keep their caches) comes from there, not from
   * {@code $HOME}. Shown to the steps in place of the host's.
   */
  private void writePasswd(Layout layout) throws IOException {
    int id = uid != null ? uid : currentUid();
    StringBuilder passwd = new StringBuilder();
    boolean found = false;
    for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
      String[] fields = line.split(":", -1);
      if (fields.length >= 7 && fields[2].equals(Integer.toString(id))) {
        fields[5] = layout.home().toString();
        line = String.join(":", fields);
        found = true;
      }
      passwd.append(line).append('\n');
    }
    if (!found) {
      passwd.append("job:x:").append(id).append(':').append(gid != null ? gid : id).append("::")
          .append(layout.home()).append(":/bin/sh\n");
    }
    Files.writeString(passwdFile(layout), passwd.toString(), StandardCharsets.UTF_8);
  }

  /** Beside the job's workspace; removed with its other directories. */
  static Path passwdFile(Layout layout) {
    return layout.tmp().resolveSibling(layout.workspace().getFileName() + ".passwd");
  }

  /**
   * The job's own /tmp replaces the host's, so its directories that live under /tmp are mounted on
   * directories inside it: made here, passable by the job user (bubblewrap would make them with the
   * drone's umask).
   */
  private static void mountPointsInTemp(Layout layout) throws IOException {
    for (Path dir : new Path[] {layout.workspace(), layout.home(), layout.caches()}) {
      for (Path temp : PRIVATE_TEMP) {
        if (dir == null || !dir.startsWith(temp)) {
          continue;
        }
        Path inside = layout.tmp();
        for (Path name : temp.relativize(dir)) {
          inside = inside.resolve(name.toString());
          if (!Files.isDirectory(inside, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(inside);
          }
          Files.setPosixFilePermissions(inside, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
      }
    }
  }

  /** Makes one file or directory (not what is in it) the job user's; a cache's, which outlives jobs. Blocking. */
  public void own(Path path) throws IOException {
    if (uid == null) {
      return;
    }
    var lookup = path.getFileSystem().getUserPrincipalLookupService();
    var view = Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS);
    view.setOwner(lookup.lookupPrincipalByName(Integer.toString(uid)));
    view.setGroup(lookup.lookupPrincipalByGroupName(Integer.toString(gid)));
  }

  private void chownTree(Path root) throws IOException {
    var lookup = root.getFileSystem().getUserPrincipalLookupService();
    var owner = lookup.lookupPrincipalByName(Integer.toString(uid));
    var group = lookup.lookupPrincipalByGroupName(Integer.toString(gid));
    try (var walk = Files.walk(root)) {
      for (Path path : (Iterable<Path>) walk::iterator) {
        var view = Files.getFileAttributeView(path, java.nio.file.attribute.PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(path)) {
          continue; // the job's cache links: their targets are handed over on their own
        }
        view.setOwner(owner);
        view.setGroup(group);
      }
    }
  }

  private static void addOthersExecute(Path dir) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(dir);
    if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
      Set<PosixFilePermission> passable = EnumSet.copyOf(permissions);
      passable.add(PosixFilePermission.OTHERS_EXECUTE);
      try {
        Files.setPosixFilePermissions(dir, passable);
      } catch (IOException e) {
        LOG.warning("cannot let job users pass through " + dir + ": " + e.getMessage());
      }
    }
  }

  private List<String> bubblewrapArguments(Layout layout) {
    List<String> args = new ArrayList<>(List.of(bubblewrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc",
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"));
    if (layout != null) {
      String tmp = layout.tmp().toString();
      args.addAll(List.of("--bind", tmp, "/tmp", "--bind", tmp, "/var/tmp"));
    } else {
      args.addAll(List.of("--tmpfs", "/tmp", "--tmpfs", "/var/tmp"));
    }
    for (Path path : hidden) {
      if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--tmpfs", path.toString()));
      } else if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--ro-bind", "/dev/null", path.toString()));
      }
    }
    if (layout != null && Files.isRegularFile(passwdFile(layout))) {
      args.addAll(List.of("--ro-bind", passwdFile(layout).toString(), "/etc/passwd"));
    }
    for (Path tool : reexposed) {
      args.addAll(List.of("--ro-bind", tool.toString(), tool.toString()));
    }
    if (layout != null) {
      for (Path writable : new Path[] {layout.workspace(), layout.home(), layout.caches()}) {
        if (writable != null) {
          args.addAll(List.of("--bind", writable.toString(), writable.toString()));
        }
      }
      args.addAll(List.of("--chdir", layout.workspace().toString()));
    }
    if (uid == null) {
      // Steps that change user lose every capability with their uid (setpriv); others keep none from the start.
      args.addAll(List.of("--cap-drop", "ALL"));
    }
    args.add("--");
    return args;
  }

  /** Runs {@code true} the way steps will run; null if it worked, else why not. */
  private String probe() {
    List<String> command = kind == Kind.BUBBLEWRAP ? new ArrayList<>(bubblewrapArguments(null)) : new ArrayList<>();
    if (uid != null) {
      command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--no-new-privs", "--"));
    }
    command.add("/bin/true");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!process.waitFor(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return command.get(0) + " did not finish within " + PROBE_TIMEOUT_MS / 1000 + " s";
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (process.exitValue() != 0) {
        return command.get(0) + " exited with " + process.exitValue() + (output.isEmpty() ? "" : ": " + firstLine(output));
      }
      return null;
    } catch (IOException e) {
      return "cannot start " + command.get(0) + " (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }

  /** The paths to hide, real and without those inside another (or inside the private temp dirs). */
  static List<Path> hiddenPaths(List<Path> hide) {
    List<Path> candidates = new ArrayList<>(hide);
    String home = System.getProperty("user.home");
    if (home != null && !home.isBlank()) {
      candidates.add(Path.of(home));
    }
    candidates.addAll(PRIVILEGED_SOCKETS);
    List<Path> real = new ArrayList<>();
    for (Path candidate : candidates) {
      Path path = candidate.toAbsolutePath().normalize();
      try {
        path = path.toRealPath();
      } catch (IOException e) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
          continue; // nothing there to see
        }
      }
      if (path.getParent() == null || PRIVATE_TEMP.stream().anyMatch(path::startsWith)) {
        continue; // never "/" itself; under /tmp it is hidden by the job's own /tmp
      }
      real.add(path);
    }
    real.sort(Comparator.comparingInt(Path::getNameCount));
    List<Path> kept = new ArrayList<>();
    for (Path path : real) {
      if (kept.stream().noneMatch(path::startsWith)) {
        kept.add(path);
      }
    }
    return List.copyOf(kept);
  }

  /** Tool directories inside a hidden one that hold nothing hidden themselves, to be shown read-only. */
  static List<Path> reexposed(List<Path> toolPaths, List<Path> hidden) {
    List<Path> shown = new ArrayList<>();
    for (Path tool : toolPaths) {
      Path path;
      try {
        path = tool.toAbsolutePath().normalize().toRealPath();
      } catch (IOException e) {
        continue;
      }
      boolean inside = hidden.stream().anyMatch(h -> path.startsWith(h) && !path.equals(h));
      boolean holdsHidden = hidden.stream().anyMatch(h -> h.startsWith(path));
      if (inside && !holdsHidden && Files.isDirectory(path) && !shown.contains(path)) {
        shown.add(path);
      }
    }
    return List.copyOf(shown);
  }

  /** The directories a step's tools live in: PATH's entries and JAVA_HOME. */
  public static List<Path> toolPaths(Map<String, String> env) {
    List<Path> paths = new ArrayList<>();
    String path = env.get("PATH");
    if (path != null) {
      for (String entry : path.split(":")) {
        if (entry.startsWith("/")) {
          paths.add(Path.of(entry));
        }
      }
    }
    String javaHome = env.get("JAVA_HOME");
    if (javaHome != null && javaHome.startsWith("/")) {
      paths.add(Path.of(javaHome));
    }
    return paths;
  }

  static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }

  /** uid and gid of a user name or number, from /etc/passwd. */
  static int[] lookUpUser(String user) throws IOException {
    for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
      String[] fields = line.split(":");
      if (fields.length >= 4 && (fields[0].equals(user) || fields[2].equals(user))) {
        return new int[] {Integer.parseInt(fields[2]), Integer.parseInt(fields[3])};
      }
    }
    if (user.matches("[0-9]+")) {
      int id = Integer.parseInt(user);
      return new int[] {id, id};
    }
    throw new IOException("there is no user " + user + " on this host (the sandbox's job user)");
  }
}
