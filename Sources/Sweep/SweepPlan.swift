// A spec made concrete: markets resolved, every axis expanded per market, the grid in a
// fixed row-major order, and the work items that cut it. Everything here is a pure
// function of the spec and the markets, so every process computes the same plan.

import Foundation
import GameCore
import Profiles

/// The axes of every market's grid, slowest first (row-major: the last varies fastest).
public let axisNames = ["beta", "margin", "alpha", "v0", "value_curve", "seed",
                        "rule", "order", "start", "tolerance", "max_rounds"]

/// Every axis's values for one market.
public struct MarketAxes: Sendable, Hashable {
    public var beta: [Rationality]
    public var margin: [Double]
    public var alpha: [Double]
    public var v0: [Double]
    public var valueCurve: [ValueCurve]
    public var seed: [UInt64]
    public var rule: [ResponseRule]
    public var order: [VisitOrder]
    public var start: [StartProfile]
    public var tolerance: [Double]
    public var maxRounds: [Int]

    /// Lengths in `axisNames` order.
    public var shape: [Int] {
        [beta.count, margin.count, alpha.count, v0.count, valueCurve.count, seed.count,
         rule.count, order.count, start.count, tolerance.count, maxRounds.count]
    }

    /// The axis values as text labels (for status lines, exports and HDF5 string scales).
    public func labels(_ axis: Int) -> [String] {
        switch axis {
        case 0: return beta.map(\.text)
        case 1: return margin.map(formatNumber)
        case 2: return alpha.map(formatNumber)
        case 3: return v0.map(formatNumber)
        case 4: return valueCurve.map(valueCurveText)
        case 5: return seed.map { String($0) }
        case 6: return rule.map(\.rawValue)
        case 7: return order.map(\.rawValue)
        case 8: return start.map(startText)
        case 9: return tolerance.map(formatNumber)
        default: return maxRounds.map { String($0) }
        }
    }
}

/// `linear`, `power:2`, `exp:3`.
public func valueCurveText(_ c: ValueCurve) -> String {
    switch c {
    case .linear: return "linear"
    case .power(let g): return "power:\(formatNumber(g))"
    case .exponential(let k): return "exp:\(formatNumber(k))"
    }
}

func startText(_ s: StartProfile) -> String {
    switch s {
    case .lowest: return "lowest"
    case .highest: return "highest"
    case .random: return "random"
    case .given(let p): return p.map(String.init).joined(separator: ",")
    }
}

/// One market of the plan, with its slice of the global grid.
public struct PlannedMarket: Sendable, Hashable {
    /// The name of the market's results (unique within the sweep).
    public var name: String
    /// How the spec named it.
    public var reference: String
    public var market: Market
    public var axes: MarketAxes
    public var shape: [Int]
    /// Grid points of this market: the product of `shape`.
    public var pointCount: Int
    /// Global index of this market's first point.
    public var firstPoint: Int
    /// Whether every point enumerates all pure equilibria.
    public var allEquilibria: Bool
    /// SHA-256 of the market as JSON (`MarketFile.renderJSON`): what the results came from.
    public var profileHash: String
    /// K^N.
    public var profileCount: Double
}

/// A contiguous range of grid points of one market.
public struct WorkItem: Sendable, Hashable {
    public var id: Int
    public var market: Int
    /// Global index of the first point.
    public var start: Int
    public var count: Int
    public var range: Range<Int> { start..<(start + count) }

    public init(id: Int, market: Int, start: Int, count: Int) {
        self.id = id
        self.market = market
        self.start = start
        self.count = count
    }
}

/// The work items of a plan, computed from their number rather than stored: each market's
/// points are cut into runs of `chunk`, so item `i` is found by arithmetic, and a plan takes
/// the same memory for 1e3 items as for 1e9.
public struct WorkItems: RandomAccessCollection, Sendable, Hashable {
    /// The first item of each market, then the total (`markets + 1` entries).
    let firstItem: [Int]
    /// The first point and the point count of each market.
    let firstPoint: [Int]
    let points: [Int]
    let chunk: Int

