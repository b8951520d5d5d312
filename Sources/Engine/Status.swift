// What `ttcg status` shows: a snapshot of the coordinator, as a value and as JSON.

import Foundation
import Sweep

public struct WorkerStatus: Sendable, Equatable, Codable {
    public var id: Int
    public var host: String
    public var pid: Int
    public var threads: Int
    public var itemsDone: Int
    public var leased: Int
    /// Seconds since the worker was last heard from.
    public var lastHeartbeatAge: Double
    /// "active", or "quarantined" (its failures were refuted elsewhere; it gets no items).
    public var state: String
    /// Seconds it reported playing items.
    public var busySeconds: Double

    enum CodingKeys: String, CodingKey {
        case id, host, pid, threads, leased, state
        case itemsDone = "items_done"
        case lastHeartbeatAge = "last_heartbeat_age"
        case busySeconds = "busy_seconds"
    }
}

/// One market's progress.
public struct MarketProgress: Sendable, Equatable, Codable {
    public var name: String
    public var pointsTotal: Int
    public var pointsDone: Int

    enum CodingKeys: String, CodingKey {
        case name
        case pointsTotal = "points_total", pointsDone = "points_done"
    }
}

public struct SweepStatus: Sendable, Equatable, Codable {
    public var job: String
    public var specHash: String
    public var finished: Bool
    public var itemsTotal: Int
    public var itemsDone: Int
    public var itemsLeased: Int
    public var itemsQueued: Int
    public var itemsFailed: Int
    public var pointsTotal: Int
    public var pointsDone: Int
    public var pointsFailed: Int
    public var gamesPerSecond: Double
    public var etaSeconds: Double?
    public var elapsedSeconds: Double
    public var workers: [WorkerStatus]
    /// Messages dropped: undecodable, late duplicates, results for items not leased to the sender.
    public var droppedMalformed: Int
    public var droppedDuplicate: Int
    public var droppedNotLeased: Int
    /// Peers refused: by ZAP (CURVE keys not authorized) or by the protocol.
    public var refusedPeers: Int
    /// Connections shut down beyond the cap that keeps file descriptors for the files.
    public var refusedConnections: Int
    /// Handshakes that failed before ZAP: no CURVE, another server key, not ZeroMQ at all.
    public var failedHandshakes: Int
    /// Items put back in the queue after a worker failed, fell silent or stalled.
    public var itemsRedone: Int
    /// Copies of items given to idle workers at the tail, and leases taken back from items
    /// that ran past their deadline.
    public var itemsCopied: Int
    public var leasesExpired: Int
    /// Per market, in spec order.
    public var markets: [MarketProgress]

    enum CodingKeys: String, CodingKey {
        case job, finished, workers, markets
        case itemsRedone = "items_redone", itemsCopied = "items_copied", leasesExpired = "leases_expired"
        case specHash = "spec_hash"
        case itemsTotal = "items_total", itemsDone = "items_done", itemsLeased = "items_leased"
        case itemsQueued = "items_queued", itemsFailed = "items_failed"
        case pointsTotal = "points_total", pointsDone = "points_done", pointsFailed = "points_failed"
        case gamesPerSecond = "games_per_second", etaSeconds = "eta_seconds", elapsedSeconds = "elapsed_seconds"
        case droppedMalformed = "dropped_malformed", droppedDuplicate = "dropped_duplicate"
        case droppedNotLeased = "dropped_not_leased", refusedPeers = "refused_peers", refusedConnections = "refused_connections"
        case failedHandshakes = "failed_handshakes"
    }

    /// One JSON object (keys sorted), for `ttcg status --json`.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? String(data: encoder.encode(self), encoding: .utf8)) ?? "{}"
    }

    public static func parse(json: String) -> SweepStatus? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(SweepStatus.self, from: Data(json.utf8))
    }

    /// `12,345 / 42,120 games (29%)  1,234 games/s  ETA 0:24`.
    public var progressLine: String {
        let fraction = pointsTotal > 0 ? Double(pointsDone) / Double(pointsTotal) : 1
        var line = "\(grouped(pointsDone)) / \(grouped(pointsTotal)) games (\(Int((fraction * 100).rounded(.down)))%)"
        line += "  \(grouped(Int(gamesPerSecond.rounded()))) games/s"
        if let eta = etaSeconds, !finished { line += "  ETA \(clock(eta))" }
        if itemsFailed > 0 || pointsFailed > 0 { line += "  failed \(grouped(pointsFailed))" }
        return line
    }
}


/// Seconds as `m:ss` or `h:mm:ss`.
public func clock(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) }
    return String(format: "%d:%02d", s / 60, s % 60)
}
