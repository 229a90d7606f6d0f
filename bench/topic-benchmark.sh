#!/usr/bin/env bash
# Broker benchmark: sharded publish rate vs. the raw JDBC insert limit of the same PostgreSQL,
# plus HTTP publish latency at a fixed rate. See BENCHMARKS.md.
#
#   bench/topic-benchmark.sh                    # full run (about 2 minutes after the build)
#   bench/topic-benchmark.sh -Dbench.seconds=5 -Dbench.warmup=3 -Dbench.http.seconds=5   # quick run
#
# Arguments go to the benchmark JVM (system properties such as -Dbench.topics=1000, or
# configuration overrides such as -Djdbc-journal.parallelism=2). BENCH_JVM_FLAGS replaces the
# JVM flags below; SKIP_INSTALL=1 skips `mvn install` (modules already installed in ~/.m2);
# SKIP_INSTALL=reactor packages this tree offline and runs its own module jars, leaving ~/.m2 alone.
# BENCH_MAIN names another benchmark main class of io.troupe.bench (bench/session-benchmark.sh).
# BENCH_COMPILE_ONLY=1 builds and compiles the benchmarks, then stops (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."

# One JVM holds the node, its load generator and the JDBC baseline.
# ForkJoinPool.common.parallelism: with 2 cores the common pool gets parallelism 1, and then
# every CompletableFuture *Async stage without an executor runs on a NEW THREAD (JDK's
# ThreadPerTaskExecutor). The CompletionStages Pekko's Java API returns (Scala's FutureConverters)
# run even plain thenApply/whenComplete that way, so without this flag each ask reply, and each
# HTTP publish, starts a thread.
JVM_FLAGS=${BENCH_JVM_FLAGS:-"-Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch -Djava.util.concurrent.ForkJoinPool.common.parallelism=2"}
JVM_FLAGS="$JVM_FLAGS -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener"

work=$(mktemp -d /tmp/troupe-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The runtime classpath of http-api, copied to a private directory below, and the benchmark
# compiled there with the few test helpers it uses: a build running in this tree at the same time
# (mvn clean, another install, a test that does not compile yet) cannot disturb the run.
# Tests are compiled (agents uses the runtime test jar) but not run; the benchmark compiles its own sources below.
classpath_args=(-Dexec.classpathScope=runtime -Dexec.executable=echo -Dexec.args="%classpath"
  -Dexec.outputFile="$work/classpath.txt")
if [[ "${SKIP_INSTALL:-0}" == "reactor" ]]; then
  # This tree's modules packaged in their target/ directories and used from there, offline:
  # nothing is written to ~/.m2, which other worktrees on the machine share.
  # Offline unless BENCH_MAVEN_OFFLINE is set empty (CI, on a machine that has not yet fetched
  # the exec plugin).
  mvn -B -q ${BENCH_MAVEN_OFFLINE--o} -Dstyle.color=never -pl http-api -am package \
    org.codehaus.mojo:exec-maven-plugin:exec -DskipTests "${classpath_args[@]}"
else
  if [[ "${SKIP_INSTALL:-0}" != "1" ]]; then
    mvn -B -q -Dstyle.color=never install -DskipTests
  fi
  mvn -B -q -Dstyle.color=never -pl http-api org.codehaus.mojo:exec-maven-plugin:exec "${classpath_args[@]}"
fi
classpath=""
i=0
IFS=: read -r -a entries < <(tr -d '\n' < "$work/classpath.txt"; echo) || true
for entry in "${entries[@]}"; do
  [[ -e "$entry" ]] || continue
  i=$((i + 1))
  dest="$work/cp/$i-$(basename "$entry")"
  mkdir -p "$work/cp"
  cp -r "$entry" "$dest"
  classpath="${classpath:+$classpath:}$dest"
done
mkdir -p "$work/classes"
# The test helpers the benchmarks use (RunningNode, TestNodes, ...) come from the source path, so
# javac finds whatever they need: a hand-kept list of files broke once when a helper gained one.
javac -nowarn -implicit:class -d "$work/classes" -cp "$classpath" \
  -sourcepath http-api/src/test/java:runtime/src/test/java:agents/src/test/java \
  http-api/src/test/java/io/troupe/bench/*.java
cp http-api/src/test/resources/logback-test.xml "$work/classes/"
# CI compiles the benchmarks this way (BENCH_COMPILE_ONLY=1) so they cannot rot unnoticed.
if [[ "${BENCH_COMPILE_ONLY:-0}" == "1" ]]; then
  echo "benchmarks compiled: $(find "$work/classes/io/troupe/bench" -name '*.class' | wc -l) classes"
  exit 0
fi

# shellcheck disable=SC2086 # JVM_FLAGS is a list of flags
java $JVM_FLAGS "$@" -classpath "$work/classes:$classpath" "${BENCH_MAIN:-io.troupe.bench.TopicBenchmark}"