    init(pointCounts: [Int], chunk: Int) {
        var firstItem = [0], firstPoint: [Int] = [], first = 0
        for n in pointCounts {
            firstPoint.append(first)
            first += n
            firstItem.append(firstItem.last! + (n + chunk - 1) / chunk)
        }
        self.firstItem = firstItem
        self.firstPoint = firstPoint
        self.points = pointCounts
        self.chunk = chunk
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { firstItem.last! }

    public subscript(i: Int) -> WorkItem {
        precondition(i >= 0 && i < endIndex, "work item \(i) out of 0..<\(endIndex)")
        // The market: the last whose first item is <= i (binary search; few markets).
        var lo = 0, hi = points.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if firstItem[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        let offset = (i - firstItem[lo]) * chunk
        return WorkItem(id: i, market: lo, start: firstPoint[lo] + offset, count: Swift.min(chunk, points[lo] - offset))
    }
}

/// The whole sweep, ready to run.
public struct SweepPlan: Sendable {
    public var spec: SweepSpec
    public var markets: [PlannedMarket]
    public var items: WorkItems
    public var pointCount: Int
    /// Item ids travel as 32-bit numbers (docs/protocol.md).
    public static let maxItems = Int(UInt32.max)

    /// Resolves the spec's markets (catalog names, or files relative to the spec's folder).
    public static func resolveMarkets(_ spec: SweepSpec) throws(SpecError) -> [Market] {
        var out: [Market] = []
        for (i, entry) in spec.markets.enumerated() {
            // Files are relative to the spec's folder; a catalog name is used when no such file exists.
            var reference = entry.reference
            if !reference.hasPrefix("/") {
                let filePart = reference.lastIndex(of: "#").map { String(reference[..<$0]) } ?? reference
                let joined = (spec.baseDirectory as NSString).appendingPathComponent(filePart)
                if FileManager.default.fileExists(atPath: joined) {
                    reference = joined + reference.dropFirst(filePart.count)
                }
            }
            do {
                var market = try MarketSource.resolve(reference)
                if let models = entry.models { market = try market.selecting(models) }
                out.append(market)
            } catch let e as MarketFileError {
                throw SpecError(file: spec.source, path: "markets[\(i)]", message: e.description)
            } catch let e as MarketError {
                throw SpecError(file: spec.source, path: "markets[\(i)].models", message: "unknown provider '\(e.provider ?? "")'; expected \(e.expected)")
            } catch {
                throw SpecError(file: spec.source, path: "markets[\(i)]", message: "\(error)")
            }
        }
        return out
    }

    /// The plan of `spec` over `markets` (one per `spec.markets` entry, already resolved
    /// and subset). Checks what only the markets can tell (alpha per dataset, names).
    public init(spec: SweepSpec, markets: [Market]) throws(SpecError) {
        precondition(markets.count == spec.markets.count, "one market per spec entry")
        self.spec = spec
        var planned: [PlannedMarket] = []
        var first = 0
        var names = Set<String>()
        for (i, (entry, market)) in zip(spec.markets, markets).enumerated() {
            let name = entry.name ?? market.name
            guard names.insert(name).inserted else {
                throw SpecError(file: spec.source, path: "markets[\(i)]",
                                message: "expected distinct market names, got '\(name)' twice (give one a name: ...)")
            }
            let axes = try Self.axes(spec.axes, market: market, path: "markets[\(i)]", spec: spec)
            let shape = axes.shape
            // The grid is refused before anything is made for it: products above the cap
            // (or above Int's range) would exhaust memory or trap.
            var count = 1, overflow = false
            for n in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: n) }
            if !overflow { (count, overflow) = count.addingReportingOverflow(first) }
            guard !overflow && count <= spec.outputs.maxPoints else {
                let total = shape.map { Double($0) }.reduce(1, *) + Double(first)
                let axesText = zip(axisNames, shape).filter { $0.1 > 1 }.map { "\(grouped($0.1)) \($0.0)" }.joined(separator: " x ")
                throw SpecError(file: spec.source, path: "outputs.max_points",
                                message: "expected a grid of at most \(grouped(spec.outputs.maxPoints)) games, got \(total < 1e15 ? grouped(Int(total)) : String(format: "%.3g", total)): "
                                    + "market '\(name)' has \(axesText.isEmpty ? "1 point" : axesText)\(first > 0 ? " after \(grouped(first)) games of the markets before it" : ""); "
                                    + (spec.outputs.maxPoints < SweepOutputs.maxPointsCeiling ? "raise outputs.max_points (up to 2^53) to run it" : "split it into smaller sweeps"))
            }
            count -= first
            let profiles = Foundation.pow(Double(market.levelCount), Double(market.providerCount))
            let all: Bool
            switch spec.outputs.allEquilibria {
            case .never: all = false
            case .always:
                guard profiles <= 1e9 else {
                    throw SpecError(file: spec.source, path: "outputs.all_equilibria",
                                    message: "expected false or auto: market '\(name)' has \(formatNumber(profiles)) profiles, too many to enumerate at every grid point")
                }
                all = true
            case .auto(let maxProfiles): all = profiles <= Double(maxProfiles)
            }
            planned.append(PlannedMarket(name: name, reference: entry.reference, market: market, axes: axes,
                                         shape: shape, pointCount: count, firstPoint: first, allEquilibria: all,
                                         profileHash: sha256Hex(MarketFile.renderJSON(market)), profileCount: profiles))
            first += count
        }
        self.markets = planned
        self.pointCount = first
        items = WorkItems(pointCounts: planned.map(\.pointCount), chunk: spec.outputs.chunk)
        guard items.count <= Self.maxItems else {
            throw SpecError(file: spec.source, path: "outputs.chunk",
                            message: "expected at most \(grouped(Self.maxItems)) work items, got \(grouped(items.count)) (\(grouped(first)) games in items of \(spec.outputs.chunk)); raise outputs.chunk")
        }
    }

