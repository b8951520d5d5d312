// Benchmarks of the sweep engine, measured with real sockets, real processes and real
// HDF5 files (docs/architecture.md): each case runs several times and reports the median.
//
//   ttcg-engine-bench --ttcg PATH/TO/ttcg [--repeats N] [--case dispatch|scaling|hdf5|journal|datapath|overhead|paper|heterogeneous|cluster|dashboard]
//
// Cases and their targets (issue 4):
//   dispatch  empty work items through one coordinator (2 workers), tcp   >= 20,000 items/s
//   scaling   games/s of 2 worker processes over 1 (1 thread each,          >= 1.8x
//             Benchmarks/scaling.yaml)
//   hdf5      result rows (grid points, every column) written per second    >= 1,000,000 rows/s
//   journal   records/s and MB/s appended to the journal under each flush     (reported)
//             policy, read back, and CRC-32C GB/s (docs/journal.md)
//   datapath  `ttcg coordinator` as its own process with 2 workers: its      (issue 12)
//             peak RSS at 1e5, 1e6 and 1e7 games of a cheap market, and its
//             CPU per game on a 324,000-game grid and the paper grid
//   overhead  `ttcg run` of a one-game spec, median of 11                   <= 0.15 s
//   paper     `ttcg run jobs/paper.yaml` wall time on this machine          < 60 s
//   heterogeneous  Benchmarks/heterogeneous.yaml, 1 and 2 worker processes:  >= 1.8x, utilization
//             speed-up, utilization and tail (issue 13)                     >= 0.9, tail <= 2 items
//   cluster   `ttcg coordinator` serving 256 simulated workers: items/s     (reported)
//             and its CPU per item
//   dashboard `ttcg run --http` with 20 clients polling / and /api/fragment   >= 0.95
//             every second, over the same sweep without --http: the ratio
//             of throughputs (issue 16)
// Prints `name=value` lines that Benchmarks/run.sh turns into the summary table.

import Dispatch
import Engine
import Foundation
import Profiles
import ResultStore
import Sweep

var ttcgPath = ""
var repeats = 5
var only: String? = nil
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--ttcg": ttcgPath = args.next() ?? ""
    case "--repeats": repeats = Int(args.next() ?? "") ?? 5
    case "--case": only = args.next()
    default:
        FileHandle.standardError.write(Data("ttcg-engine-bench: unknown argument \(a)\n".utf8))
        exit(2)
    }
}
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func plan(_ yaml: String) throws -> (SweepPlan, [String]) {
    let spec = try SweepSpec.parse(yaml: yaml, source: "bench.yaml")
    let markets = try SweepPlan.resolveMarkets(spec)
    return (try SweepPlan(spec: spec, markets: markets), markets.map(MarketFile.renderJSON))
}

/// Empty items (no games played) through one coordinator and two workers over tcp loopback.
func dispatchRate(items: Int) throws -> Double {
    let (p, json) = try plan("""
        markets: [{market: gsm8k/chain-of-thought, models: [R1-D-Qwen-7B]}]
        axes: {beta: {logspace: [0, 6, \(items)]}}
        outputs: {chunk: 1}
        """)
    let coordinator = try Coordinator(plan: p, sink: MemorySink(), options: CoordinatorOptions(bind: "tcp://127.0.0.1:*"), marketsJSON: json)
    var w = WorkerOptions(connect: coordinator.endpoint)
    w.emptyItems = true
    w.threads = 1
    let options = w
    let done = DispatchSemaphore(value: 0)
    // Two workers (each with its own ZeroMQ context and tcp connection): one worker's I/O
    // thread, not the coordinator, is the limit with empty items on 2 cores.
    let workerCount = Int(ProcessInfo.processInfo.environment["BENCH_WORKERS"] ?? "2") ?? 2
    for _ in 0..<workerCount {
        Thread.detachNewThread {
            _ = try? Worker(options: options).run()
            done.signal()
        }
    }
    let t0 = now()
    let status = try coordinator.run()
    let seconds = now() - t0
    for _ in 0..<workerCount { done.wait() }
    precondition(status.itemsDone == items)
    return Double(items) / seconds
}

/// Runs the ttcg binary; returns wall seconds.
func timeTTCG(_ arguments: [String], ttcgPath: String) throws -> Double {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: ttcgPath)
    p.arguments = arguments
    p.currentDirectoryURL = root
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    let t0 = now()
    try p.run()
    p.waitUntilExit()
    let seconds = now() - t0
    guard p.terminationStatus == 0 else {
        FileHandle.standardError.write(Data("ttcg \(arguments) failed with \(p.terminationStatus)\n".utf8))
        exit(1)
    }
    return seconds
}

