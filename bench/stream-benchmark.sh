#!/usr/bin/env bash
# Stream benchmark: 10,000 SSE streams on one node process (the packaged jar), the node's live heap
# per stream and its threads, and delivery latency at ~1,000 deliveries/s. See BENCHMARKS.md
# ("Streams").
#
#   bench/stream-benchmark.sh                                          # full run (about 2 minutes after the build)
#   bench/stream-benchmark.sh -Dbench.streams=1000 -Dbench.seconds=5   # quick run
#
# Same build, classpath and JVM flags as bench/topic-benchmark.sh (BENCH_JVM_FLAGS, SKIP_INSTALL).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_MAIN=io.troupe.bench.StreamBenchmark exec bench/topic-benchmark.sh -Dtroupe.jar="$PWD/http-api/target/troupe.jar" "$@"
