#!/bin/sh
# Trivial jobs through the real cluster with 2 and 4 drone processes, beside xargs -P:  bench/cluster.sh [drone counts]
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.ClusterBenchmark \
  ../deploy/target/buildswarm "${@:-2 4}"
