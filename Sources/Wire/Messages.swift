import CZeroMQ
import Foundation

/// A message as a ROUTER sees it: the peer's routing id (the frame libzmq prepends) and the
/// frames the peer sent.
public struct RoutedMessage: Sendable, Equatable {
    /// Who sent it; pass it back to `send(to:_:)` to answer. Stable for the connection's
    /// life: the DEALER's `routingID` if it set one, else 5 bytes libzmq made up.
    public var peer: [UInt8]
    public var frames: [[UInt8]]
    /// The user id the ZAP handler gave this connection (with `ZAPAuthenticator`, a CURVE
    /// client's Z85 public key); nil without ZAP. Unlike `peer`, the peer cannot choose it.
    public var userID: String?

    public init(peer: [UInt8], frames: [[UInt8]], userID: String? = nil) {
        self.peer = peer
        self.frames = frames
        self.userID = userID
    }
}

extension ZMQSocket {
    // MARK: Sending

    /// Sends `frames` as one multipart message (all or nothing, as ZeroMQ delivers it).
    ///
    /// - Parameter dontWait: fail fast instead of blocking when the peer's queue is full
    ///   (high-water mark) or, on a DEALER, when no peer is connected yet.
    /// - Returns: false if the message could not be queued without blocking (`EAGAIN`; only
    ///   with `dontWait` or a send timeout). Nothing was sent then.
    /// - Throws: `.invalidArgument` for zero frames; `.zmq` with `EHOSTUNREACH` from a ROUTER
    ///   with `routerMandatory` when the peer is unknown; `.terminated` after `context.close()`.
    @discardableResult
    public func send<Frames: Collection>(_ frames: Frames, dontWait: Bool = false) throws(WireError) -> Bool
    where Frames.Element: ContiguousBytes {
        guard !frames.isEmpty else { throw .invalidArgument("a message needs at least one frame") }
        let handle = try open()
        var index = frames.startIndex
        var first = true
        while index != frames.endIndex {
            let next = frames.index(after: index)
            let more = next != frames.endIndex
            if try !sendFrame(handle, frames[index], more: more, dontWait: dontWait && first) {
                return false
            }
            first = false
            index = next
        }
        return true
    }

    /// ROUTER: sends `frames` to the peer with routing id `peer`. Without `routerMandatory`
    /// a message to an unknown peer, or to one whose queue is full, is silently dropped
    /// (libzmq's default) and this returns true; with it, the unknown peer throws
    /// `EHOSTUNREACH` and the full queue blocks (or returns false with `dontWait`).
    @discardableResult
    public func send<Frames: Collection>(to peer: [UInt8], _ frames: Frames,
                                         dontWait: Bool = false) throws(WireError) -> Bool
    where Frames.Element: ContiguousBytes {
        guard !frames.isEmpty else { throw .invalidArgument("a message needs at least one frame") }
        let handle = try open()
        if try !sendFrame(handle, peer, more: true, dontWait: dontWait) { return false }
        var index = frames.startIndex
        while index != frames.endIndex {
            let next = frames.index(after: index)
            _ = try sendFrame(handle, frames[index], more: next != frames.endIndex, dontWait: false)
            index = next
        }
        return true
    }

    /// One frame. Only the first frame of a message can meet a full queue: libzmq checks the
    /// high-water mark there and accepts the rest of a started message, so later frames are
    /// sent without `ZMQ_DONTWAIT` and a message is never left half sent.
    private func sendFrame(_ handle: UnsafeMutableRawPointer, _ frame: some ContiguousBytes,
                           more: Bool, dontWait: Bool) throws(WireError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while true {
            // zmq_send copies the bytes, so the buffer need not outlive the call.
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw WireError.failure("send", code: code)
        }
    }

    // MARK: Receiving

    /// Receives one whole multipart message.
    ///
    /// - Parameter timeout: nil waits forever (or for `receiveTimeout`), `.zero` only takes
    ///   what is already queued, anything else waits at most that long.
    /// - Returns: the frames, or nil if nothing arrived in time.
    public func receive(timeout: Duration?) throws(WireError) -> [[UInt8]]? {
        try receive(timeout: timeout, userID: nil)
    }

