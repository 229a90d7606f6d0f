#!/usr/bin/env bash
# Session benchmark: sessions/s, step and end-to-end latency of a scripted agent with a no-op
# tool on one in-process node, vs. the raw JDBC insert limit of the same PostgreSQL. See
# BENCHMARKS.md ("Sessions").
#
#   bench/session-benchmark.sh                                      # full run (about 1 minute after the build)
#   bench/session-benchmark.sh -Dbench.seconds=5 -Dbench.warmup=3   # quick run
#
# Same build, classpath and JVM flags as bench/topic-benchmark.sh (BENCH_JVM_FLAGS, SKIP_INSTALL).
set -euo pipefail
BENCH_MAIN=io.troupe.bench.SessionBenchmark exec "$(dirname "$0")/topic-benchmark.sh" "$@"
