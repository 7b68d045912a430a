#!/bin/sh
# Trivial jobs on a quiet and on a busy host (a CPU hog beside them), swarm up and a 2-drone cluster,
# each distribution named measured side by side:
#   bench/hostguard.sh [LABEL=DISTRIBUTION_HOME ...]      (default: this checkout's build)
# To compare with an older build: git worktree add ../old REV && (cd ../old && mvn -q -DskipTests package)
#   bench/hostguard.sh before=../old/deploy/target/buildswarm after=deploy/target/buildswarm
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
[ $# -gt 0 ] || set -- "current=$PWD/deploy/target/buildswarm"
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.HostGuardBenchmark "$@"
