// What a coordinator is told: where it listens, how patient it is, how it hands out work.

import Foundation

/// How the coordinator listens and how patient it is.
public struct CoordinatorOptions: Sendable {
    public var bind: String
    public var statusBind: String?
    /// Heartbeats to workers, and how often silence is checked.
    public var heartbeatMilliseconds: UInt32 = 1000
    /// A worker silent this long loses its leases.
    public var timeoutMilliseconds: UInt32 = 10_000
    /// Attempts per item before it is recorded as failed (and, when other workers are
    /// connected, only once it failed on two of them).
    public var maxAttempts: Int = 3
    /// Estimated seconds of work a worker holds at most (at least two items, so one is
    /// always waiting while it plays the other): enough to hide the round trip, little
    /// enough that the tail is short.
    public var lookaheadSeconds: Double = 1
    /// Bytes of results a worker holds at most (beyond two items): what arrives at once is
    /// bounded, whatever the lookahead, so the coordinator's memory does not grow with
    /// cheap items.
    public var maxLeasedBytesPerWorker: Double = 2 * 1024 * 1024
    /// A lease also expires when its item runs past 10x its estimate and at least this long,
    /// even if the worker heartbeats.
    public var itemTimeoutSeconds: Double = 60
    /// A worker whose failures were refuted (the same items succeeded elsewhere) this many
    /// times, more often than it succeeded, gets no more items.
    public var quarantineAfter: Int = 3
    /// After the last item: how long to keep answering status clients and telling late
    /// workers the sweep is done.
    public var lingerSeconds: Double = 0.2
    /// Asked during the linger; true ends it early. `ttcg run` says so once its own worker
    /// processes have all exited and no status socket is open: nobody is left to answer.
    public var lingerEnds: (@Sendable () -> Bool)? = nil
    /// Workers admitted at once; a HELLO beyond this is refused ("too many workers").
    public var maxWorkers: Int = 1024
    /// No item is leased until this many workers have joined (counting every worker that
    /// ever joined, so one that leaves later does not stall the sweep).
    public var minWorkers: Int = 1
    /// CURVE: the coordinator's key and the clients it admits. Nil: plaintext, which is
    /// refused on a non-loopback endpoint unless `insecure`.
    public var curve: CurveServerConfig? = nil
    public var insecure = false
    /// Where refused CURVE clients are logged (the ZAP thread calls it).
    public var log: @Sendable (String) -> Void = { _ in }

    public init(bind: String, statusBind: String? = nil) {
        self.bind = bind
        self.statusBind = statusBind
    }
}
