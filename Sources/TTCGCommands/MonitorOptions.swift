// `--http HOST:PORT` and `--http-token-file FILE` on `ttcg run` and `ttcg coordinator`: a
// live dashboard, Prometheus metrics and JSON of the running sweep. The flags are checked
// before anything is created; the dashboard itself is Monitor (what to show) and
// DashboardServer (the HTTP edge), fed from the coordinator's progress callback.

import ArgumentParser
import DashboardServer
import Engine
import Foundation
import Monitor
import Profiles
import Sweep

/// The dashboard's flags.
struct MonitorOptions: ParsableArguments {
    @Option(help: "Serve a live dashboard, Prometheus /metrics and JSON (/api/status, /api/science) at HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port). Loopback only, unless --insecure or --http-token-file.")
    var http: String?

    @Option(help: "With --http: every request must carry the token on this file's first line (Authorization: Bearer TOKEN, or ?token=TOKEN).")
    var httpTokenFile: String?

    /// Where to serve and with which token, or nil without `--http`. Bad values are one line
    /// and exit 2. `insecure` is the command's `--insecure`.
    func resolve(insecure: Bool) throws(CommandError) -> HTTPEndpoint? {
        guard let http else {
            if httpTokenFile != nil { throw .badInput("ttcg: --http-token-file: expected --http HOST:PORT too") }
            return nil
        }
        guard var endpoint = HTTPEndpoint(parsing: http) else {
            throw .badInput("ttcg: --http: expected HOST:PORT with a port in 0...65535 (e.g. 127.0.0.1:8080, [::1]:8080), got '\(printable(http))'")
        }
        if let path = httpTokenFile { endpoint.token = try Self.readToken(path) }
        if !endpoint.isLoopback && endpoint.token == nil && !insecure {
            throw .badInput("ttcg: --http \(printable(http)) is reachable from other machines; expected a loopback host (127.0.0.1, ::1, localhost), or --http-token-file FILE, or --insecure")
        }
        return endpoint
    }

    /// The token: the file's first line, trimmed; an unreadable or empty file is refused.
    static func readToken(_ path: String) throws(CommandError) -> String {
        let text: String
        do {
            text = try TextFile.contents(path, what: "token file", maxBytes: 1 << 20)
        } catch {
            throw .badInput("ttcg: --http-token-file \(printable(path)): \(error.message)")
        }
        let token = (text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw .badInput("ttcg: --http-token-file \(printable(path)): expected a token on its first line, got an empty line")
        }
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw .badInput("ttcg: --http-token-file \(printable(path)): expected a token of printable ASCII without spaces on its first line")
        }
        return token
    }
}

/// Where the dashboard listens: `HOST:PORT` (IPv6 in brackets, or bare `::1:PORT`).
struct HTTPEndpoint {
    var host: String
    var port: Int
    var token: String?

    init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        var host: Substring, port: Substring
        if t.hasPrefix("[") {
            guard let close = t.firstIndex(of: "]"), t[close...].hasPrefix("]:") else { return nil }
            host = t[t.index(after: t.startIndex)..<close]
            port = t[t.index(close, offsetBy: 2)...]
        } else {
            guard let colon = t.lastIndex(of: ":") else { return nil }
            host = t[..<colon]
            port = t[t.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
              !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(port), (0...65535).contains(p) else { return nil }
        self.host = String(host)
        self.port = p
    }

    /// 127.x.x.x, ::1 or localhost: reachable from this machine only.
    var isLoopback: Bool {
        isLoopbackEndpoint("tcp://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)")
    }

    /// The address to bind (`localhost` is 127.0.0.1, so the port is one address's).
    var bindHost: String { host.lowercased() == "localhost" ? "127.0.0.1" : host }

    /// `http://HOST:PORT/` at `port` (the bound one). Never with the token.
    func url(port bound: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/"
    }
}

/// The dashboard of one sweep: the sink that watches results, the board the coordinator
/// publishes to, and the server (started once the coordinator exists).
final class SweepDashboard {
    let endpoint: HTTPEndpoint
    let observed: ObservedSink
    var board: MonitorBoard?
    var server: DashboardServer?

    init(_ endpoint: HTTPEndpoint, wrapping sink: ResultSink, plan: SweepPlan) {
        self.endpoint = endpoint
        self.observed = ObservedSink(wrapping: sink, plan: plan)
    }

    /// Serves `coordinator`'s sweep; prints `ttcg: dashboard at URL` (and, given `log`, an
    /// event with the URL). A port that cannot be bound is exit 2.
    func start(_ coordinator: Coordinator, timeoutSeconds: Double, json log: LogFormat? = nil) throws(CommandError) {
        let board = MonitorBoard(status: coordinator.status(), observed: observed, timeoutSeconds: timeoutSeconds)
        let server = DashboardServer(host: endpoint.bindHost, port: endpoint.port, token: endpoint.token, board: board)
        let port: Int
        do {
            port = try server.start()
        } catch {
            server.stop()
            throw .badInput("ttcg: --http \(printable(endpoint.host)):\(endpoint.port): cannot listen there: \(error)")
        }
        (self.board, self.server) = (board, server)
        let url = endpoint.url(port: port)
        var lines = "ttcg: dashboard at \(url)\n"
        if log == .json {
            lines += "{\"time\": \"\(utcTimestamp())\", \"source\": \"coordinator\", \"message\": \(jsonQuoted("dashboard at \(url)")), \"url\": \(jsonQuoted(url))}\n"
        }
        FileHandle.standardError.write(Data(lines.utf8))   // one write: both lines at once
    }

    /// The coordinator's progress callback: the status and what the sink saw, for the server.
    func publish(_ status: SweepStatus) {
        board?.publish(status, observed: observed)
    }

    func stop() {
        server?.stop()
        server = nil
    }
}
