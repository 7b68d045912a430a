#!/bin/sh
# Job sets against the same jobs submitted as a pipeline (JMH), pinned to one core:  bench/jobset.sh [JMH options]
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests -pl bench -am install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec taskset -c 0 java -cp "target/classes:$(cat target/classpath.txt)" org.openjdk.jmh.Main JobSetBenchmark "$@"
