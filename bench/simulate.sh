#!/bin/sh
# Policy vs FIFO on generated distribution rebuilds:  bench/simulate.sh [packages] [seeds]
set -eu
cd "$(dirname "$0")/.."
mvn -q -B -ntp -DskipTests -pl bench -am install
mvn -q -B -ntp -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cd bench
exec java -cp "target/classes:$(cat target/classpath.txt)" org.buildswarm.bench.SimulationComparison "$@"
