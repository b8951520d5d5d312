// specReader: the sweep spec reader (`SweepSpec.parse`), which reads `ttcg validate` and
// `ttcg run` specs and, in a worker, the spec text of WELCOME; then the plan of a small grid.

import GameCore
import Profiles
import Sweep

extension FuzzTargets {
    /// Grids above this many points are parsed but not planned: a plan's work items grow
    /// with the grid, and a few bytes can ask for millions of points (issue 14, case 3).
    public static let specPlanLimit = 10_000

    /// Input: the spec's YAML text (not UTF-8: skipped, as `SweepSpec.load` refuses it).
    /// A spec that parses and names only catalog markets (files are not read here) is
    /// planned with `SweepPlan` when its grid has at most `specPlanLimit` points; the plan
    /// must cover every point once, in work items of at most `outputs.chunk` points.
    public static func specReader(_ data: UnsafeRawBufferPointer) {
        guard let text = String(validating: data, as: UTF8.self) else { return }
        let spec: SweepSpec
        do {
            // A folder that does not exist: no market reference resolves to a file.
            spec = try SweepSpec.parse(yaml: text, source: "fuzz.yaml", baseDirectory: "/nonexistent/ttcg-fuzz")
        } catch {
            return
        }
        guard spec.markets.allSatisfy({ Catalog.market(named: $0.reference) != nil }),
              let points = gridPoints(spec), points <= specPlanLimit else { return }
        let plan: SweepPlan
        do {
            plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        } catch {
            return
        }
        fuzzCheck(plan.pointCount == points, "the plan has \(plan.pointCount) points, the axes make \(points)")
        var next = 0
        for item in plan.items {
            fuzzCheck(item.start == next && item.count >= 1 && item.count <= spec.outputs.chunk,
                      "work item \(item.id) covers \(item.range), expected to start at \(next) with 1...\(spec.outputs.chunk) points")
            fuzzCheck(plan.marketIndex(ofPoint: item.start) == item.market, "work item \(item.id) is not in its market")
            next = item.start + item.count
        }
        fuzzCheck(next == plan.pointCount, "the work items cover \(next) of \(plan.pointCount) points")
        for market in plan.markets {
            for axis in market.shape.indices { _ = market.axes.labels(axis) }
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
