// The client side of the coordinator's status socket (`ttcg status`).

import Wire

public final class StatusClient {
    let context: ZMQContext
    let socket: ZMQSocket

    public init(connect: String, curve: CurveClientConfig? = nil) throws(EngineError) {
        do {
            context = try ZMQContext()
            socket = try context.socket(.dealer)
            try socket.set(.maxMessageSize(16 << 20))
            if let curve { try curve.configureClient(socket) }
            try socket.connect(connect)
        } catch {
            throw EngineError("ttcg status: --connect \(connect): \(error)", exitCode: 2)
        }
    }

    /// Asks for the status; nil when no valid answer arrives in time.
    public func fetch(timeoutSeconds: Double) -> SweepStatus? {
        guard (try? socket.send(Codec.encode(.statusRequest), dontWait: true)) != nil else { return nil }
        let deadline = monotonicSeconds() + timeoutSeconds
        while monotonicSeconds() < deadline {
            let left = max(0.001, deadline - monotonicSeconds())
            guard let frames = try? socket.receive(timeout: .milliseconds(Int(left * 1000))) else { return nil }
            if case .statusReply(let json)? = try? Codec.decode(frames), let s = SweepStatus.parse(json: json) { return s }
        }
        return nil
    }
}
