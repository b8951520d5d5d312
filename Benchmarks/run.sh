#!/usr/bin/env bash
# Builds the GameCore and ingestion benchmarks in release, runs them (ordo-one/benchmark),
# the Swift sanity/cross-check tool and the NumPy baseline, and prints a summary table with
# medians (and MB/s for ingestion).
#
#   bash Benchmarks/run.sh                 # everything (what `make bench` calls)
#   bash Benchmarks/run.sh --filter 'max welfare.*'   # only matching benchmarks (regex)
#   bash Benchmarks/run.sh --no-numpy      # skip the ~13 s NumPy baseline and the cross-check
#
# Exits 1 if a case misses its target or Swift and NumPy disagree. The NumPy baseline runs with
# $TTCG_PYTHON (make bench sets it to .venv's Python, which has numpy), else python3.
# Everything is built in Benchmarks/.build (never in the root package's .build).
# Raw outputs are kept in Benchmarks/.build/bench-results/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

filter=""
numpy=1
while [ $# -gt 0 ]; do
    case "$1" in
        --filter) filter="$2"; shift 2 ;;
        --no-numpy) numpy=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

results="$here/.build/bench-results"
mkdir -p "$results"
rm -f "$results"/*.txt "$results"/*.md

# SwiftPM caches the file list of the root package (a path dependency): drop that cache so
# files added to the root since the last bench are compiled too.
rm -f .build/release.yaml .build/release/description.json
echo "== load before: $(uptime)"
echo "== building (release)"
swift build -c release --product ttcg-bench-check 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
[ -x .build/release/ttcg-bench-check ] || { echo "run.sh: build failed" >&2; exit 1; }

echo "== sanity: markets (a), (b), (c)"
.build/release/ttcg-bench-check --all | tee "$results/check.txt"

echo "== benchmarks (ordo-one/benchmark, wall clock percentiles)"
bench_args=(benchmark --target GameCoreBenchmarks --target IngestionBenchmarks --format markdown --path stdout --no-progress)
[ -n "$filter" ] && bench_args+=(--filter "$filter")
swift package "${bench_args[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' | tee "$results/benchmarks.md"

echo "== sweep engine (real sockets, processes and HDF5 files; medians of repeated runs)"
( cd .. && swift build -c release --product ttcg 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true )
ttcg_bin="$(cd .. && swift build -c release --show-bin-path)/ttcg"
swift build -c release --product ttcg-engine-bench 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
.build/release/ttcg-engine-bench --ttcg "$ttcg_bin" | tee "$results/engine.txt"

echo "== make dist: the tarball and its binary's start-up (issue 15)"
( cd .. && make --no-print-directory dist 2>&1 | tail -n 1 )
tarball=$(ls -t ../dist/ttcg-*-linux-*.tar.gz 2>/dev/null | head -n 1)
if [ -n "$tarball" ]; then
    unpacked="$here/.build/dist-unpacked"
    rm -rf "$unpacked" && mkdir -p "$unpacked" && tar -xzf "$tarball" -C "$unpacked"
    python3 - "$tarball" "$unpacked"/ttcg-*/bin/ttcg <<'PY' | tee "$results/dist.txt"
import os, statistics, subprocess, sys, time
tarball, binary = sys.argv[1], sys.argv[2]
for _ in range(3):
    subprocess.run([binary, "--version"], stdout=subprocess.DEVNULL, check=True)
times = []
for _ in range(21):
    t = time.perf_counter()
    subprocess.run([binary, "--version"], stdout=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t)
print(f"dist_tarball_mb={os.path.getsize(tarball) / 1e6:.1f}")
print(f"dist_version_seconds={statistics.median(times):.4f}")
PY
fi

if [ "$numpy" = 1 ]; then
    echo "== NumPy baseline (every profile of market (a))"
    "${TTCG_PYTHON:-python3}" numpy_baseline.py --ttcg "$ttcg_bin" | tee "$results/numpy.txt"
fi
echo "== load after: $(uptime)"

python3 - "$results" <<'PY'
import os, re, sys

results = sys.argv[1]
md = open(os.path.join(results, "benchmarks.md"), encoding="utf-8").read()

