// Helpers for the Wire tests: real sockets over loopback TCP, a thread runner and a seeded
// random generator. Public API of Wire only.
import Foundation
import Wire
import XCTest

/// How long a test waits for something that should arrive, before it fails instead of hanging.
let patience: Duration = .seconds(10)

/// Moves a value to the one thread that uses it from then on (a socket migrating threads,
/// which libzmq allows; Swift cannot see that the sender never touches it again).
struct Transfer<T>: @unchecked Sendable {
    let value: T
}

/// Runs `body` on its own thread; `join` waits and rethrows what it threw.
final class Background: @unchecked Sendable {
    // @unchecked: `failure` is written once by the thread before `done` is signalled and read
    // after waiting on `done`.
    private let done = DispatchSemaphore(value: 0)
    private var failure: (any Error)?

    init(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { failure = error }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func join(file: StaticString = #filePath, line: UInt = #line) throws {
        guard done.wait(timeout: .now() + 60) == .success else {
            XCTFail("background thread did not finish in 60 s", file: file, line: line)
            return
        }
        if let failure { throw failure }
    }
}

/// The message that stops `startEchoServer`.
let stopFrame: [UInt8] = Array("stop".utf8)

/// A ROUTER on `tcp://127.0.0.1:<port chosen by the OS>` that sends every message back to its
/// sender until it receives `stopFrame`. Returns the thread and the endpoint to connect to.
func startEchoServer(_ context: ZMQContext, configure: (ZMQSocket) throws -> Void = { _ in })
    throws -> (server: Background, endpoint: String) {
    let router = try context.socket(.router)
    try configure(router)
    try router.bind("tcp://127.0.0.1:*")
    let endpoint = try XCTUnwrap(router.lastEndpoint)
    let handoff = Transfer(value: router)
    let server = Background("echo") {
        let router = handoff.value
        while let message = try router.receiveRouted(timeout: .seconds(30)) {
            if message.frames == [stopFrame] { return }
            try router.send(to: message.peer, message.frames)
        }
        throw WireError.malformed("echo server: no message for 30 s")
    }
    return (server, endpoint)
}

/// Sends `count` messages of `frames` through `dealer` to an echo server, keeping at most
/// `window` in flight, and returns how many came back.
func pump(_ dealer: ZMQSocket, count: Int, window: Int, frames: [[UInt8]]) throws -> Int {
    var sent = 0, received = 0
    while received < count {
        while sent < count && sent - received < window {
            try dealer.send(frames)
            sent += 1
        }
        guard let reply = try dealer.receive(timeout: patience) else {
            throw WireError.malformed("no reply after \(received) of \(count)")
        }
        if reply == frames { received += 1 } else {
            throw WireError.malformed("reply \(received) differs from what was sent")
        }
    }
    return received
}

/// SplitMix64: a small, fast, seedable generator, so property tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
