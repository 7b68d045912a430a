#!/bin/sh
# A real DAG through the real cluster beside swarm simulate and ninja -j (Debian ninja-build):
#   bench/dag.sh [packages] [time scale] [seed] [fleets, e.g. 16,8,14,20 16,8]
set -eu
cd "$(dirname "$0")/.."
if ! command -v ninja >/dev/null 2>&1; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ninja-build
fi
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.DagBenchmark \
  ../deploy/target/buildswarm "$@"