/// Result rows written per second by the real results layout (all columns, 9 providers).
func hdf5Rate(points: Int, block: Int, dir: URL) throws -> Double {
    let (p, _) = try plan("""
        markets: [gsm8k/best-of-n]
        axes: {beta: {logspace: [0, 6, \(points / 10)]}, seed: {range: [0, 10]}}
        outputs: {chunk: \(block)}
        """)
    // One played block reused for every item (writing, not playing, is measured).
    let sample = p.evaluate(p.items[0], threads: 0)
    let path = dir.appendingPathComponent("bench-\(UUID().uuidString).h5").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t0 = now()
    let writer = try ResultsWriter.create(path: path, plan: p, ttcgVersion: "bench", force: true)
    for item in p.items {
        var b = sample
        if item.count != b.count {
            b = ResultBlock(start: item.start, count: item.count, providers: sample.providers)
        } else {
            b.start = item.start
        }
        try writer.write(b)
    }
    try writer.finish(completed: true)
    return Double(p.pointCount) / (now() - t0)
}

/// Journal append rates for 256-point results of a 4-provider market, under each flush
/// policy (`count` records each; the file is removed after), then the read-back rate of the
/// unsynced file, and CRC-32C over 64 MiB: (name, records/s, MB/s) rows.
func journalRates(dir: URL) throws -> [(String, Double, Double)] {
    let (p, _) = try plan("""
        markets: [{market: gsm8k/best-of-n, models: [Qwen2.5-7B, Qwen2.5-3B, Llama-3-8B, Qwen2-7B]}]
        axes: {beta: {logspace: [0, 6, 256]}, seed: {range: [0, 16]}}
        outputs: {chunk: 256}
        """)
    let blocks = p.items.prefix(16).map { p.evaluate($0, threads: 0) }
    var rows: [(String, Double, Double)] = []
    for (name, policy, count) in [("never", JournalSync.never, 1000), ("standard", JournalSync.standard, 1000),
                                  ("every_record", JournalSync.everyRecord, 200)] {
        let path = dir.appendingPathComponent("rate-\(UUID().uuidString).journal").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = JournalHeader(specText: p.spec.text, specHash: p.spec.hash, profileHashes: ["bench"],
                                   ttcgVersion: "bench", itemCount: count)
        let w = try JournalWriter.create(path: path, header: header, sync: policy)
        let start = w.size
        let t0 = now()
        for i in 0..<count { try w.append(.result(item: i, block: blocks[i % blocks.count])) }
        try w.close()
        let seconds = now() - t0
        let megabytes = Double(w.size - start) / 1e6
        rows.append((name, Double(count) / seconds, megabytes / seconds))
        if policy == .never {
            var seen = 0
            let t1 = now()
            _ = try Journal.read(path: path) { _ in seen += 1 }
            let readSeconds = now() - t1
            guard seen == count else { throw BenchError("journal read back \(seen) of \(count) records") }
            rows.append(("read_back", Double(count) / readSeconds, megabytes / readSeconds))
        }
    }
    let data = [UInt8](repeating: 0x5A, count: 64 << 20)
    let t2 = now()
    let crc = CRC32C.checksum(data)
    // The checksum rides in the records column (so it is computed, not optimized away).
    rows.append(("crc32c", Double(crc), Double(data.count) / 1e6 / (now() - t2)))
    return rows
}

/// What a `ttcg coordinator` process cost: its peak resident memory and CPU time.
struct CoordinatorCost {
    var peakRSSBytes: Int
    var cpuSeconds: Double
    var wallSeconds: Double
}

/// 127.0.0.1:`port`.
func loopbackAddress(_ port: Int) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return addr
}

