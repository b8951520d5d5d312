// The sweep engine end to end, with real processes, real ZeroMQ sockets over tcp loopback
// and real HDF5 files: results are identical whatever the workers, a killed worker's items
// are redone, a late worker takes work, status only goes up, bad input exits 2.

import Foundation
import ResultStore
import Sweep
import XCTest

/// A `ttcg` process running in the background, its output in files.
final class Background {
    let process = Process()
    let dir: URL
    /// `ttcg ARGUMENTS`, in network namespace `netns` if given (`ip netns exec`, which execs
    /// ttcg in the same process).
    /// With `openFiles`, the process starts under that limit on open files (prlimit).
    init(_ arguments: [String], netns: String? = nil, openFiles: Int? = nil) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir.appendingPathComponent("out").path, contents: nil)
        FileManager.default.createFile(atPath: dir.appendingPathComponent("err").path, contents: nil)
        if let netns {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", netns, try ttcgBinary().path] + arguments
        } else if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(openFiles):\(openFiles)", try ttcgBinary().path] + arguments
        } else {
            process.executableURL = try ttcgBinary()
            process.arguments = arguments
        }
        process.currentDirectoryURL = packageRoot
        process.standardOutput = try FileHandle(forWritingTo: dir.appendingPathComponent("out"))
        process.standardError = try FileHandle(forWritingTo: dir.appendingPathComponent("err"))
        try process.run()
    }
    var stderr: String { (try? String(contentsOf: dir.appendingPathComponent("err"), encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: dir.appendingPathComponent("out"), encoding: .utf8)) ?? "" }

    /// Waits for the exit; kills and fails after `seconds`.
    @discardableResult
    func wait(seconds: Double = 120, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("ttcg \(process.arguments ?? []) did not finish in \(seconds) s; stderr: \(stderr)", file: file, line: line)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A TCP port on loopback for a process that the test starts next (and may restart on the
/// same port, as the resume tests do).
///
/// Not the kernel's "bind to 0": that port comes from the ephemeral range, which every
/// outgoing connection on the machine draws from too, so between our release and the
/// coordinator's bind another test's or process's connection may take it. Ports below the
/// ephemeral range are never handed out by the kernel; a random one is checked free here.
func freePort() -> Int {
    var rng = SystemRandomNumberGenerator()
    let ephemeralLow = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
    let range = 10_000..<max(ephemeralLow, 10_001)
    for _ in 0..<1_000 {
        let port = Int.random(in: range, using: &rng)
        if portIsFree(port) { return port }
    }
    XCTFail("no free port below \(ephemeralLow) in 1,000 tries")
    return 0
}

/// True if `port` on 127.0.0.1 can be bound now (with SO_REUSEADDR, as libzmq binds).
func portIsFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    let len = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0
}

/// Waits until something listens on `port` (a coordinator has bound it); false after
/// `seconds`, a bound that only guards against a hang.
func waitForListener(_ port: Int, seconds: Double = 60) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        close(fd)
        if rc == 0 { return true }
        usleep(20_000)
    }
    return false
}

func scratch() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Where two arrays differ, in one short line (never the arrays themselves).
func difference<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    guard a.count == b.count else { return "\(a.count) values vs \(b.count)" }
    let bad = a.indices.filter { a[$0] != b[$0] }
    guard let first = bad.first else { return nil }
    return "\(bad.count) of \(a.count) values differ, first at \(first): \(a[first]) vs \(b[first])"
}

