// specReader: the sweep spec reader (`SweepSpec.parse`), which reads `ttcg validate` and
// `ttcg run` specs and, in a worker, the spec text of WELCOME; then its plan (`SweepPlan`).

import GameCore
import Profiles
import Sweep

extension FuzzTargets {
    /// Plans with at most this many work items have every item checked; larger ones, a few.
    public static let specItemsChecked = 10_000

    /// Input: the spec's YAML text (not UTF-8: skipped, as `SweepSpec.load` refuses it).
    /// A spec that parses and names only catalog markets (files are not read here) is
    /// planned with `SweepPlan`, whatever its grid: the plan must refuse a grid above
    /// `outputs.max_points` (or one whose size overflows) before it allocates for it. A plan
    /// must have the grid's points, in work items that cover every point once, in order, in
    /// runs of at most `outputs.chunk` points within one market.
    public static func specReader(_ data: UnsafeRawBufferPointer) {
        guard let text = String(validating: data, as: UTF8.self) else { return }
        let spec: SweepSpec
        do {
            // A folder that does not exist: no market reference resolves to a file.
            spec = try SweepSpec.parse(yaml: text, source: "fuzz.yaml", baseDirectory: "/nonexistent/ttcg-fuzz")
        } catch {
            return
        }
        guard spec.markets.allSatisfy({ Catalog.market(named: $0.reference) != nil }) else { return }
        let plan: SweepPlan
        do {
            plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        } catch {
            return
        }
        let points = gridPoints(spec)
        fuzzCheck(points != nil && plan.pointCount == points!, "the plan has \(plan.pointCount) points, the axes make \(points.map(String.init) ?? "more than Int.max")")
        fuzzCheck(plan.pointCount <= spec.outputs.maxPoints, "a plan of \(plan.pointCount) points above max_points \(spec.outputs.maxPoints)")
        let items = plan.items
        let checked = items.count <= specItemsChecked ? Array(items.indices)
            : [0, 1, items.count / 3, items.count / 2, items.count - 2, items.count - 1]
        for i in checked {
            let item = items[i]
            let next = i + 1 < items.count ? items[i + 1].start : plan.pointCount
            fuzzCheck(item.id == i && item.count >= 1 && item.count <= spec.outputs.chunk && item.start + item.count == next,
                      "work item \(i) covers \(item.range), the next starts at \(next), chunk \(spec.outputs.chunk)")
            fuzzCheck(plan.marketIndex(ofPoint: item.start) == item.market && plan.marketIndex(ofPoint: item.start + item.count - 1) == item.market,
                      "work item \(i) (\(item.range)) is not within its market \(item.market)")
        }
        if let first = items.first, let last = items.last {
            fuzzCheck(first.start == 0 && last.start + last.count == plan.pointCount,
                      "the work items run from \(first.start) to \(last.start + last.count), the plan has \(plan.pointCount) points")
        }
        for market in plan.markets {
            for axis in market.shape.indices where market.shape[axis] <= specItemsChecked { _ = market.axes.labels(axis) }
        }
        if plan.pointCount > 0 {
            for point in [0, plan.pointCount / 2, plan.pointCount - 1] {
                let (m, indices) = plan.axisIndices(ofPoint: point)
                fuzzCheck(indices.count == plan.markets[m].shape.count && zip(indices, plan.markets[m].shape).allSatisfy { $0 >= 0 && $0 < $1 },
                          "point \(point) has axis indices \(indices) outside the shape \(plan.markets[m].shape)")
            }
        }
    }

    /// The spec's grid size (every market's axes multiplied out, summed), nil on overflow.
    static func gridPoints(_ spec: SweepSpec) -> Int? {
        let a = spec.axes
        let alphas: Int
        switch a.alpha {
        case .marketDefault: alphas = 1
        case .absolute(let values): alphas = values.count
        case .scaled(_, let multipliers): alphas = multipliers.count
        }
        let sizes = [a.beta.count, a.margin?.count ?? 1, alphas, a.v0?.count ?? 1, a.valueCurve?.count ?? 1,
                     a.seed.count, a.rule.count, a.order.count, a.start.count, a.tolerance.count, a.maxRounds.count]
        var perMarket = 1
        for s in sizes {
            let (p, overflow) = perMarket.multipliedReportingOverflow(by: s)
            if overflow { return nil }
            perMarket = p
        }
        let (total, overflow) = perMarket.multipliedReportingOverflow(by: spec.markets.count)
        return overflow ? nil : total
    }
}
