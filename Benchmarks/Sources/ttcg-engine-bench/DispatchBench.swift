// Dispatch at scale (issue 13): `ttcg run --stats` on a heterogeneous spec (utilization,
// tail, 1 -> 2 speed-up), and a simulated cluster: `ttcg coordinator` serving hundreds of
// workers that a load generator plays over the real protocol.

import Engine
import Foundation
import Sweep
import Wire

/// The numbers of a `--stats` file.
func readStats(_ path: String) throws -> [String: Double] {
    guard let data = FileManager.default.contents(atPath: path),
          let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw BenchError("\(path): no --stats file")
    }
    return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}

/// `ttcg run SPEC --workers N --threads 1 --stats` (and `extra` options): its stats
/// (run_seconds, sweep_seconds, worker_busy_seconds, tail_seconds, longest_item_seconds, the
/// coordinator's CPU).
func runStats(_ spec: String, workers: Int, dir: URL, ttcgPath: String, extra: [String] = []) throws -> [String: Double] {
    let out = dir.appendingPathComponent("run-\(UUID().uuidString).h5").path
    let stats = out + ".stats.json"
    defer {
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: stats)
    }
    _ = try timeTTCG(["run", spec, "--workers", String(workers), "--threads", "1", "--out", out, "--force", "--stats", stats] + extra,
                   ttcgPath: ttcgPath)
    return try readStats(stats)
}

/// A load generator: `count` workers on one thread, each its own DEALER socket speaking the
/// protocol, answering every item at once with an unplayed block (what `--empty-items`
/// workers send). It measures the coordinator, not the games.
func simulateWorkers(count: Int, endpoint: String, plan p: SweepPlan) throws {
    let context = try ZMQContext()
    let sockets = try (0..<count).map { k -> ZMQSocket in
        let s = try context.socket(.dealer)
        try s.set(.receiveHighWaterMark(100_000), .sendHighWaterMark(100_000))
        try s.connect(endpoint)
        _ = try s.send(Codec.encode(.hello(Hello(host: "sim-\(k)", pid: UInt32(k), threads: 1))))
        return s
    }
    var finished = [Bool](repeating: false, count: count)
    var lastBeat = now()
    while finished.contains(false) {
        let events = try ZMQSocket.poll(sockets.map { PollItem($0) }, timeout: .milliseconds(100))
        for (k, s) in sockets.enumerated() where events[k].contains(.readable) {
            while let frames = try s.receive(timeout: .zero) {
                guard let m = try? Codec.decode(frames) else { continue }
                switch m {
                case .welcome: _ = try s.send(Codec.encode(.ready(credit: 64)))
                case .item(let sweep, let id, let attempt):
                    let item = p.items[Int(id)]
                    let block = ResultBlock(start: item.start, count: item.count, providers: p.markets[item.market].market.providerCount)
                    _ = try s.send(Codec.encode(.result(sweep: sweep, id: id, attempt: attempt, seconds: 1e-4, block: block)))
                    _ = try s.send(Codec.encode(.ready(credit: 1)))
                case .done: finished[k] = true
                default: break
                }
            }
        }
        if now() - lastBeat > 0.5 {
            lastBeat = now()
            for (k, s) in sockets.enumerated() where !finished[k] { _ = try? s.send(Codec.encode(.heartbeat), dontWait: true) }
        }
    }
    for s in sockets { s.close() }
}

/// `ttcg coordinator` (its own process, writing the real results file) serving `workers`
/// simulated workers: items per second of the sweep and the coordinator's CPU per item.
func simulatedCluster(workers: Int, items: Int, dir: URL, ttcgPath: String) throws -> (itemsPerSecond: Double, cpuMicrosecondsPerItem: Double) {
    let yaml = """
        name: cluster-\(workers)
        markets: [{market: gsm8k/chain-of-thought, models: [R1-D-Qwen-7B]}]
        axes: {beta: {logspace: [0, 6, \(items)]}}
        outputs: {chunk: 1, all_equilibria: false}
        """
    let spec = dir.appendingPathComponent("cluster-\(workers).yaml")
    try yaml.write(to: spec, atomically: true, encoding: .utf8)
    let (p, _) = try plan(yaml)
    let out = dir.appendingPathComponent("cluster-\(UUID().uuidString).h5").path
    let statsPath = out + ".stats.json"
    defer {
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: statsPath)
    }
    let endpoint = "tcp://127.0.0.1:\(benchPort())"
    let coordinator = try spawnTTCG(ttcgPath, ["coordinator", spec.path, "--out", out, "--bind", endpoint, "--linger", "0.5",
                                               "--force", "--stats", statsPath])
    try simulateWorkers(count: workers, endpoint: endpoint, plan: p)
    var status: Int32 = 0
    while waitpid(coordinator, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw BenchError("ttcg coordinator for \(workers) simulated workers failed (wait status \(status))") }
    let stats = try readStats(statsPath)
    let sweep = stats["sweep_seconds"] ?? 0, cpu = (stats["cpu_user_seconds"] ?? 0) + (stats["cpu_system_seconds"] ?? 0)
    guard sweep > 0 else { throw BenchError("no sweep_seconds from the coordinator") }
    return (Double(items) / sweep, cpu / Double(items) * 1e6)
}
