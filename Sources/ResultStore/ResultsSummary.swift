// What a finished sweep prints (and `ttcg inspect` prints again from the file): per
// market the price of anarchy across beta, and market versus auction at beta = 1000 in
// the layout of the paper's Table 2. Both at the market's published settings (the grid
// values closest to the market's own margin and alpha), averaged over seeds.

import Foundation
import GameCore
import Profiles

public struct MarketSummary: Sendable, Equatable {
    public var market: String
    public var points: Int
    public var done: Int
    public var failed: Int
    public var converged: Int
    /// Over the beta axis of the seed-mean PoA at the published settings.
    public var poaMin: Double, poaMedian: Double, poaMax: Double
    /// The beta (label) of the largest PoA.
    public var poaMaxBeta: String
    /// Table 2 at `tableBeta`: market then auction, dollars per query.
    public var tableBeta: String
    public var marketUserValue: Double, marketPrice: Double, marketProviderUtility: Double, marketWelfare: Double
    public var auctionUserValue: Double, auctionPayment: Double, auctionWinnerUtility: Double, auctionWelfare: Double
    /// Settings the summary row is taken at.
    public var margin: String, alpha: String
}

extension ResultsReader {
    /// The summary of every market.
    public func summary() throws -> [MarketSummary] {
        try markets.indices.map { try summary(market: $0) }
    }

