#!/bin/sh
# A 500-package rebuild with jobs cached by their inputs, cold, after 5% of the packages changed, and
# unchanged, through swarm up:  bench/jobcache.sh [packages] [changed share] [core-seconds of a cold run]
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java ${BENCH_JAVA_OPTS:-} -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.JobCacheBenchmark \
  ../deploy/target/buildswarm "$@"
