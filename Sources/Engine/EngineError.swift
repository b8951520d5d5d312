// Small pieces the engine's parts share: its error, the monotonic clock, the stop flag.

import Foundation

/// A bad-input or environment problem of the coordinator (busy port, bad endpoint).
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// 2 for input the user can fix, 1 otherwise.
    public var exitCode: Int32
    public init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// The refusal a welcomed worker gets from a coordinator that does not know it (one that
/// restarted): the worker says hello again instead of giving up.
public let unknownWorkerReason = "unknown worker: say hello first"

/// Seconds on a clock that only moves forward (for durations, never for dates).
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// A stop request that a signal handler (any thread) can make and the run loop reads.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    public init() {}
    public func request() { lock.lock(); stopped = true; lock.unlock() }
    public var isRequested: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
}
