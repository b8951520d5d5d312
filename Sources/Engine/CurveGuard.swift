// The coordinator's guard (a ZAP handler that admits only authorized CURVE client keys)
// and the loopback rule for binding without keys (docs/security.md; key files are in
// Security.swift).

import Foundation
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// Admits only authorized CURVE clients to the coordinator's sockets.
///
/// It runs a ZAP handler (`ZAPAuthenticator`) in the coordinator's context that accepts a
/// handshake only when the mechanism is CURVE, the domain is ttcg's and the client's public
/// key is in `authorizedKeys`; every refusal is counted (`refusedCount`, for `ttcg status`)
/// and logged (rate-limited: a peer retrying cannot flood the log).
///
/// libzmq 4.3 fails open: a CURVE server whose context has no ZAP handler accepts any client
/// that knows the server's public key. So:
/// - create the guard before any server socket binds (`configureServer` refuses to configure
///   a socket once the guard is stopped);
/// - keep it alive, and call `stop()` only after the server sockets are closed;
/// - drop every message for which `admits(_:)` is false (`userID` nil means the handshake
///   did not go through ZAP).
public final class CurveGuard: @unchecked Sendable {
    // @unchecked: `config` is immutable, the counters live in a lock-protected `Counters`,
    // and `authenticator` is thread safe (its own lock and thread).

    /// The ZAP domain of ttcg's server sockets.
    public static let zapDomain = "ttcg"
    /// Refusal log lines allowed per `logWindowSeconds`; the rest are counted and summarised.
    public static let logBurst = 5
    public static let logWindowSeconds = 10.0

    public let config: CurveServerConfig
    private let authenticator: ZAPAuthenticator
    private let counters: Counters