    private func receive(timeout: Duration?, userID: UnsafeMutablePointer<String?>?) throws(WireError) -> [[UInt8]]? {
        guard let timeout else { return try receiveNow(flags: 0, userID: userID) }
        if let frames = try receiveNow(flags: ZMQ_DONTWAIT, userID: userID) { return frames }
        if timeout <= .zero { return nil }
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            let ready = try ZMQSocket.poll([PollItem(self)], timeout: left)
            // Readable can still mean "nothing for you" (a handshake finished, say): try
            // again until the deadline.
            if ready[0].contains(.readable), let frames = try receiveNow(flags: ZMQ_DONTWAIT, userID: userID) {
                return frames
            }
        }
    }

    /// `receive(timeout: .zero)`: what is already queued, or nil.
    public func tryReceive() throws(WireError) -> [[UInt8]]? {
        try receiveNow(flags: ZMQ_DONTWAIT, userID: nil)
    }

    /// ROUTER: receives a message and splits off the sender's routing id.
    public func receiveRouted(timeout: Duration?) throws(WireError) -> RoutedMessage? {
        var userID: String?
        guard var frames = try receive(timeout: timeout, userID: &userID) else { return nil }
        let peer = frames.removeFirst()
        return RoutedMessage(peer: peer, frames: frames, userID: userID)
    }

    /// The frames of one message. The first frame is taken with `flags`; the rest are already
    /// here (ZeroMQ delivers messages atomically), so they are taken without waiting.
    /// With `userID`, also reads the connection's ZAP "User-Id" property (nil if empty).
    private func receiveNow(flags: Int32, userID: UnsafeMutablePointer<String?>?) throws(WireError) -> [[UInt8]]? {
        let handle = try open()
        zmq_msg_init(message)   // cannot fail
        // zmq_msg_recv releases the previous frame's content itself; this releases the last.
        defer { zmq_msg_close(message) }
        var frames: [[UInt8]] = []
        var flags = flags
        while true {
            if zmq_msg_recv(message, handle, flags) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frames.isEmpty { return nil }
                throw WireError.failure("receive", code: code)
            }
            let count = zmq_msg_size(message)
            if count == 0 {
                frames.append([])
            } else {
                frames.append(Array(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: count)))
            }
            if zmq_msg_more(message) == 0 {
                // The last frame came from the peer itself (a ROUTER makes up the first).
                if let userID, let text = zmq_msg_gets(message, "User-Id"), text.pointee != 0 {
                    userID.pointee = String(cString: text)
                }
                return frames
            }
            flags = 0
        }
    }

    // MARK: Polling

    /// Waits until one of `items` is ready (`zmq_poll`), retrying on `EINTR` with the time
    /// left. Returns each item's ready events, in order; all empty on timeout.
    ///
    /// - Parameter timeout: nil waits forever, `.zero` checks and returns at once.
    public static func poll(_ items: [PollItem], timeout: Duration?) throws(WireError) -> [PollEvents] {
        var raw = [zmq_pollitem_t]()
        raw.reserveCapacity(items.count)
        for item in items {
            raw.append(zmq_pollitem_t(socket: try item.socket.open(), fd: 0,
                                      events: Int16(item.events.rawValue), revents: 0))
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            var milliseconds = -1
            if let deadline {
                milliseconds = max(0, roundedUpMilliseconds(deadline - ContinuousClock.now))
            }
            let rc = raw.withUnsafeMutableBufferPointer {
                zmq_poll($0.baseAddress, Int32($0.count), milliseconds)
            }
            if rc >= 0 { return raw.map { PollEvents(rawValue: Int32($0.revents)) } }
            let code = zmq_errno()
            if code != EINTR { throw WireError.failure("poll", code: code) }
            if let deadline, ContinuousClock.now >= deadline {
                return Array(repeating: [], count: items.count)
            }
        }
    }
}

/// Whole milliseconds, rounded up so a short positive wait does not become a non-blocking
/// check, and capped well below `long`'s range.
func roundedUpMilliseconds(_ duration: Duration) -> Int {
    let (seconds, attoseconds) = duration.components
    if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
    if seconds >= 1_000_000_000 { return 1_000_000_000_000 }
    let perMillisecond: Int64 = 1_000_000_000_000_000
    return Int(seconds * 1_000 + (attoseconds + perMillisecond - 1) / perMillisecond)
}

/// What to wait for, and what happened, in `ZMQSocket.poll`.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// A whole message can be received.
    public static let readable = PollEvents(rawValue: ZMQ_POLLIN)
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: ZMQ_POLLOUT)
}

/// A socket and the events to wait for.
public struct PollItem {
    public let socket: ZMQSocket
    public let events: PollEvents

    public init(_ socket: ZMQSocket, events: PollEvents = .readable) {
        self.socket = socket
        self.events = events
    }
}
