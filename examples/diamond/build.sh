#!/bin/sh
# A stand-in for a real build tool: does a little CPU work per core and says what it did.
set -eu
stage=$1 target=$2 weight=$3
echo "$stage $target: starting (weight $weight, ${BUILDSWARM_CORES:-1} core(s))"
i=0
while [ "$i" -lt "$weight" ]; do
  sha256sum src/* >/dev/null
  i=$((i + 1))
done
echo "$stage $target: done"
