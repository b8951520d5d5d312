import CZeroMQ

/// The ZeroMQ socket types ttcg can use. The coordinator is a `.router`, workers are
/// `.dealer`s (the zguide's Paranoid Pirate pattern); the rest are here for tests and tools.
public enum ZMQSocketType: Sendable, Hashable {
    case pair, publisher, subscriber, request, reply, dealer, router, pull, push

    var raw: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        }
    }
}

/// A ZeroMQ socket.
///
/// Not `Sendable`, on purpose: libzmq sockets must not be used from two threads at once.
/// Swift 6 still lets you hand a socket to another thread for good (region-based isolation,
/// `sending`), which is the migration libzmq allows. Create it where it will live when you can.
///
/// Sockets start with linger 0: closing one drops unsent messages instead of making the
/// context's termination wait for peers that may be gone (the zguide's advice for
/// request-reply). Set `.linger` if a final message must get out.
public final class ZMQSocket {
    public let type: ZMQSocketType
    /// Kept so the context outlives its sockets (`zmq_ctx_term` would block otherwise).
    public let context: ZMQContext

    /// nil once closed.
    var handle: UnsafeMutableRawPointer?
    /// One zmq_msg_t per socket, allocated once, so its address is stable across the libzmq
    /// calls that fill it (a Swift local passed with `&` only guarantees that per call).
    let message: UnsafeMutablePointer<zmq_msg_t>

    init(context: ZMQContext, type: ZMQSocketType) throws(WireError) {
        guard let handle = zmq_socket(context.handle, type.raw) else {
            throw WireError.failure("zmq_socket(\(type))")
        }
        self.handle = handle
        self.type = type
        self.context = context
        message = .allocate(capacity: 1)
        try set(.linger(milliseconds: 0))
    }

    deinit {
        close()
        message.deallocate()
    }

    /// Closes the socket now (`zmq_close`); later calls throw `WireError.closed`. Idempotent.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    public var isClosed: Bool { handle == nil }

