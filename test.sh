#!/bin/sh
# Installs what the test suite needs (Debian packages) and runs the whole suite:
#   ./test.sh
# Afterwards it checks that the suite left no process and no temporary file behind.
set -eu
cd "$(dirname "$0")"

# Debian packages the tests use: kill (procps) and setsid (util-linux) for process groups,
# PostgreSQL (the tests start their own throwaway servers as the postgres user), ip (network
# namespaces for partition tests), openssl (certificates for event-bus TLS tests), prometheus
# (a real scraper of /metrics), chromium with chromium-driver (the web UI test's browser), and
# openrc (a drone run as an OpenRC service by supervise-daemon; OpenRC need not be the init),
# bubblewrap (the job sandbox), git and make (real tools run inside the sandbox), and
# openssh-server and lighttpd (private Git repositories over ssh:// and HTTP with authentication;
# the tests start their own servers on loopback), gradle (a real client of the gateway's build
# cache), and npm when it is not here (the tests' npm packages, tests/package.json: axe-core, the
# accessibility checker they inject into each page, and turbo, the other build-cache client).
packages="procps util-linux postgresql iproute2 openssl prometheus chromium chromium-driver openrc bubblewrap git make openssh-server lighttpd gradle"
command -v npm >/dev/null 2>&1 || packages="$packages npm"
if command -v dpkg >/dev/null 2>&1; then
  missing=""
  for package in $packages; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
  done
  if [ -n "$missing" ]; then
    as_root=""
    [ "$(id -u)" -eq 0 ] || as_root="sudo"
    echo "installing:$missing"
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
  fi
fi

npm ci --prefix tests --no-audit --no-fund --loglevel=error

tmp=${TMPDIR:-/tmp}
temp_before=" $(ls -A "$tmp" | tr '\n' ' ') "
# Processes the tests start: swarm JVMs, Prometheus, the browser and its driver, sshd and lighttpd,
# Gradle and Turborepo.
started_by_tests='org[.]buildswarm|prometheus --config[.]file|chromedriver|/chromium|sshd -D -e -f|lighttpd -D -f|org[.]gradle|bin/turbo'
processes_before=" $(pgrep -f "$started_by_tests" | tr '\n' ' ') "

mvn -B -ntp verify

status=0
for pid in $(pgrep -f "$started_by_tests" || true); do
  case "$processes_before" in
    *" $pid "*) ;;
    *) echo "left running by the suite: $(ps -o args= -p "$pid" || true)" >&2; status=1 ;;
  esac
done
for entry in $(ls -A "$tmp"); do
  case "$temp_before" in
    *" $entry "*) ;;
    *) echo "left in $tmp by the suite: $entry" >&2; status=1 ;;
  esac
done
[ "$status" -eq 0 ] && echo "test.sh: all tests passed; nothing left behind"
exit "$status"
