import CZeroMQ

/// Facts about the libzmq this process runs against.
public enum ZMQLibrary {
    /// The runtime version, e.g. (4, 3, 4).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// `"4.3.4"`.
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// `zmq_has`: whether this build supports a capability ("curve", "ipc", "draft", ...).
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }

    /// CURVE needs libzmq built with libsodium (or its tweetnacl copy); check before
    /// promising encryption.
    public static var hasCurve: Bool { has("curve") }
}

/// A ZeroMQ context: the I/O threads and the registry of `inproc://` endpoints.
///
/// Make one per process and share it: libzmq documents contexts as thread safe, and inproc
/// endpoints (the ZAP handler's included) are only visible within one context.
/// Every socket keeps its context alive, so the context is terminated (`zmq_ctx_term`) when
/// the last of them and the context itself are gone, never while a socket is open (that would
/// block forever).
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: the only stored property is the context pointer, which is immutable here,
    // and libzmq's contexts are thread safe (zmq_ctx_new(3): "safe to be shared across threads").

    let handle: UnsafeMutableRawPointer

    /// - Parameter ioThreads: libzmq's background I/O threads; one handles about a gigabyte a
    ///   second, which is plenty for ttcg's small messages.
    public init(ioThreads: Int32 = 1) throws(WireError) {
        guard let handle = zmq_ctx_new() else { throw WireError.failure("zmq_ctx_new") }
        if ioThreads != 1, zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = WireError.failure("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
    }

    /// Opens a socket of `type` with linger 0 (see `ZMQSocket.init`).
    public func socket(_ type: ZMQSocketType) throws(WireError) -> ZMQSocket {
        try ZMQSocket(context: self, type: type)
    }

    /// Shuts the context down from any thread (`zmq_ctx_shutdown`): blocking calls in every
    /// thread return `WireError.terminated`, later calls fail the same way, and no new socket
    /// can be opened. It never blocks; the memory is freed once the sockets are released.
    public func close() {
        zmq_ctx_shutdown(handle)
    }

    deinit {
        // No socket can still be open (each holds a strong reference to us), so this only
        // waits for each socket's linger period, which defaults to 0 in Wire.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}

/// A CURVE key pair as Z85 text (40 characters each), the form `zmq_curve_keypair` gives,
/// key files hold and the socket options take.
public struct CurveKeyPair: Sendable, Equatable, CustomStringConvertible {
    public let publicKey: String
    public let secretKey: String

    /// A fresh key pair (`zmq_curve_keypair`). Fails with `ENOTSUP` if libzmq has no CURVE.
    public static func generate() throws(WireError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw WireError.failure("zmq_curve_keypair")
        }
        return CurveKeyPair(publicKey: decodeCString(publicKey), secretKey: decodeCString(secretKey))
    }

    /// The pair whose secret is `secretKey` (`zmq_curve_public`), for key files that only
    /// store the secret.
    public init(secretKey: String) throws(WireError) {
        guard secretKey.utf8.count == 40 else {
            throw .invalidArgument("a CURVE secret key is 40 characters of Z85, got \(secretKey.utf8.count)")
        }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw WireError.failure("zmq_curve_public")
        }
        self.init(publicKey: decodeCString(publicKey), secretKey: secretKey)
    }

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Shows the public key only, so a logged key pair never leaks its secret.
    public var description: String { "CurveKeyPair(public: \(publicKey))" }
}

/// Z85 encoding of a 32-byte binary key (as ZAP hands client keys over).
func z85Encode(_ key: [UInt8]) -> String? {
    guard key.count % 4 == 0 else { return nil }
    var text = [CChar](repeating: 0, count: key.count * 5 / 4 + 1)
    guard zmq_z85_encode(&text, key, key.count) != nil else { return nil }
    return decodeCString(text)
}

/// The text of a NUL-terminated C buffer.
func decodeCString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