    /// The live handle, or `.closed`.
    func open() throws(WireError) -> UnsafeMutableRawPointer {
        guard let handle else { throw .closed }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint`, e.g. `tcp://127.0.0.1:5555`, or `tcp://127.0.0.1:*` for a port the
    /// OS chooses (read it back from `lastEndpoint`). A busy port throws
    /// `bind tcp://127.0.0.1:5555: Address already in use`.
    public func bind(_ endpoint: String) throws(WireError) {
        try endpointCall("bind", endpoint, zmq_bind)
    }

    /// Connects to `endpoint`. This succeeds even when nothing listens there: libzmq connects
    /// (and reconnects) in the background, so a dead peer shows up as silence, not an error.
    public func connect(_ endpoint: String) throws(WireError) {
        try endpointCall("connect", endpoint, zmq_connect)
    }

    /// Unbinds; for a wildcard bind pass the resolved `lastEndpoint`, not the `*` form.
    public func unbind(_ endpoint: String) throws(WireError) {
        try endpointCall("unbind", endpoint, zmq_unbind)
    }

    public func disconnect(_ endpoint: String) throws(WireError) {
        try endpointCall("disconnect", endpoint, zmq_disconnect)
    }

    private func endpointCall(_ operation: String, _ endpoint: String,
                              _ call: (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32)
        throws(WireError) {
        let handle = try open()
        guard call(handle, endpoint) == 0 else {
            throw WireError.failure(operation, endpoint: endpoint)
        }
    }

    /// The endpoint of the last bind or connect, with the port resolved
    /// (`tcp://127.0.0.1:41234` after binding `tcp://127.0.0.1:*`); nil if there was none.
    public var lastEndpoint: String? {
        guard let bytes = try? bytesOption(ZMQ_LAST_ENDPOINT, capacity: 1_024) else { return nil }
        let text = decodeCString(bytes.map { CChar(bitPattern: $0) })
        return text.isEmpty ? nil : text
    }

    /// The routing id this socket presents to a ROUTER peer, if one was set.
    public var routingID: [UInt8]? {
        guard let bytes = try? bytesOption(ZMQ_ROUTING_ID, capacity: 256), !bytes.isEmpty else {
            return nil
        }
        return bytes
    }

    // MARK: Options

    /// Sets options in order; set them before `bind`/`connect`, as libzmq applies most of them
    /// (CURVE keys, routing id, heartbeats) to connections made afterwards only.
    public func set(_ options: SocketOption...) throws(WireError) {
        for option in options { try set(option) }
    }

    public func set(_ option: SocketOption) throws(WireError) {
        switch option {
        case .linger(let ms): try setInt32(ZMQ_LINGER, ms, "ZMQ_LINGER")
        case .sendHighWaterMark(let n): try setInt32(ZMQ_SNDHWM, n, "ZMQ_SNDHWM")
        case .receiveHighWaterMark(let n): try setInt32(ZMQ_RCVHWM, n, "ZMQ_RCVHWM")
        case .maxMessageSize(let n): try setInt64(ZMQ_MAXMSGSIZE, n, "ZMQ_MAXMSGSIZE")
        case .routingID(let id):
            guard (1...255).contains(id.count) else {
                throw .invalidArgument("a routing id has 1 to 255 bytes, got \(id.count)")
            }
            try setBytes(ZMQ_ROUTING_ID, id, "ZMQ_ROUTING_ID")
        case .routerMandatory(let on): try setInt32(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "ZMQ_ROUTER_MANDATORY")
        case .immediate(let on): try setInt32(ZMQ_IMMEDIATE, on ? 1 : 0, "ZMQ_IMMEDIATE")
        case .reconnectInterval(let ms): try setInt32(ZMQ_RECONNECT_IVL, ms, "ZMQ_RECONNECT_IVL")
        case .reconnectIntervalMax(let ms): try setInt32(ZMQ_RECONNECT_IVL_MAX, ms, "ZMQ_RECONNECT_IVL_MAX")
        case .heartbeatInterval(let ms): try setInt32(ZMQ_HEARTBEAT_IVL, ms, "ZMQ_HEARTBEAT_IVL")
        case .heartbeatTimeout(let ms): try setInt32(ZMQ_HEARTBEAT_TIMEOUT, ms, "ZMQ_HEARTBEAT_TIMEOUT")
        case .heartbeatTTL(let ms): try setInt32(ZMQ_HEARTBEAT_TTL, ms, "ZMQ_HEARTBEAT_TTL")
        case .handshakeInterval(let ms): try setInt32(ZMQ_HANDSHAKE_IVL, ms, "ZMQ_HANDSHAKE_IVL")
        case .sendTimeout(let ms): try setInt32(ZMQ_SNDTIMEO, ms, "ZMQ_SNDTIMEO")
        case .receiveTimeout(let ms): try setInt32(ZMQ_RCVTIMEO, ms, "ZMQ_RCVTIMEO")
        case .curveServer(let on): try setInt32(ZMQ_CURVE_SERVER, on ? 1 : 0, "ZMQ_CURVE_SERVER")
        case .curvePublicKey(let key): try setCurveKey(ZMQ_CURVE_PUBLICKEY, key, "ZMQ_CURVE_PUBLICKEY")
        case .curveSecretKey(let key): try setCurveKey(ZMQ_CURVE_SECRETKEY, key, "ZMQ_CURVE_SECRETKEY")
        case .curveServerKey(let key): try setCurveKey(ZMQ_CURVE_SERVERKEY, key, "ZMQ_CURVE_SERVERKEY")
        case .zapDomain(let domain): try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8), "ZMQ_ZAP_DOMAIN")
        case .subscribe(let prefix): try setBytes(ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE")
        }
    }

    /// Escape hatch for an integer option `SocketOption` does not name (see zmq_setsockopt(3)).
    public func setRawOption(_ name: Int32, int32 value: Int32) throws(WireError) {
        try setInt32(name, value, "zmq_setsockopt(\(name))")
    }

    /// Reads an `int` option, e.g. `ZMQ_MECHANISM` or `ZMQ_EVENTS`.
    public func int32Option(_ name: Int32) throws(WireError) -> Int32 {
        let handle = try open()
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, name, &value, &size) == 0 else {
            throw WireError.failure("zmq_getsockopt(\(name))")
        }
        return value
    }

