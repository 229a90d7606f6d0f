#!/usr/bin/env bash
# Session recovery benchmark (issue 14): how long one 10,000-event session's entity takes to start
# again and answer a Get, from its latest snapshot and the events after it (troupe.sessions.snapshot-every,
# 1000 by default), and from its whole journal (snapshots off); what a new session's first start
# costs either way; and what the snapshots cost the running session (time, WAL). See BENCHMARKS.md
# ("Issue 14: session recovery with snapshots").
#
#   bench/session-recovery-benchmark.sh                           # full run (about 4 minutes after the build)
#   bench/session-recovery-benchmark.sh -Dbench.snapshot-every=200  # another interval
#   bench/session-recovery-benchmark.sh -Dbench.events=2001 -Dbench.warmup-events=501 -Dbench.repetitions=5  # quick run
#
# Same build, classpath and JVM flags as bench/topic-benchmark.sh (BENCH_JVM_FLAGS, SKIP_INSTALL).
set -euo pipefail
BENCH_MAIN=io.troupe.bench.SessionRecoveryBenchmark exec "$(dirname "$0")/topic-benchmark.sh" "$@"
