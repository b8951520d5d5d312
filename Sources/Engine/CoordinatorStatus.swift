// The coordinator's status: what `ttcg status` and the progress line show.

import Foundation

extension Coordinator {
    /// A snapshot of the sweep. The ETA is cost-weighted: the cost model's seconds of work
    /// left over the work done per second since the first item was leased.
    public func status() -> SweepStatus {
        let now = monotonicSeconds()
        let elapsed = now - startTime
        var leased = 0
        for s in states { if case .leased = s { leased += 1 } }
        let rate = elapsed > 0 ? Double(pointsDone - pointsAtStart) / elapsed : 0
        var eta: Double? = nil
        if let first = firstLeaseTime, workDone > 0, now > first {
            eta = costs.remainingSeconds / (workDone / (now - first))
        }
        return SweepStatus(
            job: plan.spec.name, specHash: plan.spec.hash, finished: finished,
            itemsTotal: plan.items.count, itemsDone: itemsDone, itemsLeased: leased,
            itemsQueued: plan.items.count - itemsDone - itemsFailed - leased, itemsFailed: itemsFailed,
            pointsTotal: plan.pointCount, pointsDone: pointsDone, pointsFailed: pointsFailed,
            gamesPerSecond: rate, etaSeconds: finished ? 0 : eta,
            elapsedSeconds: elapsed,
            workers: workers.values.sorted { $0.id < $1.id }.map {
                WorkerStatus(id: $0.id, host: $0.hello.host, pid: Int($0.hello.pid), threads: Int($0.hello.threads),
                             itemsDone: $0.itemsDone, leased: $0.order.count, lastHeartbeatAge: now - $0.lastSeen,
                             state: $0.quarantined ? "quarantined" : "active", busySeconds: $0.busySeconds)
            },
            droppedMalformed: droppedMalformed, droppedDuplicate: droppedDuplicate,
            droppedNotLeased: droppedNotLeased, refusedPeers: refusedPeers + (curveGuard?.refusedCount ?? 0),
            refusedConnections: connections.refusedConnections, failedHandshakes: connections.failedHandshakes,
            itemsRedone: itemsRedone, itemsCopied: itemsCopied, leasesExpired: leasesExpired,
            markets: plan.markets.enumerated().map {
                MarketProgress(name: $0.element.name, pointsTotal: $0.element.pointCount, pointsDone: pointsDoneByMarket[$0.offset])
            })
    }
}
