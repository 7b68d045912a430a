#!/bin/sh
# Installs buildswarm as systemd or OpenRC services. Run as root, from an unpacked release archive
# (buildswarm-VERSION/install.sh), from a checkout where the distribution is built (mvn package:
# deploy/target/buildswarm), or with --dist pointing at one:
#
#   install.sh [--dist DIR] [--roles drone,orchestrator,gateway] [--init systemd|openrc]
#              [--prefix /opt/buildswarm]
#
# Running it again upgrades: the distribution is replaced (the old one kept as PREFIX.previous) and
# the units or init scripts are updated, but settings files (and conf.d files) already there are
# never touched.
# The service name, user and directories can be changed so that a second installation (a test's)
# cannot collide with the real one.
set -eu
umask 022

usage() {
  cat <<'USAGE'
usage: install.sh [options]
  --dist DIR          the distribution (default: the release archive this script is in, or
                      deploy/target/buildswarm of this checkout)
  --roles LIST        comma separated: drone, orchestrator, gateway (default: drone)
  --init NAME         systemd or openrc (default: the one this host runs)
  --systemd-dir DIR   where units go (default: /etc/systemd/system)
  --prefix DIR        where the distribution goes (default: /opt/buildswarm)
  --name-suffix S     services are named build-ROLE-S instead of build-ROLE
  --user NAME         the system user (and group) the services run as (default: buildswarm)
  --state-dir DIR     its home; each role works in DIR/ROLE (default: /var/lib/buildswarm)
  --log-dir DIR       the services' logs (default: /var/log/buildswarm)
  --etc-dir DIR       settings files and the node's credentials (default: /etc/buildswarm)
  --java-home DIR     the Java the services run (default: java on the PATH)
USAGE
}

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/bin/swarm" ]; then
  # An unpacked release archive: the distribution is here, its service files in services/.
  dist=$here
  service_files=$here/services
else
  # A checkout's deploy/: the distribution is built into target/.
  dist=$here/target/buildswarm
  service_files=$here
fi
init=""
systemd_dir=/etc/systemd/system
roles=drone
prefix=/opt/buildswarm
suffix=""
user=buildswarm
state_dir=/var/lib/buildswarm
log_dir=/var/log/buildswarm
etc_dir=/etc/buildswarm
java_home=""
upgraded=""

while [ $# -gt 0 ]; do
  option=$1
  case "$option" in
    -h|--help) usage; exit 0 ;;
    --*=*) value=${option#*=}; option=${option%%=*}; shift ;;
    --*) [ $# -ge 2 ] || die "$option needs a value"; value=$2; shift 2 ;;
    *) usage >&2; exit 2 ;;
  esac
  case "$option" in
    --dist) dist=$value ;;
    --init) init=$value ;;
    --systemd-dir) systemd_dir=$value ;;
    --roles) roles=$value ;;
    --prefix) prefix=$value ;;
    --name-suffix) suffix=$value ;;
    --user) user=$value ;;
    --state-dir) state_dir=$value ;;
    --log-dir) log_dir=$value ;;
    --etc-dir) etc_dir=$value ;;
    --java-home) java_home=$value ;;
    *) usage >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run me as root (I create a user, /etc/init.d scripts and directories)"
# OpenRC reads /etc/conf.d/NAME-BEFORE-THE-DOT for a dotted service name: no dots, then.
case "$suffix" in *[!A-Za-z0-9_-]*) die "--name-suffix takes letters, digits, '_' and '-' only" ;; esac
case "$user" in ''|[!a-z_]*|*[!a-z0-9_-]*) die "--user: a lower-case user name, please" ;; esac
if [ -z "$init" ]; then
  if [ -d /run/systemd/system ]; then
    init=systemd
  elif command -v openrc-run >/dev/null 2>&1 || [ -x /sbin/openrc-run ]; then
    init=openrc
  else
    die "neither systemd nor OpenRC runs here: say which with --init systemd|openrc"
  fi
