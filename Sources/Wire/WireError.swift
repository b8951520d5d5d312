import CZeroMQ

/// Everything that can go wrong in `Wire`, as one value with a one-line `description`.
///
/// Socket failures keep libzmq's `errno` (`code`) so callers can branch on the few that mean
/// something to a protocol (`EHOSTUNREACH` from a ROUTER with `routerMandatory`, for instance),
/// while the description is what a user reads: the operation, the endpoint and `zmq_strerror`'s
/// text, e.g. `bind tcp://127.0.0.1:5555: Address already in use`.
public enum WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A libzmq call failed. `endpoint` is set for bind, connect, unbind and disconnect.
    case zmq(operation: String, endpoint: String?, code: Int32)
    /// The context was closed (`ZMQContext.close()`): blocking calls return, sockets are dead.
    /// Loops should treat this as "stop", not as a fault.
    case terminated
    /// The socket was used after `ZMQSocket.close()`.
    case closed
    /// The caller passed something libzmq would reject (a 300-byte routing id, an empty
    /// message, a CURVE key that is not 40 characters of Z85, ...).
    case invalidArgument(String)
    /// Bytes from the wire that do not decode: truncated, oversize, invalid UTF-8, trailing
    /// bytes, a non-finite number where a finite one is required. Peers can send anything, so
    /// this is an expected outcome to count and drop, never a reason to crash.
    case malformed(String)

    /// libzmq's `errno` for `.zmq` (and `ETERM` for `.terminated`), `nil` otherwise.
    public var code: Int32? {
        switch self {
        case .zmq(_, _, let code): return code
        case .terminated: return ETERM
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case let .zmq(operation, endpoint, code):
            let reason = String(cString: zmq_strerror(code))
            if let endpoint { return "\(operation) \(endpoint): \(reason)" }
            return "\(operation): \(reason)"
        case .terminated:
            return "the ZeroMQ context was closed"
        case .closed:
            return "the socket is closed"
        case .invalidArgument(let message):
            return "invalid argument: \(message)"
        case .malformed(let message):
            return "malformed message: \(message)"
        }
    }

    /// The error for a libzmq call that just returned -1; reads `zmq_errno()` unless told.
    /// `ETERM` becomes `.terminated` so every loop can stop on the same case.
    static func failure(_ operation: String, endpoint: String? = nil,
                        code: Int32 = zmq_errno()) -> WireError {
        code == ETERM ? .terminated : .zmq(operation: operation, endpoint: endpoint, code: code)
    }
}
