#!/bin/sh
# Runs the libFuzzer targets built in Fuzz/.build (what `make fuzz` calls after building):
# each target for FUZZ_SECONDS on its committed corpus, Fuzz/corpus/<target>/, read-only;
# what it finds new goes to Fuzz/.build/fuzz-corpus/<target>/ (kept between runs, so
# longer campaigns build on earlier ones), crashing inputs to Fuzz/.build/crashes/<target>/,
# the log to Fuzz/.build/logs/<target>.log. Prints per target the executions and the final
# cov: (coverage points) and ft: (features) figures, and exits 1 if any target crashed,
# hung (an input above FUZZ_TIMEOUT seconds) or ran out of memory (above 2 GB).
#
#   FUZZ_SECONDS=60 FUZZ_TARGETS="specReader marketReader" FUZZ_FLAGS="-max_len=20000" sh Fuzz/run.sh
set -u

here="$(cd "$(dirname "$0")" && pwd)"
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-protocolDecoder journalReader specReader marketReader ingestionScanner}"
timeout="${FUZZ_TIMEOUT:-10}"
flags="${FUZZ_FLAGS:-}"
build="$here/.build"
bin="$build/release"

failed=""
summary=""
for t in $targets; do
    exe="$bin/fuzz-$t"
    if [ ! -x "$exe" ] || [ ! -d "$here/corpus/$t" ]; then
        echo "fuzz: no target '$t' (built: $(ls "$bin" 2>/dev/null | sed -n 's/^fuzz-\([A-Za-z]*\)$/\1/p' | tr '\n' ' '))" >&2
        exit 2
    fi
    work="$build/fuzz-corpus/$t"
    crashes="$build/crashes/$t"
    log="$build/logs/$t.log"
    mkdir -p "$work" "$crashes" "$build/logs"
    echo "== fuzz $t: $seconds s (log: $log)"
    # The Swift runtime's backtracer would take SIGILL (a Swift trap) before libFuzzer,
    # which then never writes the crashing input: leave the signals to libFuzzer.
    # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
    SWIFT_BACKTRACE=enable=no "$exe" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" $flags "$work" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
    if [ "$rc" -eq 0 ]; then
        status="ok"
    else
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        reason=$(grep -m 1 -E '^==[0-9]+== ERROR: libFuzzer|Fatal error|SUMMARY: libFuzzer' "$log" | sed 's/^==[0-9]*== //')
        status="FAILED (exit $rc): ${reason:-see the log}; input: ${artifact:-none written}"
        failed="$failed $t"
    fi
    line="$t: ${execs:-?} executions, cov: ${cov:-?} ft: ${ft:-?} corpus: ${corp:-?} -- $status"
    echo "$line"
    summary="$summary
$line"
done
echo "== fuzz summary ($seconds s per target)$summary"
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed. Reproduce: Fuzz/.build/release/fuzz-TARGET INPUT; minimize: add -minimize_crash=1 -runs=10000 (docs/fuzzing.md)" >&2
    exit 1
fi
