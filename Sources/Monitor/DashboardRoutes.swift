// What the dashboard answers, as a pure function of the request line, the Authorization
// header and the board: the HTTP server (DashboardServer) only moves bytes. Read-only: GET
// and HEAD, nothing changes the sweep.

import Foundation
import Synchronization

/// One HTTP answer: status, headers (the security headers included) and body.
public struct DashboardResponse: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    init(_ status: Int, _ reason: String, type: String, body: String, extra: [(String, String)] = []) {
        self.init(status, reason, type: type, bytes: Array(body.utf8), extra: extra)
    }

    init(_ status: Int, _ reason: String, type: String, bytes: [UInt8], extra: [(String, String)] = []) {
        self.status = status
        self.reason = reason
        self.body = bytes
        headers = [("Content-Type", type)] + Self.securityHeaders + extra
    }

    /// On every answer: nothing cached (the token may be in the URL), no type sniffing,
    /// nothing but this origin's own script, style and data, never framed, no referrer.
    public static let securityHeaders = [
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", "default-src 'self'"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]
}

/// The dashboard's endpoints over a board, with an optional bearer token.
public struct DashboardRoutes: Sendable {
    public let board: MonitorBoard
    /// With a token, every request needs `Authorization: Bearer TOKEN` or `?token=TOKEN`.
    public let token: String?

    /// The page, fragment and science of the latest snapshot, rendered once per publish.
    let cache = RenderCache()

    public init(board: MonitorBoard, token: String?) {
        self.board = board
        self.token = token
    }

    /// The paths served.
    public static let paths = ["/", "/api/fragment", "/api/status", "/api/science", "/metrics", "/dashboard.js", "/dashboard.css"]

    /// The answer to `method uri` (the request target as sent), with the request's
    /// Authorization header if any. HEAD gets GET's headers; the server drops the body.
    public func respond(method: String, uri: String, authorization: String?) -> DashboardResponse {
        guard method == "GET" || method == "HEAD" else {
            return DashboardResponse(405, "Method Not Allowed", type: "text/plain; charset=utf-8",
                                     body: "405 method not allowed: the dashboard is read-only (GET and HEAD)\n", extra: [("Allow", "GET, HEAD")])
        }
        let (path, query) = Self.split(uri)
        if let token, !Self.authorized(token: token, authorization: authorization, query: query) {
            return DashboardResponse(401, "Unauthorized", type: "text/plain; charset=utf-8",
                                     body: "401 unauthorized: give the token (Authorization: Bearer TOKEN, or ?token=TOKEN)\n",
                                     extra: [("WWW-Authenticate", "Bearer realm=\"ttcg\"")])
        }
        let html = "text/html; charset=utf-8", json = "application/json"
        switch path {
        case "/": return DashboardResponse(200, "OK", type: html, bytes: cache.body(path, board.snapshot()) { DashboardPage.page($0, token: token) })
        case "/api/fragment": return DashboardResponse(200, "OK", type: html, bytes: cache.body(path, board.snapshot(), DashboardPage.fragment))
        case "/api/status": return DashboardResponse(200, "OK", type: json, body: board.snapshot().status.json())
        case "/api/science": return DashboardResponse(200, "OK", type: json, bytes: cache.body(path, board.snapshot(), ScienceJSON.json))
        case "/metrics": return DashboardResponse(200, "OK", type: MetricsExposition.contentType, body: board.metrics.render(board.snapshot()))
        case "/dashboard.js": return DashboardResponse(200, "OK", type: "text/javascript; charset=utf-8", body: DashboardAssets.script)
        case "/dashboard.css": return DashboardResponse(200, "OK", type: "text/css; charset=utf-8", body: DashboardAssets.stylesheet)
        default:
            return DashboardResponse(404, "Not Found", type: "text/plain; charset=utf-8",
                                     body: "404 not found; the dashboard serves \(Self.paths.joined(separator: ", "))\n")
        }
    }

    /// `/path?query#fragment` into the path and the query (without `?`).
    static func split(_ uri: String) -> (path: String, query: String) {
        var rest = Substring(uri)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let mark = rest.firstIndex(of: "?") else { return (String(rest), "") }
        return (String(rest[..<mark]), String(rest[rest.index(after: mark)...]))
    }

    /// Whether the request carries `token`: as a bearer token, or as the query's `token`.
    static func authorized(token: String, authorization: String?, query: String) -> Bool {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer",
               constantTimeEqual(parts[1].trimmingCharacters(in: .whitespaces), token) { return true }
        }
        for pair in query.split(separator: "&") where pair.hasPrefix("token=") {
            let value = String(pair.dropFirst(6)).removingPercentEncoding
            if let value, constantTimeEqual(value, token) { return true }
        }
        return false
    }

    /// Equality that takes as long whatever the first difference (a guess reveals nothing).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// Bodies rendered from one published snapshot, kept until the next publish: however many
/// clients poll, each body is rendered at most once per snapshot (a paper-grid page is
/// hundreds of KB of SVG).
final class RenderCache: Sendable {
    let entries = Mutex<[String: (sequence: Int, body: [UInt8])]>([:])

    func body(_ key: String, _ snapshot: MonitorSnapshot, _ render: (MonitorSnapshot) -> String) -> [UInt8] {
        if let hit = entries.withLock({ $0[key] }), hit.sequence == snapshot.sequence { return hit.body }
        let body = Array(render(snapshot).utf8)
        entries.withLock { $0[key] = (snapshot.sequence, body) }
        return body
    }
}