UNITS = {"ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}

def human(sec):
    if sec < 1e-3: return f"{sec * 1e6:.2f} µs"
    if sec < 1: return f"{sec * 1e3:.2f} ms"
    return f"{sec:.3f} s"

# name -> (p25, p50, p75, p0, samples) in seconds, from the markdown tables.
cases = {}
# name -> median MB/s, for the cases that report throughput (ingestion).
mbps = {}
name = None
for line in md.splitlines():
    if line.startswith("### "):
        name = line[4:].strip()
    t = re.match(r"\|\s*MB/s\s*\*?\s*\|(.*)", line)
    if name and t:
        cols = [c.strip().replace(",", "") for c in t.group(1).split("|") if c.strip()]
        mbps[name] = float(cols[2])   # p0, p25, p50, ...
    m = re.match(r"\|\s*Time \(wall clock\) \((\S+)\)\s*\*?\s*\|(.*)", line)
    if name and m:
        scale = UNITS[m.group(1)]
        cols = [c.strip().replace(",", "") for c in m.group(2).split("|") if c.strip()]
        p0, p25, p50, p75 = (float(c) * scale for c in cols[:4])
        cases[name] = (p25, p50, p75, p0, int(cols[-1]))

# (case, target in seconds or None for information only)
table = [
    ("complete game 9x6 beta=1000", 50e-6),
    ("dynamics only 9x6", None),
    ("max welfare only 9x6", None),
    ("max welfare 1000x64 beta=1000", 100e-3),
    ("all equilibria 9x7 beta=1000, 2 threads", 2.0),
    ("all equilibria 9x7 beta=1000, 1 thread", None),
    ("all equilibria 9x6 GSM8K beta=1000, 2 threads", None),
]
# Throughput cases: (case, minimum median MB/s or None); the median column shows MB/s too.
throughput = [
    ("ingest 64 MB JSONL majority, read", 50.0),
    ("ingest 64 MB JSONL majority, read + 6 levels x 50 draws", None),
]
failed = False
rows = [("case", "median", "p25", "p75", "min", "n", "target", "result")]
for case, target in table:
    if case not in cases:
        rows.append((case, "-", "-", "-", "-", "-", human(target) if target else "-", "not run"))
        continue
    p25, p50, p75, p0, n = cases[case]
    if target is None:
        verdict = "info"
    elif p50 < target:
        verdict = f"PASS ({target / p50:.0f}x margin)"
    else:
        verdict, failed = "FAIL", True
    rows.append((case, human(p50), human(p25), human(p75), human(p0), str(n),
                 "< " + human(target) if target else "-", verdict))
for case, target in throughput:
    if case not in cases or case not in mbps:
        rows.append((case, "-", "-", "-", "-", "-", f">= {target:.0f} MB/s" if target else "-", "not run"))
        continue
    p25, p50, p75, p0, n = cases[case]
    rate = mbps[case]
    if target is None:
        verdict = "info"
    elif rate >= target:
        verdict = f"PASS ({rate / target:.0f}x margin)"
    else:
        verdict, failed = "FAIL", True
    rows.append((case, f"{human(p50)} = {rate:.0f} MB/s", human(p25), human(p75), human(p0), str(n),
                 f">= {target:.0f} MB/s (1 core)" if target else "-", verdict))

def kv0(path):
    out = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = v
    return out
engine = kv0(os.path.join(results, "engine.txt"))
engine.update(kv0(os.path.join(results, "dist.txt")))
# (label, key, target, higher is better, unit)
for label, key, target, unit in [
    ("dispatch: empty items over tcp loopback, 1 coordinator, 2 workers", "dispatch_items_per_second", 20000, "items/s"),
    ("HDF5 results: rows (grid points) written, blocks of 10,000", "hdf5_rows_per_second_block_10000", 1_000_000, "rows/s"),
    ("HDF5 results: rows written, blocks of 1,000", "hdf5_rows_per_second_block_1000", None, "rows/s"),
    ("games/s, 1 worker process x 1 thread (scaling.yaml)", "scaling_games_per_second_1_worker", None, "games/s"),
    ("games/s, 2 worker processes x 1 thread (scaling.yaml)", "scaling_games_per_second_2_workers", None, "games/s"),
    ("speed-up 1 -> 2 worker processes", "scaling_ratio", 1.8, "x"),
    ("speed-up 1 -> 2 worker processes, paper grid (ttcg run, median of 7)", "scaling_paper_ratio", 1.8, "x"),
    ("the same, the sweep alone (first item leased to last result, --stats)", "scaling_paper_sweep_ratio", None, "x"),
    ("speed-up 1 -> 2 worker processes, heterogeneous.yaml (ttcg run, median of 5)", "heterogeneous_ratio", 1.8, "x"),
    ("the same, the sweep alone", "heterogeneous_sweep_ratio", None, "x"),
    ("utilization, 2 workers: busy seconds / (2 x sweep seconds), heterogeneous.yaml", "heterogeneous_utilization", 0.9, "x"),
    ("simulated cluster: 256 workers, 50,000 one-game items through ttcg coordinator", "cluster_256_items_per_second", None, "items/s"),
    ("dashboard: games/s of scaling.yaml, 2 workers, without --http", "dashboard_games_per_second_without", None, "games/s"),
    ("dashboard: the same with --http and 20 clients polling / and /api/fragment every second", "dashboard_games_per_second_with_clients", None, "games/s"),
    ("dashboard: throughput with the 20 clients over without --http (issue 16)", "dashboard_throughput_ratio", 0.95, "x"),
    ("dashboard: requests answered per second", "dashboard_requests_per_second", None, "requests/s"),
    ("journal: 256-point results appended, never flushed", "journal_never_records_per_second", None, "records/s"),
    ("journal: appended, flushed every second (default)", "journal_standard_records_per_second", None, "records/s"),
    ("journal: appended, flushed after every record", "journal_every_record_records_per_second", None, "records/s"),
    ("journal: read back", "journal_read_back_records_per_second", None, "records/s"),
]:
    if key not in engine:
        rows.append((label, "-", "-", "-", "-", "-", f">= {target:,} {unit}" if target else "-", "not run"))
        continue
    v = float(engine[key])
    shown = f"{v:,.2f} {unit}" if unit == "x" else f"{v:,.0f} {unit}"
    mb_key = key.replace("_records_per_second", "_megabytes_per_second")
    if mb_key != key and mb_key in engine:
        shown += f" ({float(engine[mb_key]):,.0f} MB/s)"
    if target is None:
        verdict = "info"
    elif v >= target:
        verdict = f"PASS ({v / target:.1f}x margin)"
    else:
        verdict, failed = "FAIL", True
    rows.append((label, shown, "-", "-", "-", "7" if key.startswith("scaling_paper") else "3" if key.startswith("cluster") else "9" if key.startswith("dashboard") else "5",
                 f">= {target:,} {unit}" if target else "-", verdict))
# The coordinator's data path (issue 12): (label, key, target, "max" or "min", unit)
datapath = [
    ("coordinator peak RSS, 1e5 games (1 provider, no trajectories)", "datapath_peak_rss_mb_1e5", None, "max", "MB"),
    ("coordinator peak RSS, 1e6 games", "datapath_peak_rss_mb_1e6", None, "max", "MB"),
    ("coordinator peak RSS, 1e7 games", "datapath_peak_rss_mb_1e7", 150, "max", "MB"),
    ("coordinator CPU per game, 1e7 games", "datapath_cpu_us_per_game_1e7", None, "max", "µs"),
    ("coordinator CPU per game, 324,000 games (9 markets)", "datapath_cpu_us_per_game_324k", 2.0, "max", "µs"),
    ("coordinator CPU per game, paper grid (42,120 games)", "datapath_cpu_us_per_game_paper", None, "max", "µs"),
    ("ttcg run, one-game spec (fixed overhead)", "overhead_one_game_seconds", 0.15, "max", "s"),
    ("tail (last queued item leased to the end) over the longest item, heterogeneous.yaml", "heterogeneous_tail_over_longest_item", 2.0, "max", "x"),
    ("coordinator CPU per item, 256 simulated workers (one-game items)", "cluster_256_cpu_us_per_item", None, "max", "µs"),
    ("make dist: the tarball, compressed", "dist_tarball_mb", None, "max", "MB"),
    ("make dist: `ttcg --version` of the unpacked binary, wall (median of 21)", "dist_version_seconds", 0.05, "max", "s"),
]
for label, key, target, sense, unit in datapath:
    if key not in engine:
        rows.append((label, "-", "-", "-", "-", "-", f"<= {target} {unit}" if target else "-", "not run"))
        continue
    v = float(engine[key])
    if target is None:
        verdict = "info"
    elif v <= target:
        verdict = f"PASS ({target / v:.1f}x margin)"
    else:
        verdict, failed = "FAIL", True
    rows.append((label, f"{v:,.2f} {unit}", "-", "-", "-", "21" if key == "dist_version_seconds" else "1" if "rss" in key or "1e7" in key or key == "dist_tarball_mb" else "5" if key.startswith("heterogeneous") else "3", f"<= {target} {unit}" if target else "-", verdict))
if "datapath_peak_rss_mb_1e5" in engine and "datapath_peak_rss_mb_1e7" in engine:
    ratio = float(engine["datapath_peak_rss_mb_1e7"]) / float(engine["datapath_peak_rss_mb_1e5"])
    ok = ratio <= 1.2
    failed |= not ok
    rows.append(("coordinator peak RSS, 1e7 over 1e5 games", f"{ratio:.2f}x", "-", "-", "-", "1", "<= 1.2x",
                 f"PASS" if ok else "FAIL"))
if "dashboard_requests_failed" in engine:
    bad = int(engine["dashboard_requests_failed"])
    failed |= bad > 0
    rows.append(("dashboard: requests that got no whole 200 answer", str(bad), "-", "-", "-", "5", "0", "PASS" if bad == 0 else "FAIL"))
if "journal_crc32c_gigabytes_per_second" in engine:
    rows.append(("journal: CRC-32C over 64 MiB", f"{float(engine['journal_crc32c_gigabytes_per_second']):.2f} GB/s",
                 "-", "-", "-", "5", "-", "info"))
if "paper_run_seconds" in engine:
    t = float(engine["paper_run_seconds"])
    ok = t < 60
    failed |= not ok
    rows.append(("make run: ttcg run jobs/paper.yaml (42,120 games)", f"{t:.2f} s", "-", "-", "-", "3", "< 60 s",
                 f"PASS ({60 / t:.0f}x margin)" if ok else "FAIL"))

numpy_path = os.path.join(results, "numpy.txt")
def kv(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        if "=" in line and not line.startswith("#"):
            k, v = line.strip().split("=", 1)
            out[k] = v.split()[0]
    return out
check = kv(os.path.join(results, "check.txt"))
if os.path.exists(numpy_path):
    npy = kv(numpy_path)
    secs = float(npy["numpy_seconds"])
    rows.append(("NumPy: every profile 9x6 GSM8K (1 run)", human(secs), "-", "-", "-", "1", "-", "reference"))

widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
print()
print("== summary (wall clock; machine: %d cores)" % os.cpu_count())
for j, r in enumerate(rows):
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if j == 0:
        print("  ".join("-" * w for w in widths))

print()
print(f"market (a): dynamics end {check.get('solve_levels')} "
      f"PoA {float(check['solve_poa']):.4f} (paper: 1.19), auction winner {check.get('solve_auction_winner')}")
if os.path.exists(numpy_path):
    sw, nw = float(check["max_welfare"]), float(npy["max_welfare"])
    rel = abs(sw - nw) / abs(nw)
    same_count = check["equilibria"] == npy["equilibria"]
    ok = rel <= 1e-9 and same_count
    print(f"cross-check (a) Swift vs NumPy: max welfare {sw:.12g} vs {nw:.12g} (rel. diff {rel:.1e}), "
          f"equilibria {check['equilibria']} vs {npy['equilibria']}: {'AGREE' if ok else 'DISAGREE'}")
    if "all equilibria 9x6 GSM8K beta=1000, 2 threads" in cases:
        sp = cases["all equilibria 9x6 GSM8K beta=1000, 2 threads"][1]
        print(f"same enumeration: Swift {human(sp)} (2 threads) vs NumPy {human(secs)}: {secs / sp:.0f}x")
    failed |= not ok
sys.exit(1 if failed else 0)
PY