/// Every dataset of two results files equal, bit for bit (NaN included).
func assertSameResults(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let x = try ResultsReader(path: a), y = try ResultsReader(path: b)
    XCTAssertEqual(x.markets, y.markets, file: file, line: line)
    XCTAssertEqual(x.specHash, y.specHash, file: file, line: line)
    XCTAssertTrue(x.completed, "\(a) is not completed", file: file, line: line)
    XCTAssertTrue(y.completed, "\(b) is not completed", file: file, line: line)
    for m in x.markets.indices {
        for c in ResultSchema.columns {
            let diff: String?
            switch c.kind {
            case .float64: diff = difference(try x.doubles(c.name, market: m).map(\.bitPattern), try y.doubles(c.name, market: m).map(\.bitPattern))
            case .int32: diff = difference(try x.ints(c.name, market: m), try y.ints(c.name, market: m))
            case .int64: diff = difference(try x.longs(c.name, market: m), try y.longs(c.name, market: m))
            case .uint8: diff = difference(try x.bytes(c.name, market: m), try y.bytes(c.name, market: m))
            }
            if let diff { XCTFail("\(x.markets[m].name) \(c.name): \(diff)", file: file, line: line) }
        }
        XCTAssertTrue(try x.errors(market: m).isEmpty, file: file, line: line)
        if let diff = difference(try x.trajectoryDigest(market: m), try y.trajectoryDigest(market: m)) {
            XCTFail("\(x.markets[m].name) trajectories: \(diff)", file: file, line: line)
        }
        XCTAssertEqual(Set(try x.bytes("status", market: m)), [1], file: file, line: line)
    }
    try x.close()
    try y.close()
}

final class SweepEndToEndTests: XCTestCase {
    let e2e = "Tests/TTCGCommandsTests/Fixtures/e2e.yaml"
    let slow = "Tests/TTCGCommandsTests/Fixtures/slow.yaml"