    static func axes(_ a: SweepAxes, market: Market, path: String, spec: SweepSpec) throws(SpecError) -> MarketAxes {
        let s = market.settings
        let alpha: [Double]
        switch a.alpha {
        case .marketDefault: alpha = [s.alpha]
        case .absolute(let values): alpha = values
        case .scaled(let perDataset, let multipliers):
            var base = s.alpha
            if let perDataset {
                guard let d = market.dataset, let x = perDataset[d] else {
                    throw SpecError(file: spec.source, path: "axes.alpha.per_dataset",
                                    message: "expected an alpha for the dataset of market '\(market.name)' (\(market.dataset ?? "no dataset")), got none")
                }
                base = x
            }
            alpha = multipliers.map { base * $0 }
        }
        return MarketAxes(beta: a.beta, margin: a.margin ?? [s.margin], alpha: alpha, v0: a.v0 ?? [s.v0],
                          valueCurve: a.valueCurve ?? [s.valueCurve], seed: a.seed, rule: a.rule, order: a.order,
                          start: a.start, tolerance: a.tolerance, maxRounds: a.maxRounds)
    }

    /// The market of a global point.
    public func marketIndex(ofPoint point: Int) -> Int {
        var lo = 0, hi = markets.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if markets[mid].firstPoint <= point { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The axis indices (in `axisNames` order) of a global point.
    public func axisIndices(ofPoint point: Int) -> (market: Int, indices: [Int]) {
        let m = marketIndex(ofPoint: point)
        var local = point - markets[m].firstPoint
        let shape = markets[m].shape
        var indices = [Int](repeating: 0, count: shape.count)
        for a in stride(from: shape.count - 1, through: 0, by: -1) {
            indices[a] = local % shape[a]
            local /= shape[a]
        }
        return (m, indices)
    }
}

/// `42120` -> `42,120` (counts in messages).
public func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + String(out.reversed())
}
