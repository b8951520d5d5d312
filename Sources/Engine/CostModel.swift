// The coordinator's estimate of what an item costs: seconds for one worker to play it. It
// starts from what the item is (its market's size, all equilibria or not, its beta) and
// learns from the play times workers report with their results. Dispatch uses it to give
// each worker about `--lookahead-seconds` of work, and the status uses it for a
// cost-weighted rate and ETA.

import Foundation
import GameCore
import Sweep

public struct CostModel: Sendable {
    /// Beta buckets per market: perfect rationality, and decades of finite beta from
    /// below 0.01 to 1e6 and above (the dynamics' length depends on beta).
    static let betaBuckets = 10
    /// Seconds per unit of prior cost before anything was measured (about what one
    /// nearest-improvement game of a catalog market takes).
    static let initialSecondsPerUnit = 2e-6

    let plan: SweepPlan
    /// Per class (market x beta bucket): the prior cost of one point, in units.
    private var prior: [Double]
    /// Per class: measured seconds per point (moving average), 0 until measured.
    private var perPoint: [Double]
    /// Per class: points not yet done (queued, leased or failed-and-retried).
    private(set) var remainingPoints: [Double]
    /// Prior units and seconds of everything measured: what a unit costs here.
    private var measuredUnits = 0.0, measuredSeconds = 0.0
    /// Per market: the bytes of one point's results (every column; trajectories not counted).
    private let bytesPerPoint: [Double]

    public init(plan: SweepPlan) {
        self.plan = plan
        let classes = plan.markets.count * Self.betaBuckets
        prior = [Double](repeating: 1, count: classes)
        perPoint = [Double](repeating: 0, count: classes)
        remainingPoints = [Double](repeating: 0, count: classes)
        bytesPerPoint = plan.markets.map { pm in
            Double(ResultSchema.columns.reduce(0) { $0 + $1.kind.byteSize * ($1.perProvider ? pm.market.providerCount : 1) })
        }
        for (m, pm) in plan.markets.enumerated() {
            let market = pm.market
            // A game's dynamics visit about providers x levels profiles a round; all
            // equilibria enumerate every profile.
            var units = Double(market.providerCount * market.levelCount)
            if pm.allEquilibria { units += min(pm.profileCount, 1e7) }
            for b in 0..<Self.betaBuckets {
                // Perfect rationality has no logit: cheaper. Large finite beta: longer dynamics.
                prior[m * Self.betaBuckets + b] = units * (b == 0 ? 0.5 : 1 + 0.1 * Double(b))
            }
        }
    }

    /// Counts every item not in `done` as remaining.
    public mutating func startRemaining(excluding done: (Int) -> Bool) {
        for item in plan.items where !done(item.id) { remainingPoints[classOf(item)] += Double(item.count) }
    }

    /// The class of an item: its market and the beta bucket of its first point.
    func classOf(_ item: WorkItem) -> Int {
        let pm = plan.markets[item.market]
        let perBeta = max(1, pm.pointCount / max(1, pm.shape[0]))
        let betaIndex = min(pm.axes.beta.count - 1, (item.start - pm.firstPoint) / perBeta)
        return item.market * Self.betaBuckets + Self.bucket(pm.axes.beta[betaIndex])
    }

    static func bucket(_ r: Rationality) -> Int {
        switch r {
        case .perfect: return 0
        case .bounded(let beta):
            let decade = Int(log10(max(beta, 1e-300)).rounded(.down))
            return min(betaBuckets - 1, max(1, decade + 3))
        }
    }

    /// Seconds one point of class `c` is expected to take.
    func secondsPerPoint(_ c: Int) -> Double {
        if perPoint[c] > 0 { return perPoint[c] }
        let perUnit = measuredUnits > 0 ? measuredSeconds / measuredUnits : Self.initialSecondsPerUnit
        return prior[c] * perUnit
    }

    /// Seconds `item` is expected to take on a worker of average speed.
    public func estimate(_ item: WorkItem) -> Double {
        Double(item.count) * secondsPerPoint(classOf(item))
    }

    /// Bytes of `item`'s results (what holding it costs the coordinator when it arrives).
    public func resultBytes(_ item: WorkItem) -> Double {
        Double(item.count) * bytesPerPoint[item.market]
    }

    /// Whether items of `item`'s class were measured.
    public func isMeasured(_ item: WorkItem) -> Bool { perPoint[classOf(item)] > 0 }

    /// A worker played `item` in `seconds`.
    public mutating func learn(_ item: WorkItem, seconds: Double) {
        guard seconds.isFinite, seconds >= 0, item.count > 0 else { return }
        let c = classOf(item)
        let normalized = seconds / Double(item.count)
        perPoint[c] = perPoint[c] == 0 ? normalized : 0.7 * perPoint[c] + 0.3 * normalized
        measuredUnits += prior[c] * Double(item.count)
        measuredSeconds += normalized * Double(item.count)
    }

    /// `item` is done or failed for good: no longer remaining.
    public mutating func finished(_ item: WorkItem) {
        let c = classOf(item)
        remainingPoints[c] = max(0, remainingPoints[c] - Double(item.count))
    }

    /// Seconds of work left, on one worker of average speed.
    public var remainingSeconds: Double {
        var total = 0.0
        for c in remainingPoints.indices where remainingPoints[c] > 0 { total += remainingPoints[c] * secondsPerPoint(c) }
        return total
    }
}