/// A loopback port below the kernel's ephemeral range, free now.
func benchPort() -> Int {
    while true {
        let port = Int.random(in: 10_000..<32_000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = loopbackAddress(port)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        close(fd)
        if ok { return port }
    }
}

/// Starts `ttcg ARGUMENTS` with posix_spawn, its output discarded; returns its pid.
func spawnTTCG(_ ttcgPath: String, _ arguments: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([ttcgPath] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, ttcgPath, &actions, nil, argv, environ)
    guard rc == 0 else { throw BenchError("cannot start \(ttcgPath): \(String(cString: strerror(rc)))") }
    return pid
}

/// Runs `ttcg coordinator SPEC --stats FILE` and two `ttcg worker --threads 1` processes;
/// returns the cost the coordinator reports of itself (its VmHWM and getrusage). Not
/// wait4's: its `ru_maxrss` carries over this process's peak, shared until exec.
func coordinatorCost(spec: String, dir: URL, ttcgPath: String) throws -> CoordinatorCost {
    let out = dir.appendingPathComponent("datapath-\(UUID().uuidString).h5").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let endpoint = "tcp://127.0.0.1:\(benchPort())"
    let t0 = now()
    let statsPath = out + ".stats.json"
    defer { try? FileManager.default.removeItem(atPath: statsPath) }
    let coordinator = try spawnTTCG(ttcgPath, ["coordinator", spec, "--out", out, "--bind", endpoint, "--linger", "0.2", "--force", "--stats", statsPath])
    let workers = try (0..<2).map { _ in try spawnTTCG(ttcgPath, ["worker", "--connect", endpoint, "--threads", "1"]) }
    var status: Int32 = 0
    while waitpid(coordinator, &status, 0) < 0 && errno == EINTR {}
    let wall = now() - t0
    for w in workers { var s: Int32 = 0; while waitpid(w, &s, 0) < 0 && errno == EINTR {} }
    guard status == 0 else { throw BenchError("ttcg coordinator \(spec) failed (wait status \(status))") }
    guard let data = FileManager.default.contents(atPath: statsPath),
          let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let peak = (stats["peak_rss_bytes"] as? NSNumber)?.intValue,
          let user = (stats["cpu_user_seconds"] as? NSNumber)?.doubleValue,
          let system = (stats["cpu_system_seconds"] as? NSNumber)?.doubleValue else {
        throw BenchError("ttcg coordinator \(spec) wrote no --stats file")
    }
    return CoordinatorCost(peakRSSBytes: peak, cpuSeconds: user + system, wallSeconds: wall)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-engine-bench-\(getpid())")
try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: tmp) }

if only == nil || only == "dispatch" {
    _ = try dispatchRate(items: 2_000)   // warm-up
    let rates = try (0..<repeats).map { _ in try dispatchRate(items: 20_000) }
    print("dispatch_items_per_second=\(Int(median(rates)))")
    print("dispatch_runs=\(rates.map { String(Int($0)) }.joined(separator: ","))")
}

if only == nil || only == "hdf5" {
    _ = try hdf5Rate(points: 20_000, block: 10_000, dir: tmp)
    for block in [1_000, 10_000] {
        let rates = try (0..<repeats).map { _ in try hdf5Rate(points: 200_000, block: block, dir: tmp) }
        print("hdf5_rows_per_second_block_\(block)=\(Int(median(rates)))")
    }
}

if only == nil || only == "journal" {
    // Medians over the repeats, per policy.
    var byName: [String: [(Double, Double)]] = [:]
    var order: [String] = []
    for _ in 0..<repeats {
        for (name, records, mb) in try journalRates(dir: tmp) {
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append((records, mb))
        }
    }
    for name in order {
        let runs = byName[name]!
        if name == "crc32c" {
            print("journal_crc32c_gigabytes_per_second=\(String(format: "%.2f", median(runs.map(\.1)) / 1e3))")
        } else {
            print("journal_\(name)_records_per_second=\(Int(median(runs.map(\.0))))")
            print("journal_\(name)_megabytes_per_second=\(Int(median(runs.map(\.1))))")
        }
    }
}