    /// Starts the ZAP handler in `context`. Do this before any server socket of the context
    /// binds. `log` receives one line per logged refusal, on the handler's thread.
    public init(context: ZMQContext, config: CurveServerConfig,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(EngineError) {
        guard ZMQLibrary.hasCurve else {
            throw EngineError("this libzmq (\(ZMQLibrary.versionString)) was built without CURVE support; cannot use --curve-secret", exitCode: 2)
        }
        guard !config.authorizedKeys.isEmpty else {
            throw EngineError("no authorized client keys: no worker could connect", exitCode: 2)
        }
        let counters = Counters(log: log)
        let allowed = config.authorizedKeys
        do {
            authenticator = try ZAPAuthenticator(context: context) { request in
                let ok = request.mechanism == "CURVE" && request.domain == CurveGuard.zapDomain
                    && request.clientPublicKey.map(allowed.contains) == true
                counters.record(request, accepted: ok)
                return ok
            }
        } catch {
            throw EngineError("cannot start the CURVE authenticator (ZAP handler): \(error)")
        }
        self.config = config
        self.counters = counters
    }

    deinit { authenticator.stop() }

    /// Stops the ZAP handler. Close the guarded sockets first: after this, libzmq would
    /// admit any client with the server key (see the type's documentation).
    public func stop() {
        counters.stopped()
        authenticator.stop()
    }

    /// Makes `socket` a CURVE server with the coordinator's secret key and ttcg's ZAP domain.
    /// Call before `bind`.
    public func configureServer(_ socket: ZMQSocket) throws(WireError) {
        guard !counters.isStopped else {
            throw .invalidArgument("the CURVE guard is stopped; a server socket configured now would admit anyone")
        }
        try socket.set(.curveServer(true), .curveSecretKey(config.secretKey.secretKey), .zapDomain(Self.zapDomain))
    }

    /// Makes `socket` a CURVE client (a worker or status client). Call before `connect`.
    public static func configureClient(_ socket: ZMQSocket, _ config: CurveClientConfig) throws(WireError) {
        try config.configureClient(socket)
    }

    /// True when the message came through a ZAP-approved handshake (`userID` set). A message
    /// without one came through no authentication at all (the fail-open case): drop it.
    public static func isAuthenticated(_ m: RoutedMessage) -> Bool {
        m.userID != nil
    }

    /// `isAuthenticated` and the user id is one of this guard's authorized keys: the check a
    /// guarded socket applies to every message.
    public func admits(_ m: RoutedMessage) -> Bool {
        guard let user = m.userID else { return false }
        return config.authorizedKeys.contains(user)
    }

    /// Handshakes refused so far (unknown key, wrong mechanism or domain).
    public var refusedCount: Int { counters.refused }
    /// Handshakes admitted so far.
    public var acceptedCount: Int { counters.accepted }

    /// Thread-safe counters and the rate-limited refusal log.
    private final class Counters: @unchecked Sendable {
        // @unchecked: every stored var is read and written under `lock`.
        private let lock = NSLock()
        private let log: @Sendable (String) -> Void
        private var refusedTotal = 0, acceptedTotal = 0
        private var windowStart = -Double.infinity, loggedInWindow = 0, suppressed = 0
        private var isStoppedFlag = false

        init(log: @escaping @Sendable (String) -> Void) { self.log = log }

        var refused: Int { lock.withLock { refusedTotal } }
        var accepted: Int { lock.withLock { acceptedTotal } }
        var isStopped: Bool { lock.withLock { isStoppedFlag } }
        func stopped() { lock.withLock { isStoppedFlag = true } }

        func record(_ request: ZAPRequest, accepted ok: Bool) {
            let line: String? = lock.withLock {
                if ok {
                    acceptedTotal += 1
                    return nil
                }
                refusedTotal += 1
                let now = monotonicSeconds()
                if now - windowStart >= CurveGuard.logWindowSeconds {
                    windowStart = now
                    loggedInWindow = 0
                }
                guard loggedInWindow < CurveGuard.logBurst else {
                    suppressed += 1
                    return nil
                }
                loggedInWindow += 1
                var text = "refused a connection from \(request.address): "
                if request.mechanism != "CURVE" {
                    text += "mechanism \(request.mechanism), not CURVE"
                } else if request.domain != CurveGuard.zapDomain {
                    text += "ZAP domain '\(request.domain)', not '\(CurveGuard.zapDomain)'"
                } else {
                    text += "CURVE key \(request.clientPublicKey ?? "?") is not among the authorized keys"
                }
                if suppressed > 0 {
                    text += " (\(suppressed) earlier refusal\(suppressed == 1 ? "" : "s") not logged)"
                    suppressed = 0
                }
                return text
            }
            if let line { log(line) }
        }
    }
}

// MARK: - The loopback rule

/// True when `endpoint` can only be reached from this machine: `tcp://` on 127.x.x.x,
/// `localhost`, `[::1]` (or `[::ffff:127.x.x.x]`), and `ipc://` or `inproc://`. Anything else
/// (`tcp://0.0.0.0`, `tcp://*`, an interface name, a host name, another transport) is not,
/// so a coordinator refuses to bind it without CURVE keys unless told `--insecure`.
public func isLoopbackEndpoint(_ endpoint: String) -> Bool {
    let text = endpoint.trimmingCharacters(in: .whitespaces)
    guard let schemeEnd = text.range(of: "://") else { return false }
    let scheme = text[..<schemeEnd.lowerBound].lowercased()
    let rest = String(text[schemeEnd.upperBound...])
    switch scheme {
    case "ipc", "inproc":
        return !rest.isEmpty
    case "tcp":
        break
    default:
        return false
    }
    // tcp://HOST:PORT, HOST possibly [IPv6]. A source;destination pair is not a bind
    // address: not loopback.
    guard !rest.contains(";"), !rest.contains("/") else { return false }
    let host: String
    if rest.hasPrefix("[") {
        guard let close = rest.firstIndex(of: "]") else { return false }
        host = String(rest[rest.index(after: rest.startIndex)..<close]).lowercased()
        let after = rest[rest.index(after: close)...]
        guard after.isEmpty || after.hasPrefix(":") else { return false }
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        if host.hasPrefix("::ffff:") { return isLoopbackIPv4(String(host.dropFirst(7))) }
        return false
    }
    guard let colon = rest.lastIndex(of: ":") else { return false }
    host = String(rest[..<colon]).lowercased()
    return host == "localhost" || isLoopbackIPv4(host)
}

/// The endpoint to bind for `endpoint`: `tcp://localhost:PORT` becomes `tcp://127.0.0.1:PORT`
/// (ZeroMQ binds interface names and addresses, and takes `localhost` for an interface:
/// "No such device"). Everything else is unchanged.
public func bindableEndpoint(_ endpoint: String) -> String {
    let text = endpoint.trimmingCharacters(in: .whitespaces)
    let prefix = "tcp://localhost:"
    guard text.lowercased().hasPrefix(prefix) else { return endpoint }
    return "tcp://127.0.0.1:" + text.dropFirst(prefix.count)
}

/// 127.a.b.c with every part a decimal 0...255.
private func isLoopbackIPv4(_ host: String) -> Bool {
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0] == "127" else { return false }
    return parts.allSatisfy { p in
        !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && (Int(p) ?? 256) <= 255
    }
}
