// A result sink that watches what passes through it: the coordinator's sink (the results
// session, or memory in tests) is wrapped, every call is forwarded unchanged, and on the
// coordinator's thread the live science, the failures and the bytes of results accepted are
// kept up to date for the dashboard.

import Engine
import Sweep

/// A failed point (or a failed item's run of points) as the dashboard lists it.
public struct FailureRecord: Sendable, Equatable {
    /// The market's name (outside text).
    public var market: String
    /// The global point index of the first failed point (the `errors/point` of the results).
    public var point: Int
    /// How many consecutive points failed with this message (1 for a point of a block; an
    /// item's count when the item failed on every attempt).
    public var points: Int
    /// The worker's or coordinator's message (outside text), cut to `FailureLog.messageLimit`.
    public var message: String

    public init(market: String, point: Int, points: Int, message: String) {
        self.market = market
        self.point = point
        self.points = points
        self.message = message
    }
}

/// The last failures (bounded) and how many points failed in all.
public struct FailureLog: Sendable, Equatable {
    /// Records kept (the last ones).
    public static let capacity = 50
    /// Characters kept of a message.
    public static let messageLimit = 1_000
    public private(set) var records: [FailureRecord] = []
    /// Points failed in this run, kept or not.
    public private(set) var totalPoints = 0

    public init() {}

    public mutating func add(_ record: FailureRecord) {
        var r = record
        if r.message.count > Self.messageLimit { r.message = String(r.message.prefix(Self.messageLimit)) + "..." }
        records.append(r)
        if records.count > Self.capacity { records.removeFirst(records.count - Self.capacity) }
        totalPoints += r.points
    }
}

/// A `ResultSink` decorator: forwards every call to `inner` and observes what was accepted.
/// Runs on the coordinator's thread, as every sink does.
public final class ObservedSink: ResultSink {
    /// The sink that stores the results.
    public let inner: ResultSink
    let marketNames: [String]
    /// The science of the points accepted so far (in this run).
    public private(set) var science: LiveScience
    /// The failed points of this run.
    public private(set) var failures = FailureLog()
    /// Bytes of results accepted: the encoded result blocks the sink received.
    public private(set) var resultBytes = 0

    public init(wrapping inner: ResultSink, plan: SweepPlan) {
        self.inner = inner
        self.marketNames = plan.markets.map(\.name)
        self.science = LiveScience(plan: plan)
    }

    public func write(_ block: ResultBlock, item: WorkItem) throws {
        try inner.write(block, item: item)
        resultBytes += Self.columnBytes(block)
        observe(block, item: item)
    }

    public func write(_ block: ResultBlock, encoded: ArraySlice<UInt8>, item: WorkItem) throws {
        try inner.write(block, encoded: encoded, item: item)
        resultBytes += encoded.count
        observe(block, item: item)
    }

    public func recordFailure(item: WorkItem, message: String) throws {
        try inner.recordFailure(item: item, message: message)
        failures.add(FailureRecord(market: marketNames[item.market], point: item.start, points: item.count, message: message))
    }

    public func tick() throws {
        try inner.tick()
    }

    func observe(_ block: ResultBlock, item: WorkItem) {
        science.add(block, market: item.market)
        if !block.errors.isEmpty {
            for (point, message) in block.errors.sorted(by: { $0.key < $1.key }) {
                failures.add(FailureRecord(market: marketNames[item.market], point: point, points: 1, message: message))
            }
        }
    }

    /// The bytes of a block's columns (a block handed over without its encoding: in-process
    /// sweeps and tests).
    static func columnBytes(_ b: ResultBlock) -> Int {
        b.float64.reduce(0) { $0 + $1.count * 8 } + b.int32.reduce(0) { $0 + $1.count * 4 }
            + b.int64.reduce(0) { $0 + $1.count * 8 } + b.uint8.reduce(0) { $0 + $1.count }
    }
}