if only == nil || only == "datapath" {
    guard !ttcgPath.isEmpty else { print("datapath=skipped (no --ttcg)"); exit(1) }
    // A cheap market without trajectories (one provider: every game is a few µs), so the
    // coordinator's data path, not the games, is what grows: 1e5, 1e6 and 1e7 games.
    for (label, betas, seeds) in [("1e5", 1_000, 100), ("1e6", 1_000, 1_000), ("1e7", 10_000, 1_000)] {
        let spec = tmp.appendingPathComponent("datapath-\(label).yaml")
        try """
            name: datapath-\(label)
            markets: [{market: gsm8k/chain-of-thought, models: [R1-D-Qwen-7B]}]
            axes: {beta: {logspace: [0, 6, \(betas)]}, seed: {range: [0, \(seeds)]}}
            outputs: {chunk: 4096, all_equilibria: false}
            """.write(to: spec, atomically: true, encoding: .utf8)
        let cost = try coordinatorCost(spec: spec.path, dir: tmp, ttcgPath: ttcgPath)
        let games = Double(betas * seeds)
        print("datapath_peak_rss_mb_\(label)=\(String(format: "%.1f", Double(cost.peakRSSBytes) / 1e6))")
        print("datapath_cpu_us_per_game_\(label)=\(String(format: "%.2f", cost.cpuSeconds / games * 1e6))")
        print("datapath_wall_seconds_\(label)=\(String(format: "%.1f", cost.wallSeconds))")
    }
    // CPU per game on the nine catalog markets: 200 beta x 3 margins x 3 alpha x 20 seeds.
    let grid = tmp.appendingPathComponent("datapath-324k.yaml")
    try """
        name: datapath-324k
        markets: [gsm8k/majority, gsm8k/best-of-n, gsm8k/chain-of-thought, gpqa/majority, gpqa/best-of-n,
                  gpqa/chain-of-thought, aime/majority, aime/best-of-n, aime/chain-of-thought]
        axes:
          beta: [{logspace: [0, 6, 200]}]
          margin: [0.1, 0.25, 0.5]
          alpha: {per_dataset: {gsm8k: 0.008, gpqa: 0.02, aime: 0.05}, multipliers: [0.5, 1, 2]}
          seed: {range: [0, 20]}
        outputs: {chunk: 256}
        """.write(to: grid, atomically: true, encoding: .utf8)
    for (label, spec, games) in [("324k", grid.path, 324_000.0), ("paper", root.appendingPathComponent("jobs/paper.yaml").path, 42_120.0)] {
        let costs = try (0..<3).map { _ in try coordinatorCost(spec: spec, dir: tmp, ttcgPath: ttcgPath) }
        print("datapath_cpu_us_per_game_\(label)=\(String(format: "%.2f", median(costs.map(\.cpuSeconds)) / games * 1e6))")
        print("datapath_peak_rss_mb_\(label)=\(String(format: "%.1f", median(costs.map { Double($0.peakRSSBytes) }) / 1e6))")
    }
}

if only == nil || only == "overhead" {
    guard !ttcgPath.isEmpty else { print("overhead=skipped (no --ttcg)"); exit(1) }
    // The fixed cost of `ttcg run`: one game, so everything measured is start-up, files,
    // the worker process and the end.
    let spec = tmp.appendingPathComponent("one-game.yaml")
    try "name: one-game\nmarkets: [gsm8k/chain-of-thought]\naxes: {beta: [1000]}\n".write(to: spec, atomically: true, encoding: .utf8)
    let out = tmp.appendingPathComponent("one-game.h5").path
    // posix_spawn and waitpid, as a shell runs it (Foundation's Process adds about 30 ms).
    func spawnAndWait(_ arguments: [String]) throws -> Double {
        let t0 = now()
        let pid = try spawnTTCG(ttcgPath, arguments)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = now() - t0
        guard status == 0 else { throw BenchError("ttcg \(arguments) failed (wait status \(status))") }
        return seconds
    }
    let times = try (0..<11).map { _ in try spawnAndWait(["run", spec.path, "--out", out, "--force"]) }
    print("overhead_one_game_seconds=\(String(format: "%.3f", median(times)))")
}

if only == nil || only == "scaling" {
    guard !ttcgPath.isEmpty else { print("scaling=skipped (no --ttcg)"); exit(1) }
    let spec = "Benchmarks/scaling.yaml"
    var one: [Double] = [], two: [Double] = []
    for _ in 0..<max(3, repeats / 2) {
        let a = tmp.appendingPathComponent("one.h5").path, b = tmp.appendingPathComponent("two.h5").path
        one.append(try timeTTCG(["run", spec, "--workers", "1", "--threads", "1", "--out", a, "--force"], ttcgPath: ttcgPath))
        two.append(try timeTTCG(["run", spec, "--workers", "2", "--threads", "1", "--out", b, "--force"], ttcgPath: ttcgPath))
    }
    let games = 4800.0
    print("scaling_games_per_second_1_worker=\(Int(games / median(one)))")
    print("scaling_games_per_second_2_workers=\(Int(games / median(two)))")
    print("scaling_ratio=\(String(format: "%.2f", median(one) / median(two)))")
    // The paper grid (issue 12): cheap games, so the coordinator's share of the work and the
    // fixed start and end of `ttcg run` weigh; on a 2-core machine the coordinator and two
    // workers share the cores. Runs alternate, medians of 7: the whole run, and the sweep
    // itself (first item leased to last result stored, `--stats`).
    var paperOne: [[String: Double]] = [], paperTwo: [[String: Double]] = []
    for _ in 0..<7 {
        paperOne.append(try runStats("jobs/paper.yaml", workers: 1, dir: tmp, ttcgPath: ttcgPath))
        paperTwo.append(try runStats("jobs/paper.yaml", workers: 2, dir: tmp, ttcgPath: ttcgPath))
    }
    func med(_ runs: [[String: Double]], _ key: String) -> Double { median(runs.map { $0[key] ?? .nan }) }
    print("scaling_paper_seconds_1_worker=\(String(format: "%.3f", med(paperOne, "run_seconds")))")
    print("scaling_paper_seconds_2_workers=\(String(format: "%.3f", med(paperTwo, "run_seconds")))")
    print("scaling_paper_ratio=\(String(format: "%.2f", med(paperOne, "run_seconds") / med(paperTwo, "run_seconds")))")
    print("scaling_paper_sweep_ratio=\(String(format: "%.2f", med(paperOne, "sweep_seconds") / med(paperTwo, "sweep_seconds")))")
}

