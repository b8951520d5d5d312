// A socket's monitor (`zmq_socket_monitor`): what happens to its connections, which libzmq
// otherwise keeps to itself. The coordinator counts accepted connections against a cap
// (each costs a file descriptor) and handshakes that fail before ZAP.

import CZeroMQ

/// One event of a monitored socket.
public struct MonitorEvent: Sendable, Equatable {
    public var kind: Kind
    /// The event's value: the connection's file descriptor for accepted, disconnected and
    /// closed connections, an errno for failures.
    public var value: UInt32

    public enum Kind: Sendable, Equatable {
        case accepted, disconnected, closed, handshakeSucceeded
        /// Before ZAP: the peer speaks no ZMTP, another mechanism, or has the wrong key.
        case handshakeFailedProtocol, handshakeFailedNoDetail
        /// Refused by ZAP (counted by the ZAP handler already).
        case handshakeFailedAuth
        case other(UInt16)

        init(_ raw: UInt16) {
            switch Int32(raw) {
            case ZMQ_EVENT_ACCEPTED: self = .accepted
            case ZMQ_EVENT_DISCONNECTED: self = .disconnected
            case ZMQ_EVENT_CLOSED: self = .closed
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth
            default: self = .other(raw)
            }
        }
    }
}

/// The monitor of one socket: a PAIR socket on the same context that receives its events.
/// Like any socket, use it from one thread.
public final class ZMQMonitor {
    public let socket: ZMQSocket

    /// Starts monitoring `monitored` for accepted and lost connections and handshake outcomes.
    public init(_ monitored: ZMQSocket) throws(WireError) {
        let endpoint = "inproc://ttcg-monitor-\(UInt(bitPattern: ObjectIdentifier(monitored).hashValue))"
        let events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        guard zmq_socket_monitor(try monitored.open(), endpoint, events) == 0 else {
            throw WireError.failure("zmq_socket_monitor", endpoint: endpoint)
        }
        socket = try monitored.context.socket(.pair)
        try socket.connect(endpoint)
    }

    /// The next event if one is waiting (never blocks).
    public func next() throws(WireError) -> MonitorEvent? {
        guard let frames = try socket.tryReceive() else { return nil }
        // Frame 1: a 16-bit event and a 32-bit value (native byte order); frame 2: the address.
        guard let first = frames.first, first.count >= 6 else { return nil }
        let (raw, value) = first.withUnsafeBytes { ($0.loadUnaligned(as: UInt16.self), $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self)) }
        return MonitorEvent(kind: .init(raw), value: value)
    }

    public func close() { socket.close() }
}
