#!/bin/sh
# 100 jobs of one commit on one drone, each checking it out from the drone's Git mirror at once:
# when the last could start, for each distribution named, with copied and hard-linked objects:
#   bench/mirror.sh [LABEL=DISTRIBUTION_HOME ...]      (default: this checkout's build)
# To compare with an older build: git worktree add ../old REV && (cd ../old && mvn -q -DskipTests package)
#   bench/mirror.sh before=../old/deploy/target/buildswarm after=deploy/target/buildswarm
# BENCH_JOBS (100) and BENCH_FILES (3000, about 100 lines each) size it.
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
[ $# -gt 0 ] || set -- "current=$PWD/deploy/target/buildswarm"
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.MirrorCheckoutBenchmark \
  "${BENCH_JOBS:-100}" "${BENCH_FILES:-3000}" "$@"
