// The Prometheus metrics of a running sweep, formatted by swift-prometheus: gauges set from
// the latest snapshot at each scrape, counters incremented by what grew since the last one
// (so they only ever grow). Every series carries the sweep's name and its full spec hash.

import Prometheus
import Synchronization

/// The `/metrics` exposition of one sweep.
public final class MetricsExposition: Sendable {
    /// The content type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4"

    let registry: PrometheusCollectorRegistry
    let pointsTotal: Gauge, pointsDone: Gauge, pointsFailed: Gauge
    let itemsRedone: Counter
    let workersActive: Gauge, workersLost: Gauge, workersQuarantined: Gauge
    let droppedMalformed: Counter, droppedDuplicate: Counter, droppedNotLeased: Counter
    let resultsBytes: Gauge, gamesPerSecond: Gauge
    /// The counters' values at the last scrape; a scrape renders under this lock too.
    let counted = Mutex<[String: Int]>([:])

    public init(sweep: String, specHash: String) {
        let labels = [("sweep", sweep), ("spec_hash", specHash)]
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ name: String, _ help: String, _ extra: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels + extra)
        }
        func counter(_ name: String, _ help: String, _ extra: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels + extra)
        }
        pointsTotal = gauge("ttcg_points_total", "Games (grid points) in the sweep.")
        pointsDone = gauge("ttcg_points_done", "Games done, in this run and before it (a resumed sweep).")
        pointsFailed = gauge("ttcg_points_failed", "Games failed.")
        itemsRedone = counter("ttcg_items_redone_total", "Work items put back in the queue after a worker failed, fell silent or stalled.")
        let workersHelp = "Workers by state: active, lost (silent beyond the timeout or released), quarantined."
        workersActive = gauge("ttcg_workers", workersHelp, [("state", "active")])
        workersLost = gauge("ttcg_workers", workersHelp, [("state", "lost")])
        workersQuarantined = gauge("ttcg_workers", workersHelp, [("state", "quarantined")])
        let droppedHelp = "Messages from workers dropped: undecodable, late duplicates, results for items not leased to the sender."
        droppedMalformed = counter("ttcg_dropped_messages_total", droppedHelp, [("reason", "malformed")])
        droppedDuplicate = counter("ttcg_dropped_messages_total", droppedHelp, [("reason", "duplicate")])
        droppedNotLeased = counter("ttcg_dropped_messages_total", droppedHelp, [("reason", "not_leased")])
        resultsBytes = gauge("ttcg_results_bytes", "Bytes of results accepted in this run (the encoded result blocks).")
        gamesPerSecond = gauge("ttcg_games_per_second", "Games per second since the coordinator started.")
    }

    /// The exposition text for `snapshot`.
    public func render(_ snapshot: MonitorSnapshot) -> String {
        let s = snapshot.status
        return counted.withLock { last in
            pointsTotal.set(Int64(s.pointsTotal))
            pointsDone.set(Int64(s.pointsDone))
            pointsFailed.set(Int64(s.pointsFailed))
            var active = 0, lost = 0, quarantined = 0
            for w in snapshot.workers {
                switch w.state {
                case "lost": lost += 1
                case "quarantined": quarantined += 1
                default: active += 1
                }
            }
            workersActive.set(Int64(active))
            workersLost.set(Int64(lost))
            workersQuarantined.set(Int64(quarantined))
            resultsBytes.set(Int64(snapshot.resultBytes))
            gamesPerSecond.set(s.gamesPerSecond.isFinite ? s.gamesPerSecond : 0)
            for (key, counter, value) in [("redone", itemsRedone, s.itemsRedone), ("malformed", droppedMalformed, s.droppedMalformed),
                                          ("duplicate", droppedDuplicate, s.droppedDuplicate), ("not_leased", droppedNotLeased, s.droppedNotLeased)] {
                let grown = value - last[key, default: 0]
                if grown > 0 {
                    counter.increment(by: Int64(grown))
                    last[key] = value
                }
            }
            return registry.emitToString()
        }
    }
}
