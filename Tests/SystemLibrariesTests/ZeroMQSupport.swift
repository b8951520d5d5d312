// Thin helpers over the libzmq C API, just enough for the smoke test.
// Every failure names libzmq, the call and the errno text, so a red CI log says
// which system library to look at.
import CZeroMQ

/// A libzmq call that failed.
struct ZeroMQFailure: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    var description: String {
        let reason = String(cString: zmq_strerror(code))
        let hint = code == EAGAIN ? " (timed out after \(zmqTimeoutMilliseconds) ms)" : ""
        return "libzmq is broken: \(call) failed: \(reason) [errno \(code)]\(hint)"
    }
}

/// How long a send or receive may block before the test gives up instead of hanging CI.
let zmqTimeoutMilliseconds: Int32 = 5_000

/// Throws `ZeroMQFailure` if `rc` is negative (libzmq's error convention).
@discardableResult
func zmqCheck(_ rc: Int32, _ call: @autoclosure () -> String) throws -> Int32 {
    guard rc >= 0 else { throw ZeroMQFailure(call: call(), code: zmq_errno()) }
    return rc
}

/// The runtime library version, e.g. "4.3.4".
func zmqRuntimeVersion() -> String {
    var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
    zmq_version(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
}

/// The version of the headers we compiled against, e.g. "4.3.4".
func zmqHeaderVersion() -> String {
    let v = ttcg_zmq_header_version()
    return "\(v / 10_000).\(v / 100 % 100).\(v % 100)"
}

/// Runs `body` with a fresh context and terminates it afterwards.
/// Sockets opened in `body` must be closed before it returns (see `withSocket`).
func withZeroMQContext<R>(_ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
    guard let context = zmq_ctx_new() else {
        throw ZeroMQFailure(call: "zmq_ctx_new", code: zmq_errno())
    }
    defer { zmq_ctx_term(context) }
    return try body(context)
}

/// Opens a socket with linger 0 and bounded send/receive timeouts, runs `body`, closes it.
func withSocket<R>(_ context: UnsafeMutableRawPointer, type: Int32,
                   _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
    guard let socket = zmq_socket(context, type) else {
        throw ZeroMQFailure(call: "zmq_socket(type \(type))", code: zmq_errno())
    }
    defer { zmq_close(socket) }
    try setOption(socket, ZMQ_LINGER, 0, "ZMQ_LINGER")
    try setOption(socket, ZMQ_RCVTIMEO, zmqTimeoutMilliseconds, "ZMQ_RCVTIMEO")
    try setOption(socket, ZMQ_SNDTIMEO, zmqTimeoutMilliseconds, "ZMQ_SNDTIMEO")
    return try body(socket)
}

private func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32,
                       _ name: String) throws {
    var value = value
    try zmqCheck(zmq_setsockopt(socket, option, &value, MemoryLayout<Int32>.size),
                 "zmq_setsockopt(\(name))")
}

/// The endpoint a socket actually bound to: resolves the port of "tcp://127.0.0.1:*".
func lastEndpoint(_ socket: UnsafeMutableRawPointer) throws -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    var length = buffer.count
    try zmqCheck(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &length),
                 "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
    return decodeCString(buffer)
}

/// Sends `bytes` as one message.
func send(_ bytes: [UInt8], on socket: UnsafeMutableRawPointer, _ endpoint: String) throws {
    let sent = try bytes.withUnsafeBytes { raw in
        try zmqCheck(zmq_send(socket, raw.baseAddress, raw.count, 0), "zmq_send on \(endpoint)")
    }
    guard Int(sent) == bytes.count else {
        throw ZeroMQFailure(call: "zmq_send on \(endpoint) sent \(sent) of \(bytes.count) bytes", code: 0)
    }
}

/// Receives one whole message, whatever its size (zmq_msg_t, so nothing is truncated).
func receive(on socket: UnsafeMutableRawPointer, _ endpoint: String) throws -> [UInt8] {
    var message = zmq_msg_t()
    try zmqCheck(zmq_msg_init(&message), "zmq_msg_init")
    defer { zmq_msg_close(&message) }
    try zmqCheck(zmq_msg_recv(&message, socket, 0), "zmq_msg_recv on \(endpoint)")
    let count = zmq_msg_size(&message)
    guard count > 0, let data = zmq_msg_data(&message) else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: count))
}
