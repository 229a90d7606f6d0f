#!/usr/bin/env bash
# Deconfliction benchmark: decision latency with 100,000 active allocations in one theater,
# in-process and as the same candidate probe against a GiST-indexed PostgreSQL table, for a
# uniform and a dense theater, and a coordinator's recovery time. See BENCHMARKS.md
# ("Deconfliction").
#
#   bench/deconfliction-benchmark.sh            # full run (about 10–15 minutes after the build)
#   bench/deconfliction-benchmark.sh -Dbench.allocations=10000 -Dbench.requests=2000 \
#       -Dbench.pg.requests=500 -Dbench.recovery.allocations=2000    # quick run
#
# Same build, classpath and JVM flags as bench/topic-benchmark.sh (BENCH_JVM_FLAGS, SKIP_INSTALL),
# with a 2 GiB heap (three theaters of 100,000 allocations and a 100,000-allocation snapshot).
set -euo pipefail
BENCH_MAIN=io.troupe.bench.DeconflictionBenchmark exec "$(dirname "$0")/topic-benchmark.sh" -Xms2g -Xmx2g "$@"