    public func summary(market m: Int) throws -> MarketSummary {
        let sm = markets[m]
        let shape = sm.shape
        let g = try file.openGroup(sm.group)
        let defaults = (try? MarketFile.parse(yaml: try g.stringAttribute("market_json")))?.settings
        func closest(_ axis: Int, _ target: Double?) -> Int {
            guard let target, let values = sm.axes[axis].values, !values.isEmpty else { return 0 }
            return values.indices.min { abs(values[$0] - target) < abs(values[$1] - target) } ?? 0
        }
        let marginIndex = closest(1, defaults?.margin), alphaIndex = closest(2, defaults?.alpha)
        // Memory bounded whatever the grid: the counts read the status columns a slice of
        // beta rows at a time, and the means read only the slab they average over (every
        // beta and seed at the summary's margin and alpha, other axes at their first value).
        let pointsPerBeta = shape.dropFirst().reduce(1, *)
        let rowsPerSlice = max(1, (1 << 16) / max(1, pointsPerBeta))
        var done = 0, failed = 0, convergedCount = 0
        var row = 0
        while row < shape[0] {
            let rows = min(rowsPerSlice, shape[0] - row)
            let start = [row] + [Int](repeating: 0, count: shape.count - 1)
            let count = [rows] + Array(shape.dropFirst())
            let status = try g.openDataset("status").read(as: UInt8.self, start: start, count: count)
            let converged = try g.openDataset("converged").read(as: UInt8.self, start: start, count: count)
            for x in status { if x == 1 { done += 1 } else if x == 2 { failed += 1 } }
            for x in converged where x == 1 { convergedCount += 1 }
            row += rows
        }
        let seedAxis = 5
        let seeds = shape[seedAxis]
        /// The seed means of `column` at the beta indices `betas` (other axes at the summary's
        /// margin and alpha, the rest at their first value), read a slice of betas at a time.
        func seedMeans(_ column: String, betas: Range<Int>) throws -> [Double] {
            var means: [Double] = []
            means.reserveCapacity(betas.count)
            let betasPerSlice = max(1, (1 << 16) / max(1, seeds))
            var b0 = betas.lowerBound
            while b0 < betas.upperBound {
                let n = min(betasPerSlice, betas.upperBound - b0)
                var start = [Int](repeating: 0, count: shape.count), count = [Int](repeating: 1, count: shape.count)
                start[0] = b0
                start[1] = marginIndex
                start[2] = alphaIndex
                count[0] = n
                count[seedAxis] = seeds
                let status = try g.openDataset("status").read(as: UInt8.self, start: start, count: count)
                let values = try g.openDataset(column).read(as: Double.self, start: start, count: count)
                for b in 0..<n {
                    var sum = 0.0, k = 0
                    for flat in (b * seeds)..<((b + 1) * seeds) where values[flat].isFinite && status[flat] == 1 {
                        sum += values[flat]
                        k += 1
                    }
                    means.append(k > 0 ? sum / Double(k) : .nan)
                }
                b0 += n
            }
            return means
        }
        let perBeta = try seedMeans("poa", betas: 0..<shape[0])
        let finite = perBeta.enumerated().filter { $0.element.isFinite }
        let sorted = finite.map(\.element).sorted()
        let median = sorted.isEmpty ? Double.nan : (sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                                                     : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        let maxEntry = finite.max { $0.element < $1.element }
        let betaValues = sm.axes[0].values ?? []
        let tableIndex = betaValues.indices.min { abs(log10(betaValues[$0]) - 3) < abs(log10(betaValues[$1]) - 3) } ?? 0
        func mean(_ column: String) throws -> Double { try seedMeans(column, betas: tableIndex..<(tableIndex + 1))[0] }
        return MarketSummary(
            market: sm.name, points: sm.pointCount,
            done: done, failed: failed, converged: convergedCount,
            poaMin: sorted.first ?? .nan, poaMedian: median, poaMax: sorted.last ?? .nan,
            poaMaxBeta: maxEntry.map { shortBeta(sm.axes[0], $0.offset) } ?? "-",
            tableBeta: shortBeta(sm.axes[0], tableIndex),
            marketUserValue: try mean("market_user_value"), marketPrice: try mean("market_price"),
            marketProviderUtility: try mean("market_provider_utility"), marketWelfare: try mean("welfare_eq"),
            auctionUserValue: try mean("auction_user_value"), auctionPayment: try mean("auction_payment"),
            auctionWinnerUtility: try mean("auction_winner_utility"), auctionWelfare: try mean("auction_welfare"),
            margin: sm.axes[1].labels[marginIndex], alpha: sm.axes[2].labels[alphaIndex])
    }
}

/// A beta for a table: `inf`, or 4 significant digits.
func shortBeta(_ axis: StoredAxis, _ i: Int) -> String {
    guard let v = axis.values?[i], v.isFinite else { return axis.labels[i] }
    return String(format: "%.4g", v)
}

/// The summary as text: a PoA table, then the Table 2 comparison in units of $1e-3.
public func renderSummary(_ rows: [MarketSummary]) -> String {
    func f(_ x: Double, _ digits: Int = 4) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "nan" }
    var out = "Price of anarchy over beta (published margin and alpha, mean over seeds)\n"
    var t1: [[String]] = [["market", "games", "failed", "converged", "PoA min", "median", "max", "at beta"]]
    for r in rows {
        t1.append([printable(r.market), String(r.points), String(r.failed), String(format: "%.1f%%", 100 * Double(r.converged) / Double(max(1, r.done))),
                   f(r.poaMin), f(r.poaMedian), f(r.poaMax), r.poaMaxBeta])
    }
    out += layout(t1, right: [1, 2, 3, 4, 5, 6, 7])
    out += "\n\nMarket versus auction (the paper's Table 2), units of $1e-3 per query\n"
    var t2: [[String]] = [["market", "beta", "market: user value", "price", "utility", "welfare",
                           "auction: user value", "payment", "utility", "welfare"]]
    for r in rows {
        t2.append([printable(r.market), r.tableBeta, f(r.marketUserValue * 1e3, 2), f(r.marketPrice * 1e3, 2), f(r.marketProviderUtility * 1e3, 2),
                   f(r.marketWelfare * 1e3, 2), f(r.auctionUserValue * 1e3, 2), f(r.auctionPayment * 1e3, 2),
                   f(r.auctionWinnerUtility * 1e3, 2), f(r.auctionWelfare * 1e3, 2)])
    }
    out += layout(t2, right: [2, 3, 4, 5, 6, 7, 8, 9])
    return out
}

func layout(_ rows: [[String]], right: Set<Int>) -> String {
    var widths = [Int](repeating: 0, count: rows.map(\.count).max() ?? 0)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        "  " + r.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return right.contains(i) ? pad + c : c + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
}