if only == nil || only == "heterogeneous" {
    guard !ttcgPath.isEmpty else { print("heterogeneous=skipped (no --ttcg)"); exit(1) }
    // Cheap and expensive items in one sweep (issue 13): 1 and 2 worker processes of one
    // thread, alternating, medians of 5. Utilization: the seconds the workers reported
    // playing over workers x the sweep's seconds. Tail: last queued item leased to the end,
    // over the longest item.
    var one: [[String: Double]] = [], two: [[String: Double]] = []
    for _ in 0..<5 {
        one.append(try runStats("Benchmarks/heterogeneous.yaml", workers: 1, dir: tmp, ttcgPath: ttcgPath))
        two.append(try runStats("Benchmarks/heterogeneous.yaml", workers: 2, dir: tmp, ttcgPath: ttcgPath))
    }
    func med(_ runs: [[String: Double]], _ f: ([String: Double]) -> Double) -> Double { median(runs.map(f)) }
    let utilization = med(two) { ($0["worker_busy_seconds"] ?? 0) / (2 * max($0["sweep_seconds"] ?? 1, 1e-9)) }
    let tail = med(two) { ($0["tail_seconds"] ?? 0) / max($0["longest_item_seconds"] ?? 1, 1e-9) }
    print("heterogeneous_seconds_1_worker=\(String(format: "%.3f", med(one) { $0["run_seconds"] ?? .nan }))")
    print("heterogeneous_seconds_2_workers=\(String(format: "%.3f", med(two) { $0["run_seconds"] ?? .nan }))")
    print("heterogeneous_ratio=\(String(format: "%.2f", med(one) { $0["run_seconds"] ?? .nan } / med(two) { $0["run_seconds"] ?? .nan }))")
    print("heterogeneous_sweep_ratio=\(String(format: "%.2f", med(one) { $0["sweep_seconds"] ?? .nan } / med(two) { $0["sweep_seconds"] ?? .nan }))")
    print("heterogeneous_utilization=\(String(format: "%.3f", utilization))")
    print("heterogeneous_tail_over_longest_item=\(String(format: "%.2f", tail))")
}

if only == nil || only == "cluster" {
    guard !ttcgPath.isEmpty else { print("cluster=skipped (no --ttcg)"); exit(1) }
    // A simulated cluster (issue 13): 256 workers that answer at once, 50,000 one-game items,
    // through `ttcg coordinator` and its results file; median of 3.
    let runs = try (0..<3).map { _ in try simulatedCluster(workers: 256, items: 50_000, dir: tmp, ttcgPath: ttcgPath) }
    print("cluster_256_items_per_second=\(Int(median(runs.map(\.itemsPerSecond))))")
    print("cluster_256_cpu_us_per_item=\(String(format: "%.1f", median(runs.map(\.cpuMicrosecondsPerItem))))")
}

if only == nil || only == "dashboard" {
    guard !ttcgPath.isEmpty else { print("dashboard=skipped (no --ttcg)"); exit(1) }
    // The dashboard under load (issue 16): Benchmarks/scaling.yaml (4,800 games) on 2 workers,
    // alternately without --http and with 20 clients polling the dashboard.
    // At least 9 pairs: the ratio is a median of pair ratios (single runs scatter widely).
    try dashboardUnderLoad(spec: "Benchmarks/scaling.yaml", games: 4_800, clients: 20, pairs: max(repeats, 9), dir: tmp, ttcgPath: ttcgPath)
}

if only == nil || only == "paper" {
    guard !ttcgPath.isEmpty else { print("paper=skipped (no --ttcg)"); exit(1) }
    let out = tmp.appendingPathComponent("paper.h5").path
    let times = try (0..<3).map { _ in try timeTTCG(["run", "jobs/paper.yaml", "--out", out, "--force"], ttcgPath: ttcgPath) }
    print("paper_run_seconds=\(String(format: "%.2f", median(times)))")
    print("paper_games_per_second=\(Int(42_120 / median(times)))")
}