    /// The reference: `ttcg run` with one worker process and one thread.
    func reference(_ spec: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("reference.h5").path
        let run = try ttcg(["run", spec, "--workers", "1", "--threads", "1", "--out", path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return path
    }

    func testCoordinatorAndTwoWorkersEqualOneWorkerOneThread() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try reference(e2e, in: dir)
        let run = try ttcg(["run", e2e, "--workers", "2", "--out", dir.appendingPathComponent("two.h5").path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("2,460 games"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Price of anarchy over beta"), run.stdout)
        try assertSameResults(reference, dir.appendingPathComponent("two.h5").path)

        // The same through separate processes: a coordinator and two workers over tcp.
        let port = freePort()
        let out = dir.appendingPathComponent("cluster.h5").path
        let stats = dir.appendingPathComponent("coordinator-stats.json").path
        // --min-workers 2: the sweep (60 ms on one worker) waits for both, however slowly
        // this machine starts processes.
        let coordinator = try Background(["coordinator", e2e, "--out", out, "--bind", "tcp://127.0.0.1:\(port)", "--linger", "0.2",
                                          "--stats", stats, "--log-format", "json", "--min-workers", "2"])
        let workers = try (0..<2).map { k in
            try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"] + (k == 0 ? ["--log-format", "json"] : []))
        }
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        for w in workers { XCTAssertEqual(w.wait(), 0, w.stderr) }
        try assertSameResults(reference, out)
        // --log-format json: one object per event line, with a UTC time; the coordinator says
        // who joined and that the sweep finished, the worker that it connected; text is timestamped.
        func events(_ stderr: String, source: String) throws -> [String] {
            try stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], String(line))
                XCTAssertEqual(object["source"], source)
                XCTAssertNotNil(object["time"]?.firstMatch(of: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), String(line))
                return try XCTUnwrap(object["message"])
            }
        }
        let coordinatorEvents = try events(coordinator.stderr, source: "coordinator")
        XCTAssertEqual(coordinatorEvents.filter { $0.hasPrefix("worker ") && $0.contains(" joined: host ") }.count, 2, coordinator.stderr)
        XCTAssertEqual(coordinatorEvents.filter { $0.hasPrefix("sweep finished: ") && $0.contains(" items done, 0 failed") }.count, 1, coordinator.stderr)
        XCTAssertEqual(try events(workers[0].stderr, source: "worker").filter { $0.hasPrefix("connected to tcp://127.0.0.1:\(port): sweep ") }.count, 1, workers[0].stderr)
        XCTAssertNotNil(workers[1].stderr.firstMatch(of: /ttcg worker: \d{4}-\d\d-\d\dT\S+Z connected to\s/), workers[1].stderr)
        // --stats: the coordinator's own cost, as JSON (values depend on the machine: only
        // their presence and sign are checked).
        let cost = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any])
        XCTAssertEqual(Set(cost.keys), ["peak_rss_bytes", "cpu_user_seconds", "cpu_system_seconds", "sweep_seconds",
                                        "worker_busy_seconds", "tail_seconds", "longest_item_seconds"])
        XCTAssertGreaterThan((cost["peak_rss_bytes"] as? NSNumber)?.intValue ?? 0, 0)
        XCTAssertGreaterThanOrEqual((cost["cpu_user_seconds"] as? NSNumber)?.doubleValue ?? -1, 0)
        // The sweep took time, the workers reported playing, and the longest item is within it.
        let sweep = (cost["sweep_seconds"] as? NSNumber)?.doubleValue ?? 0
        XCTAssertGreaterThan(sweep, 0)
        XCTAssertGreaterThan((cost["worker_busy_seconds"] as? NSNumber)?.doubleValue ?? 0, 0)
        XCTAssertLessThanOrEqual((cost["longest_item_seconds"] as? NSNumber)?.doubleValue ?? .infinity, sweep)
        XCTAssertLessThanOrEqual((cost["tail_seconds"] as? NSNumber)?.doubleValue ?? .infinity, sweep)
    }

    /// Issue 14, case 8: `tcp://localhost:PORT`, listed as loopback in docs/security.md, binds
    /// (it failed with "No such device") and serves workers and status.
    func testLocalhostEndpointsWork() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("localhost.h5").path
        let coordinator = try Background(["coordinator", e2e, "--out", out, "--bind", "tcp://localhost:\(port)",
                                          "--status-bind", "tcp://localhost:\(statusPort)", "--linger", "0.2"])
        let worker = try Background(["worker", "--connect", "tcp://localhost:\(port)", "--threads", "1"])
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        XCTAssertEqual(worker.wait(), 0, worker.stderr)
        XCTAssertTrue(coordinator.stderr.contains("workers connect to tcp://127.0.0.1:\(port)"), coordinator.stderr)
        let reference = try reference(e2e, in: dir)
        try assertSameResults(reference, out)
    }

    func testKilledWorkerIsReplacedAndALateWorkerJoins() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try reference(slow, in: dir)
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("faulty.h5").path
        let coordinator = try Background(["coordinator", slow, "--out", out, "--bind", "tcp://127.0.0.1:\(port)",
                                          "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--heartbeat-ms", "100",
                                          "--timeout-ms", "1000", "--linger", "3"])
        let victim = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        let survivor = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        // Kill the victim once it has results in.
        var progress: [Int] = []
        var statuses: [[String: Any]] = []
        func poll() throws -> [String: Any]? {
            let s = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "2"])
            guard s.status == 0, let d = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any] else { return nil }
            statuses.append(d)
            progress.append(d["points_done"] as! Int)
            return d
        }
        var deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let d = try poll(), let ws = d["workers"] as? [[String: Any]],
               ws.contains(where: { ($0["pid"] as? Int) == Int(victim.process.processIdentifier) && ($0["items_done"] as? Int ?? 0) > 0 }) { break }
            usleep(50_000)
        }
        kill(victim.process.processIdentifier, SIGKILL)
        let late = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        var lateWorked = false, finished = false
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline && !finished {
            if let d = try poll() {
                finished = d["finished"] as? Bool ?? false
                if let ws = d["workers"] as? [[String: Any]],
                   ws.contains(where: { ($0["pid"] as? Int) == Int(late.process.processIdentifier) && ($0["items_done"] as? Int ?? 0) > 0 }) {
                    lateWorked = true
                }
            }
            usleep(100_000)
        }
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        XCTAssertEqual(survivor.wait(), 0, survivor.stderr)
        XCTAssertEqual(late.wait(), 0, late.stderr)
        XCTAssertTrue(finished, "status never said finished")
        XCTAssertTrue(lateWorked, "the late worker took no work")
        // Progress only goes up and ends at the total.
        XCTAssertEqual(progress, progress.sorted())
        XCTAssertEqual(progress.last, 2400)
        XCTAssertEqual(statuses.last?["points_total"] as? Int, 2400)
        try assertSameResults(reference, out)
    }

    func testStatusWatchEndsAtTheTotal() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let coordinator = try Background(["coordinator", e2e, "--out", dir.appendingPathComponent("w.h5").path,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--linger", "3"])
        let watch = try Background(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--watch", "--json"])
        // The worker starts once the watcher has its first answer, so the watcher sees the
        // sweep from before its first item whatever the machine's load.
        let deadline = Date().addingTimeInterval(60)
        while watch.stdout.isEmpty && watch.process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(watch.stdout.isEmpty, "ttcg status --watch printed nothing: \(watch.stderr)")
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "2"])
        XCTAssertEqual(watch.wait(), 0, watch.stderr)
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        XCTAssertEqual(worker.wait(), 0, worker.stderr)
        let lines = watch.stdout.split(separator: "\n")
        let done = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["points_done"] as! Int }
        XCTAssertEqual(done, done.sorted())
        XCTAssertEqual(done.last, 2460)
        XCTAssertGreaterThanOrEqual(lines.count, 1)
    }

    func testExportAndInspect() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let h5 = dir.appendingPathComponent("r.h5").path
        XCTAssertEqual(try ttcg(["run", e2e, "--out", h5]).status, 0)
        let csv = dir.appendingPathComponent("r.csv").path
        let export = try ttcg(["export", h5, "--format", "csv", "--out", csv])
        XCTAssertEqual(export.status, 0, export.stderr)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2460 + 1)
        let header = lines[0].split(separator: ",").map(String.init)
        for c in ["dataset", "method", "market", "beta", "margin", "alpha", "v0", "seed", "converged", "steps", "welfare_eq",
                  "welfare_opt", "poa", "market_user_value", "market_price", "market_provider_utility", "auction_winner",
                  "auction_runner_up", "auction_payment", "auction_user_value", "auction_winner_utility", "auction_welfare", "eq_profile"] {
            XCTAssertTrue(header.contains(c), c)
        }
        // The perfect-rationality rows say inf; winners are names.
        XCTAssertTrue(lines.contains { $0.contains(",inf,") })
        XCTAssertTrue(lines[1].contains("R1-D-Qwen-7B"))
        let json = dir.appendingPathComponent("r.json").path
        XCTAssertEqual(try ttcg(["export", h5, "--format", "json", "--out", json]).status, 0)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        XCTAssertEqual(rows.count, 2460)
        XCTAssertEqual(rows[0]["market"] as? String, "gsm8k/chain-of-thought")
        let again = try ttcg(["export", h5, "--format", "csv", "--out", csv])
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(again.stderr, "\(csv): refusing to overwrite an existing file (use --force)\n")
        let inspect = try ttcg(["inspect", h5])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("completed"))
        XCTAssertTrue(inspect.stdout.contains("Market versus auction"))
        // Scripts read the same through --json and --get (the Slurm job script does).
        let document = try jsonObject(try ttcg(["inspect", h5, "--json"]))
        XCTAssertEqual(document["completed"] as? Bool, true)
        XCTAssertEqual(document["points_done"] as? Int, 2460)
        XCTAssertEqual(document["points_failed"] as? Int, 0)
        let markets = try XCTUnwrap(document["markets"] as? [[String: Any]])
        XCTAssertEqual(markets.first?["name"] as? String, "gsm8k/chain-of-thought")
        let summary = try XCTUnwrap(markets.first?.object("summary"))
        XCTAssertEqual(summary["done"] as? Int, markets.first?["points"] as? Int)
        XCTAssertNotNil(summary.object("auction")?.double("welfare"))
        let fields = try ttcg(["inspect", h5, "--get", "completed", "--get", "points_total", "--get", "sweep"])
        XCTAssertEqual(fields.status, 0, fields.stderr)
        XCTAssertEqual(fields.stdout, "true\n2460\n\(document["sweep"] as? String ?? "?")\n")
        // With --json each field is printed as JSON (a string quoted): what scripts read.
        let jsonFields = try ttcg(["inspect", h5, "--json", "--get", "completed", "--get", "points_total", "--get", "sweep"])
        XCTAssertEqual(jsonFields.status, 0, jsonFields.stderr)
        XCTAssertEqual(jsonFields.stdout, "true\n2460\n\"\(document["sweep"] as? String ?? "?")\"\n")
        let unknown = try ttcg(["inspect", h5, "--get", "nope"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(unknown.stderrLines.count, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasPrefix("--get nope: expected a field of ttcg inspect --json (file, sweep"), unknown.stderr)
    }

    func testBadInput() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Invalid specs: one line with the YAML path, exit 2, no results file.
        let bad = dir.appendingPathComponent("bad.yaml").path
        for (yaml, expected) in [("markets: [gsm8k/majority]\naxes: {beta: [0]}", "\(bad): axes.beta[0]: expected a beta > 0"),
                                 ("markets: [gsm8k/majority]\ndynamics: {rule: lazy}", "\(bad): dynamics.rule: expected nearest-improvement"),
                                 ("markets: [gsm8k/majority]\noutputs: {chunk: -1}", "\(bad): outputs.chunk: expected")] {
            try yaml.write(toFile: bad, atomically: true, encoding: .utf8)
            for command in [["run", bad, "--out", dir.appendingPathComponent("x.h5").path], ["validate", bad]] {
                let r = try ttcg(command)
                XCTAssertEqual(r.status, 2, r.stderr)
                XCTAssertEqual(r.stderrLines.count, 1, r.stderr)
                XCTAssertTrue(r.stderr.hasPrefix(expected), r.stderr)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.h5").path))
        }
        // An existing output file is refused unless --force, and left as it was.
        let existing = dir.appendingPathComponent("existing.h5").path
        try "precious".write(toFile: existing, atomically: true, encoding: .utf8)
        let refused = try ttcg(["run", e2e, "--out", existing])
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderr, "\(existing): the results file exists; refusing to overwrite it (use --force)\n")
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "precious")
        // --force replaces only a ttcg results file (issue 14, case 7): not this one...
        let forced = try ttcg(["run", e2e, "--out", existing, "--force"])
        XCTAssertEqual(forced.status, 2, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("--force replaces only a ttcg results file"), forced.stderr)
        XCTAssertEqual(try String(contentsOfFile: existing, encoding: .utf8), "precious")
        // ... but a results file, yes.
        let results = dir.appendingPathComponent("results.h5").path
        XCTAssertEqual(try ttcg(["run", e2e, "--out", results]).status, 0)
        XCTAssertEqual(try ttcg(["run", e2e, "--out", results, "--force"]).status, 0)
        // A busy port.
        let port = freePort()
        let holder = try Background(["coordinator", e2e, "--out", dir.appendingPathComponent("a.h5").path, "--bind", "tcp://127.0.0.1:\(port)"])
        XCTAssertTrue(waitForListener(port), "the first coordinator never bound its port: \(holder.stderr)")
        let busy = try ttcg(["coordinator", e2e, "--out", dir.appendingPathComponent("b.h5").path, "--bind", "tcp://127.0.0.1:\(port)"])
        XCTAssertEqual(busy.status, 2, busy.stderr)
        XCTAssertEqual(busy.stderrLines.count, 1, busy.stderr)
        XCTAssertTrue(busy.stderr.contains("--bind tcp://127.0.0.1:\(port)"), busy.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("b.h5").path))
        kill(holder.process.processIdentifier, SIGKILL)
        // An unreachable coordinator: the worker gives up with a clear line.
        let lonely = try ttcg(["worker", "--connect", "tcp://127.0.0.1:\(freePort())", "--connect-timeout", "1"])
        XCTAssertEqual(lonely.status, 1)
        XCTAssertTrue(lonely.stderr.hasPrefix("ttcg worker: no coordinator answered at tcp://127.0.0.1:"), lonely.stderr)
        XCTAssertEqual(lonely.stderrLines.count, 1, lonely.stderr)
        // Status of nothing.
        let nothing = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(freePort())", "--timeout", "0.5"])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertEqual(nothing.stderrLines.count, 1, nothing.stderr)
        // Bad flags.
        for args in [["run", e2e, "--workers", "0"], ["worker", "--connect", "tcp://127.0.0.1:1", "--threads", "-1"],
                     ["coordinator", e2e, "--out", "x.h5", "--timeout-ms", "5", "--heartbeat-ms", "10"]] {
            let r = try ttcg(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderrLines.count, 1, "\(args): \(r.stderr)")
        }
    }
}
