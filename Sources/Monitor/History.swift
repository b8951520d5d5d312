// What the dashboard remembers between two statuses: the throughput over time (games done
// against seconds, bounded and decimated), and the workers seen so far (so a worker that
// fell silent and was released still shows, as lost).

import Engine

/// Games done against the sweep's elapsed seconds, one sample per published status. At most
/// `capacity` samples: when full, every other one is dropped, so old times get coarser and
/// the whole run stays in view.
public struct ThroughputHistory: Sendable, Equatable {
    public static let capacity = 600
    public private(set) var seconds: [Double] = []
    public private(set) var points: [Int] = []

    public init() {}

    public mutating func add(seconds t: Double, points p: Int) {
        if let last = seconds.last, t <= last { return }
        seconds.append(t)
        points.append(p)
        if seconds.count > Self.capacity {
            // Keep the even samples and the newest.
            let keep = seconds.indices.filter { $0 % 2 == 0 || $0 == seconds.count - 1 }
            seconds = keep.map { seconds[$0] }
            points = keep.map { points[$0] }
        }
    }

    /// Games per second between consecutive samples, at the later sample's time.
    public var rates: [(seconds: Double, rate: Double)] {
        guard seconds.count > 1 else { return [] }
        return (1..<seconds.count).map { i in
            (seconds[i], Double(points[i] - points[i - 1]) / (seconds[i] - seconds[i - 1]))
        }
    }
}

/// A row of the workers table.
public struct WorkerRow: Sendable, Equatable {
    public var id: Int
    /// The host name from the worker's HELLO (outside text).
    public var host: String
    public var pid: Int
    public var threads: Int
    public var itemsDone: Int
    /// Items done over the seconds since the dashboard first saw the worker.
    public var itemsPerSecond: Double
    /// Seconds since the worker was last heard from.
    public var lastHeard: Double
    /// `active`, `lost` (silent beyond the timeout, or released by the coordinator) or
    /// `quarantined`.
    public var state: String
}

/// Every worker seen, by id: the latest status's workers as they are, and those the
/// coordinator released since (silent or gone) as lost, the most recent `lostCapacity`.
struct WorkerRoster: Sendable {
    static let lostCapacity = 64
    /// The coordinator's timeout: a worker silent longer is lost (nil: only when released).
    let timeoutSeconds: Double?
    /// When each worker was first seen (the sweep's elapsed seconds), and its last status.
    var firstSeen: [Int: Double] = [:]
    var lost: [(status: WorkerStatus, atElapsed: Double)] = []
    var last: [WorkerStatus] = []

    init(timeoutSeconds: Double?) {
        self.timeoutSeconds = timeoutSeconds
    }

    /// Takes the workers of `status`; returns the table's rows (connected workers by id, then
    /// the lost ones, most recent first).
    mutating func update(_ status: SweepStatus) -> [WorkerRow] {
        let now = status.elapsedSeconds
        let current = Set(status.workers.map(\.id))
        for w in last where !current.contains(w.id) {
            lost.insert((w, now), at: 0)
        }
        if lost.count > Self.lostCapacity {
            for gone in lost[Self.lostCapacity...] { firstSeen[gone.status.id] = nil }
            lost.removeLast(lost.count - Self.lostCapacity)
        }
        for w in status.workers where firstSeen[w.id] == nil { firstSeen[w.id] = max(0, now - w.lastHeartbeatAge) }
        last = status.workers
        func row(_ w: WorkerStatus, at t: Double, lastHeard: Double, state: String) -> WorkerRow {
            let connected = max(t - (firstSeen[w.id] ?? t), 0.5)
            return WorkerRow(id: w.id, host: w.host, pid: w.pid, threads: w.threads, itemsDone: w.itemsDone,
                             itemsPerSecond: Double(w.itemsDone) / connected, lastHeard: lastHeard, state: state)
        }
        var rows = status.workers.map { w in
            let silent = timeoutSeconds.map { w.lastHeartbeatAge > $0 } ?? false
            return row(w, at: now, lastHeard: w.lastHeartbeatAge, state: silent && w.state == "active" ? "lost" : w.state)
        }
        rows += lost.map { row($0.status, at: $0.atElapsed, lastHeard: $0.status.lastHeartbeatAge + now - $0.atElapsed, state: "lost") }
        return rows
    }
}
