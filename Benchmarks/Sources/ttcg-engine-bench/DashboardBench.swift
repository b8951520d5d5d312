// The dashboard under load (issue 16): 20 clients, each loading `/` and `/api/fragment`
// once a second as a browser tab does, while `ttcg run --http` plays a sweep; against the same
// sweep without `--http`. The dashboard's server has a thread of its own and the coordinator
// only publishes a board twice a second, so the sweep's throughput should not notice.

import Foundation

/// `count` clients of the dashboard on 127.0.0.1:`port`, each on a thread of its own,
/// loading `/` and `/api/fragment` every second (their starts spread over the first second)
/// until `stop`. Before the server listens and after it is gone, nothing is counted.
final class DashboardClients: @unchecked Sendable {
    let port: Int
    private let lock = NSLock()
    private var stopped = false
    private var answered = 0, failed = 0, running = 0

    init(count: Int, port: Int) {
        self.port = port
        running = count
        for k in 0..<count {
            Thread.detachNewThread { [self] in
                usleep(useconds_t(k * 1_000_000 / count))
                poll()
            }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func poll() {
        while !isStopped {
            let start = now()
            for path in ["/", "/api/fragment"] {
                switch get(path) {
                case .some(true): lock.withLock { answered += 1 }
                case .some(false): lock.withLock { failed += 1 }
                case .none: break   // not listening (yet, or any more)
                }
            }
            let rest = 1.0 - (now() - start)
            if rest > 0 { usleep(useconds_t(rest * 1e6)) }
        }
        lock.withLock { running -= 1 }
    }

    /// One GET over a new connection: true for a whole 200 answer, false for anything else
    /// from a server that accepted the connection, nil if nothing listens.
    private func get(_ path: String) -> Bool? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = loopbackAddress(port)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard connected else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        // The server closes after the answer (Connection: close): read to the end.
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { bytes += buffer[..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        guard let head = String(decoding: bytes.prefix(4_096), as: UTF8.self).components(separatedBy: "\r\n\r\n").first,
              head.hasPrefix("HTTP/1.1 200"),
              let length = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }) else { return false }
        return bytes.count == Array(head.utf8).count + 4 + length
    }

    /// Stops the clients, waits for them; the requests answered and failed.
    func stop() -> (answered: Int, failed: Int) {
        lock.withLock { stopped = true }
        while lock.withLock({ running }) > 0 { usleep(10_000) }
        return lock.withLock { (answered, failed) }
    }
}

/// `ttcg run SPEC --workers 2 --threads 1 --stats`, in `pairs` pairs of one run without
/// `--http` and one with `--http` and `clients` clients polling, the order swapped every pair
/// (so a drift of the machine during the case favours neither). Single runs of the same spec
/// scatter by 20 % and more on a shared 2-core machine, so the ratio is the median of the
/// pairs' ratios, not a ratio of medians. Prints the throughput of each, the ratio (target
/// >= 0.95), and the requests answered per second.
func dashboardUnderLoad(spec: String, games: Double, clients: Int, pairs: Int, dir: URL, ttcgPath: String) throws {
    var plain: [Double] = [], loaded: [Double] = []
    var answered = 0, failed = 0, loadedRunSeconds = 0.0
    func plainRun() throws {
        plain.append(try runStats(spec, workers: 2, dir: dir, ttcgPath: ttcgPath)["sweep_seconds"] ?? .nan)
    }
    func loadedRun() throws {
        let port = benchPort()
        let load = DashboardClients(count: clients, port: port)
        let stats = try runStats(spec, workers: 2, dir: dir, ttcgPath: ttcgPath, extra: ["--http", "127.0.0.1:\(port)"])
        let (ok, bad) = load.stop()
        loaded.append(stats["sweep_seconds"] ?? .nan)
        answered += ok
        failed += bad
        loadedRunSeconds += stats["run_seconds"] ?? .nan
    }
    for pair in 0..<pairs {
        if pair % 2 == 0 { try plainRun(); try loadedRun() } else { try loadedRun(); try plainRun() }
    }
    guard answered > 0 else { throw BenchError("dashboard: no client got an answer from ttcg run --http") }
    let ratios = zip(plain, loaded).map { $0 / $1 }
    print("dashboard_games_per_second_without=\(Int(games / median(plain)))")
    print("dashboard_games_per_second_with_clients=\(Int(games / median(loaded)))")
    print("dashboard_throughput_ratio=\(String(format: "%.3f", median(ratios)))")
    print("dashboard_requests_per_second=\(String(format: "%.1f", Double(answered) / loadedRunSeconds))")
    print("dashboard_requests_failed=\(failed)")
    print("dashboard_runs=\(plain.map { String(format: "%.3f", $0) }.joined(separator: ","))/\(loaded.map { String(format: "%.3f", $0) }.joined(separator: ","))")
}
