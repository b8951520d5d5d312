// The largest message a coordinator takes from a peer, derived from the plan (issue 14,
// case 6). ZeroMQ allocates a whole message as soon as its header arrives, so peers that
// each announce a message near the protocol's 256 MiB cap add up to gigabytes. Every
// message but a RESULT is small; a RESULT holds one item's columns, its errors and its
// trajectories, all bounded by the plan. Coordinator and worker compute the same cap from
// the same plan: the coordinator sets it on its socket (ZMQ_MAXMSGSIZE), and a worker
// whose result would be larger reports the item as failed, saying why, instead of sending
// a message that would be cut off.

import Sweep

extension ProtocolLimits {
    /// Bytes of error text a worker sends per failed point (longer messages are cut).
    public static let maxErrorBytes = 1_024
    /// Trajectory rows per point budgeted for an item (a point alone may always use its
    /// worst case: `max_rounds` x providers visits).
    static let typicalTrajectoryRows = 2_000
    /// The cap never goes below this (headers, small items) nor above `maxMessageBytes`.
    static let minMessageBytes = 1 << 20

    /// The largest RESULT an item of `plan` can need, within the protocol's cap: what the
    /// coordinator accepts per message.
    public static func maxMessageBytes(for plan: SweepPlan) -> Int {
        var largest = minMessageBytes
        for pm in plan.markets {
            let points = min(plan.spec.outputs.chunk, pm.pointCount)
            let n = pm.market.providerCount
            var bytes = 64   // header, sweep, id, attempt, seconds, block header, counts
            for c in ResultSchema.columns { bytes += 4 + c.kind.byteSize * (c.perProvider ? points * n : points) }
            bytes += points * (8 + 4 + maxErrorBytes)
            if pm.axes.beta.contains(where: { plan.spec.outputs.trajectories.keeps($0) }) {
                let rowBytes = n * (4 + 8 + 8) + 8 + 8 + 8 + 4 + 1
                let worstRows = (pm.axes.maxRounds.max() ?? 1) * n + 1
                let oneItem = points * (48 + typicalTrajectoryRows * rowBytes)
                let onePoint = 48 + worstRows * rowBytes
                bytes += max(oneItem, onePoint)
            }
            largest = max(largest, bytes)
        }
        // Twice the estimate: the cap is a guard against hostile peers, not a tight fit.
        return Int(min(Int64(largest) * 2, maxMessageBytes))
    }
}
