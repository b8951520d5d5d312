import Foundation

/// What a connecting peer presents to the ZAP handler (ZeroMQ RFC 27).
public struct ZAPRequest: Sendable, Equatable {
    /// The server socket's `zapDomain`.
    public let domain: String
    /// The peer's IP address.
    public let address: String
    /// The routing id the peer's socket set, if any (chosen by the peer: not proof of anything).
    public let routingID: [UInt8]
    /// "NULL", "PLAIN" or "CURVE".
    public let mechanism: String
    /// The client's long-term public key in Z85 (CURVE only): the identity worth trusting.
    public let clientPublicKey: String?
}

/// A ZAP handler: decides which peers a CURVE (or `zapDomain`-tagged) server socket accepts.
///
/// Without one, a CURVE server accepts any client that knows the server's public key:
/// traffic is encrypted but nobody is authenticated. With one bound in the same context, libzmq
/// asks it about every connection handshake, and refused peers never get a message through.
///
/// It serves `inproc://zeromq.zap.01` on its own thread, so the decision closure runs there
/// (hence `@Sendable`; keep it quick, handshakes wait for it). Only one can exist per context.
/// For an accepted CURVE client the user id is its Z85 public key, which
/// `RoutedMessage.userID` then carries on each of its messages.
///
/// libzmq 4.3 fails open: while no handler is bound, CURVE servers accept every client that
/// knows the server's public key, without asking (ZMQ_ZAP_ENFORCE_DOMAIN does not change that
/// for CURVE). So create the authenticator before the server socket binds, stop it only after
/// that socket is closed, and, as a second lock, drop messages whose `userID` is nil.
public final class ZAPAuthenticator: @unchecked Sendable {
    // @unchecked: the stored properties are a lock-protected flag and a semaphore, both thread
    // safe; the REP socket is owned by the handler thread alone after `init`.

    /// The inproc endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    // Assigned only after the bind succeeded: a throwing init that had initialized every
    // property would still run deinit, and `stop` would wait for a thread never started.
    private let state: StopFlag
    private let finished: DispatchSemaphore

    /// Binds the handler now (so a second handler or a closed context throws here) and starts
    /// its thread.
    public init(context: ZMQContext,
                authorize: @escaping @Sendable (ZAPRequest) -> Bool) throws(WireError) {
        let socket = try context.socket(.reply)
        try socket.bind(Self.endpoint)
        // The socket moves to the new thread and is never touched here again; Thread.start
        // is a memory barrier, which is all libzmq asks of a socket changing threads.
        let handoff = Handoff(socket: socket)
        let state = StopFlag(), finished = DispatchSemaphore(value: 0)
        self.state = state
        self.finished = finished
        let thread = Thread {
            Self.serve(handoff.socket, authorize: authorize, until: state)
            handoff.socket.close()
            finished.signal()
        }
        thread.name = "ttcg-zap"
        thread.start()
    }

    /// Stops serving and waits for the thread (at most one poll interval, 100 ms). Close the
    /// server sockets first: afterwards libzmq admits new CURVE clients unchecked (see above).
    public func stop() {
        guard state.stop() else { return }
        finished.wait()
    }

    deinit { stop() }

    private static func serve(_ socket: ZMQSocket, authorize: @Sendable (ZAPRequest) -> Bool,
                              until state: StopFlag) {
        while !state.isStopped {
            do {
                guard let frames = try socket.receive(timeout: .milliseconds(100)) else { continue }
                try socket.send(reply(to: frames, authorize: authorize))
            } catch {
                return   // .terminated (context closed) or a broken socket: nothing to serve
            }
        }
    }

    /// The six reply frames of RFC 27: version, request id, status code, status text,
    /// user id, metadata.
    static func reply(to frames: [[UInt8]], authorize: (ZAPRequest) -> Bool) -> [[UInt8]] {
        let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
        let requestID = frames.count > 1 ? frames[1] : []
        guard frames.count >= 6, text(frames[0]) == "1.0" else {
            return [Array("1.0".utf8), requestID, Array("500".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let mechanism = text(frames[5])
        let key = mechanism == "CURVE" && frames.count >= 7 ? z85Encode(frames[6]) : nil
        let request = ZAPRequest(domain: text(frames[2]), address: text(frames[3]),
                                 routingID: frames[4], mechanism: mechanism, clientPublicKey: key)
        if authorize(request) {
            return [Array("1.0".utf8), requestID, Array("200".utf8), Array("OK".utf8), Array((key ?? "").utf8), []]
        }
        return [Array("1.0".utf8), requestID, Array("400".utf8), Array("not authorized".utf8), [], []]
    }
}

private final class StopFlag: @unchecked Sendable {
    // @unchecked: `stopped` is only read and written under `lock`.
    private let lock = NSLock()
    private var stopped = false

    var isStopped: Bool { lock.withLock { stopped } }

    /// Sets the flag; true if this call is the one that set it.
    func stop() -> Bool {
        lock.withLock {
            defer { stopped = true }
            return !stopped
        }
    }
}

/// Carries a socket to the thread that will own it from then on.
private struct Handoff: @unchecked Sendable {
    // @unchecked: used exactly once, to move the socket to the handler thread (see init).
    let socket: ZMQSocket
}
