#!/bin/sh
# CPU per trivial job of swarm up for each JDK launch mechanism, beside xargs -P:
#   bench/spawn.sh [jobs] [mechanisms, e.g. POSIX_SPAWN,VFORK] [warm-up runs, default 1]
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.SpawnOverheadBenchmark \
  ../deploy/target/buildswarm "$@"