    private func setCurveKey(_ name: Int32, _ key: String, _ label: String) throws(WireError) {
        guard key.utf8.count == 40 else {
            throw .invalidArgument("\(label) takes a 40-character Z85 key, got \(key.utf8.count) characters")
        }
        try setBytes(name, Array(key.utf8), label)
    }

    private func setInt32(_ name: Int32, _ value: Int32, _ label: String) throws(WireError) {
        let handle = try open()
        var value = value
        guard zmq_setsockopt(handle, name, &value, MemoryLayout<Int32>.size) == 0 else {
            throw WireError.failure("zmq_setsockopt(\(label))")
        }
    }

    private func setInt64(_ name: Int32, _ value: Int64, _ label: String) throws(WireError) {
        let handle = try open()
        var value = value
        guard zmq_setsockopt(handle, name, &value, MemoryLayout<Int64>.size) == 0 else {
            throw WireError.failure("zmq_setsockopt(\(label))")
        }
    }

    private func setBytes(_ name: Int32, _ bytes: [UInt8], _ label: String) throws(WireError) {
        let handle = try open()
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw WireError.failure("zmq_setsockopt(\(label))") }
    }

    private func bytesOption(_ name: Int32, capacity: Int) throws(WireError) -> [UInt8] {
        let handle = try open()
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        guard zmq_getsockopt(handle, name, &buffer, &size) == 0 else {
            throw WireError.failure("zmq_getsockopt(\(name))")
        }
        return Array(buffer.prefix(size))
    }
}

/// The socket options ttcg uses (zmq_setsockopt(3) for the details). Times are milliseconds,
/// as in libzmq; -1 means "forever" where libzmq allows it.
public enum SocketOption: Sendable, Equatable {
    /// How long `close` waits to flush unsent messages. Wire's default is 0.
    case linger(milliseconds: Int32)
    /// Messages queued per peer before sends block or drop (libzmq default 1000; 0 = no limit).
    case sendHighWaterMark(Int32)
    case receiveHighWaterMark(Int32)
    /// Peers sending a bigger message are disconnected before it is buffered: the first line
    /// of defence for bounded memory (-1 = no limit, the default).
    case maxMessageSize(Int64)
    /// The id a DEALER presents to a ROUTER (1 to 255 bytes, not starting with a zero byte,
    /// which libzmq reserves for the ids it makes up). Set before `connect`.
    case routingID([UInt8])
    /// A ROUTER fails with `EHOSTUNREACH` when sending to an unknown peer instead of
    /// silently dropping the message, so the coordinator knows a worker is gone.
    case routerMandatory(Bool)
    /// Queue messages only to completed connections, so nothing waits for a peer that is
    /// not there yet.
    case immediate(Bool)
    case reconnectInterval(milliseconds: Int32)
    /// Exponential reconnect backoff up to this bound (0 = no backoff).
    case reconnectIntervalMax(milliseconds: Int32)
    /// ZMTP PING every interval; the connection is dropped after `heartbeatTimeout` of silence.
    /// This detects dead TCP connections; the application-level heartbeats of Paranoid Pirate
    /// (which also detect a hung peer process) still belong to the protocol.
    case heartbeatInterval(milliseconds: Int32)
    case heartbeatTimeout(milliseconds: Int32)
    /// Tells the peer to drop the connection after this much silence (rounded to 100 ms).
    case heartbeatTTL(milliseconds: Int32)
    /// Maximum time for the ZMTP (and CURVE) handshake; 0 = none. Default 30 s.
    case handshakeInterval(milliseconds: Int32)
    /// Blocking-call bounds (libzmq's ZMQ_SNDTIMEO/RCVTIMEO); `receive(timeout:)` does not
    /// need them.
    case sendTimeout(milliseconds: Int32)
    case receiveTimeout(milliseconds: Int32)
    /// This socket is the CURVE server (the coordinator); it needs `curveSecretKey`.
    case curveServer(Bool)
    /// 40-character Z85 keys (`CurveKeyPair`). A client sets its own pair and the server's
    /// public key (`curveServerKey`).
    case curvePublicKey(String)
    case curveSecretKey(String)
    case curveServerKey(String)
    /// The ZAP domain sent to the authentication handler (see `ZAPAuthenticator`).
    case zapDomain(String)
    /// SUB sockets only: receive messages starting with this prefix (empty = everything).
    case subscribe([UInt8])
}
