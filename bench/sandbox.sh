#!/bin/sh
# Trivial jobs through the real cluster (2 drones of 2 cores) with the job sandbox and without, each
# beside xargs -P spawning the same step the same way (with bwrap + setpriv, and bare):  bench/sandbox.sh
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
run() {
  java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.ClusterBenchmark \
    ../deploy/target/buildswarm 2
}
# What the drone runs per step (drone-agent impl.Sandbox), for the floor: PID/IPC namespaces, the
# host read-only, /tmp replaced, the work directory hidden, as nobody when root.
as_job_user=""
[ "$(id -u)" = 0 ] && as_job_user="setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --"
cap_drop="--cap-drop ALL"
[ "$(id -u)" = 0 ] && cap_drop=""
bwrap_prefix="bwrap --die-with-parent --unshare-pid --unshare-ipc --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp \
  --tmpfs /var/tmp --tmpfs $HOME $cap_drop -- $as_job_user"
echo "== without the sandbox (--sandbox none)"
BENCH_DRONE_ARGS="--sandbox none" BENCH_FLOOR_PREFIX="" run
echo "== with the sandbox (default: bubblewrap)"
BENCH_DRONE_ARGS="--sandbox bubblewrap" BENCH_FLOOR_PREFIX="$bwrap_prefix" run