fi
case "$init" in systemd|openrc) ;; *) die "--init: systemd or openrc, not $init" ;; esac
for path in "$prefix" "$state_dir" "$log_dir" "$etc_dir" "$systemd_dir" ${java_home:+"$java_home"}; do
  case "$path" in
    /*) ;;
    *) die "$path: an absolute path, please" ;;
  esac
  # The paths are written into shell (conf.d) and YAML files: keep them plain.
  case "$path" in *[!A-Za-z0-9/._+-]*) die "$path: letters, digits and / . _ + - only, please" ;; esac
done
[ "$prefix" != / ] || die "--prefix / would replace the whole system"
roles=$(printf '%s' "$roles" | tr ',' ' ')
[ -n "$roles" ] || die "--roles: at least one of drone, orchestrator, gateway"
for role in $roles; do
  case "$role" in
    drone|orchestrator|gateway)
      [ -f "$service_files/openrc/build-$role" ] && [ -f "$service_files/systemd/build-$role.service" ] \
        || die "the service files of $role are missing from $service_files" ;;
    *) die "unknown role $role (drone, orchestrator or gateway)" ;;
  esac
done
[ -x "$dist/bin/swarm" ] || die "no distribution in $dist (build it: mvn -B package -pl deploy -am)"
dist=$(cd "$dist" && pwd)

# The service user: a system account without a login, whose home is the state directory.
if id -u "$user" >/dev/null 2>&1; then
  grep -q "^$user:" /etc/group \
    || die "user $user exists but group $user does not (the services run as $user:$user)"
  say "user $user exists"
elif command -v useradd >/dev/null 2>&1; then
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/sbin/nologin
  if grep -q "^$user:" /etc/group; then
    useradd --system --gid "$user" --home-dir "$state_dir" --shell "$nologin" "$user"
  else
    useradd --system --user-group --home-dir "$state_dir" --shell "$nologin" "$user"
  fi
  say "created system user and group $user"
else
  # Alpine (OpenRC's home) has BusyBox's adduser instead.
  grep -q "^$user:" /etc/group || addgroup -S "$user"
  adduser -S -D -H -h "$state_dir" -s /sbin/nologin -G "$user" "$user"
  say "created system user and group $user"
fi

# The distribution: copied next to the old one, then swapped in, so a failed copy never leaves a
# half-installed prefix; the old one stays as .previous to go back to.
rm -rf "$prefix.new"
mkdir -p "$prefix.new"
cp -R "$dist/." "$prefix.new/"
chown -R 0:0 "$prefix.new"
chmod -R u+rwX,go+rX,go-w "$prefix.new"
if [ -e "$prefix" ]; then
  rm -rf "$prefix.previous"
  mv "$prefix" "$prefix.previous"
  mv "$prefix.new" "$prefix"
  upgraded=yes
  say "installed $dist in $prefix (the one before is in $prefix.previous)"
else
  mv "$prefix.new" "$prefix"
  say "installed $dist in $prefix"
fi

# Settings (and the credentials) are readable by the services but not theirs to change; state and
# logs are theirs. supervise-daemon opens the log as the service user, so the log directory must
# be writable by it or the service dies before printing a word.
mkdir -p "$etc_dir" "$state_dir" "$log_dir"
chown "0:$user" "$etc_dir" && chmod 0750 "$etc_dir"
chown "$user:$user" "$state_dir" "$log_dir" && chmod 0750 "$state_dir" "$log_dir"
say "settings in $etc_dir, state in $state_dir, logs in $log_dir"

# An example settings file for each role, written only if there is none.
example() {
  role=$1
  case "$role" in
    drone) cat <<EOF
# buildswarm drone settings. Keys are the long options of \`swarm drone\` (see \`swarm drone --help\`
# and docs/cluster.md, "Settings"); BUILDSWARM_<KEY> variables override this file, and options in
# BUILDSWARM_ARGS (/etc/conf.d/$service) override both.
# Apply changes: $restart_command

# Required: the cluster ports (host:port) of the swarm's orchestrators and gateways.
#members: [100.101.1.1:5701, 100.101.1.1:5702]
cluster-name: buildswarm
# This drone's credentials (\`swarm credentials drone NAME\`); readable by the $user user only.
credentials: $etc_dir/drone.credentials

# This drone: a name unique in the swarm (default: the host name), the cores it offers to jobs
# (default: all) and the labels jobs can ask for (default: OS and architecture).
#name: build-01
#cores: 8
#labels: [linux, amd64]
# Workspaces, the log spool and Git mirrors.
work-dir: $state_dir/drone

# Its address in the swarm: auto (this host's Tailscale address), interface:NAME or an address.
# On a host that also runs an orchestrator or gateway, give it ports of its own.
#bind: auto
#cluster-port: 5701
#event-bus-port: 5710

# Seconds a stopped job gets between SIGTERM and SIGKILL; keep a failed job's workspace.
#kill-grace: 10
#keep-failed-workspaces: true
# The host guard (docs/operations.md, "The host guard"): floors that hold back work even from an
# idle drone (MiB), and pressures (% of time tasks waited) that hold back more work while it runs
# some; CPU and I/O count only pressure other work on the host causes. 0 turns a signal off.
#min-free-disk-mb: 1024
#min-free-memory-mb: 256
#max-memory-pressure: 30
#max-cpu-pressure: 60
#max-io-pressure: 60
#guard-hold: 30
# Log lines as JSON objects (for log shippers) instead of plain text.
#log-format: plain
EOF
    ;;
    orchestrator) cat <<EOF
# buildswarm orchestrator settings. Keys are the long options of \`swarm orchestrator\` (see
# docs/cluster.md, "Settings"). Apply changes: $restart_command

# Required: the cluster ports (host:port) of every orchestrator and gateway, this one's included.
#members: [100.101.1.1:5701, 100.101.1.1:5702]
cluster-name: buildswarm
#bind: auto
cluster-port: 5701
event-bus-port: 5711
# The control plane's credentials (\`swarm credentials init\`); readable by the $user user only.
credentials: $etc_dir/control.credentials
# Where the first admin API token is written (the service must be able to write there).
admin-token-file: $state_dir/orchestrator/admin.token
# The embedded store (one orchestrator only), or PostgreSQL (several orchestrators):
data: $state_dir/orchestrator/data
#store: postgresql://buildswarm:secret@127.0.0.1:5432/buildswarm
#heartbeat: 2
#lease: 10
#log-format: plain
EOF
    ;;
    gateway) cat <<EOF
# buildswarm gateway settings. Keys are the long options of \`swarm gateway\` (see docs/cluster.md,
# "Settings"). Apply changes: $restart_command

# Required: the cluster ports (host:port) of every orchestrator and gateway, this one's included.
#members: [100.101.1.1:5701, 100.101.1.1:5702]
cluster-name: buildswarm
#bind: auto
cluster-port: 5702
event-bus-port: 5712
# The web UI and API (default: the cluster address, port 7070).
#http-host: 0.0.0.0
#http-port: 7070
# Job logs, artifacts and the status snapshot.
# The control plane's credentials (\`swarm credentials init\`); readable by the $user user only.
credentials: $etc_dir/control.credentials
data: $state_dir/gateway/data
#log-format: plain
EOF
    ;;
  esac
}

# Replaces FILE with what comes on stdin at once (written beside it, then renamed), with MODE.
put() {
  cat > "$1.new"
  chmod "$2" "$1.new"
  mv "$1.new" "$1"
}

# OpenRC: the init script, and its conf.d file unless there is one.
install_openrc() {
  role=$1 service=$2
  mkdir -p /etc/init.d /etc/conf.d
  put "/etc/init.d/$service" 0755 < "$service_files/openrc/build-$role"
  say "installed /etc/init.d/$service"

  if [ -e "/etc/conf.d/$service" ]; then
    say "kept /etc/conf.d/$service (compare it with $service_files/openrc/conf.d/build-$role)"
  else
    sed -e "s|^BUILDSWARM_CONFIG=.*|BUILDSWARM_CONFIG=\"$etc_dir/$role.yml\"|" \
        -e "s|^BUILDSWARM_HOME=.*|BUILDSWARM_HOME=\"$prefix\"|" \
        -e "s|^BUILDSWARM_USER=.*|BUILDSWARM_USER=\"$user\"|" \
        -e "s|^BUILDSWARM_STATE_DIR=.*|BUILDSWARM_STATE_DIR=\"$state_dir/$role\"|" \
        -e "s|^BUILDSWARM_LOG_DIR=.*|BUILDSWARM_LOG_DIR=\"$log_dir\"|" \
        -e "s|^JAVA_HOME=.*|JAVA_HOME=\"$java_home\"|" \
        -e "s|/etc/conf.d/build-$role:|/etc/conf.d/$service:|" \
        -e "s|rc-service build-$role restart|rc-service $service restart|" \
        "$service_files/openrc/conf.d/build-$role" | put "/etc/conf.d/$service" 0644
    say "wrote /etc/conf.d/$service"
  fi
}

# systemd: the unit, with this installation's paths, user and name, and its environment file
# unless there is one. The journal keeps the logs.
install_unit() {
  role=$1 service=$2
  mkdir -p "$systemd_dir"
  # The name first: the paths put in after it may contain it.
  sed -e "s|build-$role|$service|g" \
      -e "s|/opt/buildswarm|$prefix|g" \
      -e "s|/var/lib/buildswarm|$state_dir|g" \
      -e "s|/etc/buildswarm/$role.env|$etc_dir/$service.env|g" \
      -e "s|/etc/buildswarm|$etc_dir|g" \
      -e "s|^User=.*|User=$user|" -e "s|^Group=.*|Group=$user|" \
      "$service_files/systemd/build-$role.service" | put "$systemd_dir/$service.service" 0644
  say "installed $systemd_dir/$service.service"

  if [ -e "$etc_dir/$service.env" ]; then
    say "kept $etc_dir/$service.env (compare it with $service_files/systemd/$role.env)"
  else
    sed -e "s|build-$role|$service|g" \
        -e "s|/etc/buildswarm/$role.env|$etc_dir/$service.env|" \
        -e "s|^#JAVA_HOME=.*|${java_home:+JAVA_HOME=$java_home}|" \
        "$service_files/systemd/$role.env" | put "$etc_dir/$service.env" 0640
    chown "0:$user" "$etc_dir/$service.env"
    say "wrote $etc_dir/$service.env"
  fi
}

services=""
for role in $roles; do
  service="build-$role${suffix:+-$suffix}"
  services="$services $service"
  mkdir -p "$state_dir/$role"
  chown "$user:$user" "$state_dir/$role" && chmod 0750 "$state_dir/$role"

  if [ "$init" = systemd ]; then
    restart_command="systemctl restart $service"
    install_unit "$role" "$service"
  else
    restart_command="rc-service $service restart"
    install_openrc "$role" "$service"
  fi

  if [ -e "$etc_dir/$role.yml" ]; then
    say "kept $etc_dir/$role.yml"
  else
    example "$role" | put "$etc_dir/$role.yml" 0640
    chown "0:$user" "$etc_dir/$role.yml"
    say "wrote an example $etc_dir/$role.yml"
  fi
done

first=${services# }
first=${first%% *}
cat <<EOF

Next steps:
  1. The node's credentials, readable by $user only (docs/security.md). Once, for a new swarm:
       swarm credentials init --out control.credentials      (keep it safe: it makes the others)
     an orchestrator's or gateway's: the control plane's file
       install -m 0400 -o $user control.credentials $etc_dir/control.credentials
     a drone's: its own, made for its name
       swarm credentials drone NAME --control control.credentials --out drone.credentials
       install -m 0400 -o $user drone.credentials $etc_dir/drone.credentials
  2. Fill in the settings (members at least):$(for role in $roles; do printf ' %s' "$etc_dir/$role.yml"; done)
  3. Start at boot, and now:
EOF
for service in $services; do
  if [ "$init" = systemd ]; then
    printf '       systemctl enable --now %s\n' "$service"
  else
    printf '       rc-update add %s default && rc-service %s start\n' "$service" "$service"
  fi
done
if [ "$init" = systemd ]; then
  # A unit installed where systemd looks is seen only after a reload.
  if [ "$systemd_dir" = /etc/systemd/system ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || say "systemctl daemon-reload failed: run it before starting the services"
  fi
  cat <<EOF
  4. Watch it: systemctl status $first; journalctl -fu $first
EOF
else
  cat <<EOF
  4. Watch it: rc-service $first status; tail -f $log_dir/$first.log
EOF
fi
if [ -n "$upgraded" ]; then
  if [ "$init" = systemd ]; then
    restart="systemctl restart NAME"
  else
    restart="rc-service NAME restart"
  fi
  cat <<EOF
Services already running go on with the old version until restarted ($restart).
To go back: mv $prefix $prefix.bad && mv $prefix.previous $prefix, then restart them.
EOF
fi
