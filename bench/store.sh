#!/bin/sh
# Store throughput, H2 beside PostgreSQL (needs Debian's postgresql package):  bench/store.sh
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests -pl bench -am install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java -Djava.util.logging.config.file=../deploy/src/main/dist/conf/logging.properties \
  -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.StoreBenchmark "$@"
