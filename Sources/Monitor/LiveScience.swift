// The science of a sweep while it runs: per market, the price of anarchy against beta and
// market-versus-auction welfare at the beta nearest 1000, from the points finished so far.
// The settings are the summary's (ResultsSummary.swift): alpha at the grid value closest to
// the market's own, the axes after seed at their first index, seeds averaged, a point counted
// when its status is done and its value finite. Accumulated as flat sums and counts, so
// adding a block allocates nothing.

import Foundation
import GameCore
import Sweep

/// One market's live science: the grid's geometry (prepared once) and the accumulators.
public struct MarketScience: Sendable, Equatable {
    /// The market's name (from the spec or the market file: outside text).
    public let name: String
    /// beta values (`.infinity` for perfect rationality) and their labels, in grid order.
    public let betas: [Double]
    public let betaLabels: [String]
    /// The margin labels, in grid order: one PoA line and one welfare pair each.
    public let marginLabels: [String]
    /// The alpha the charts are at (the grid value closest to the market's own alpha).
    public let alphaIndex: Int
    public let alphaLabel: String
    /// The beta index of the welfare comparison: the beta nearest 1000 in log10 distance
    /// (inf is the farthest unless it is the only one).
    public let tableBetaIndex: Int

    /// PoA sums and counts per (beta, margin) cell, beta-major: `beta * margins + margin`.
    public private(set) var poaSum: [Double]
    public private(set) var poaCount: [Int]
    /// Per margin at `tableBetaIndex`: welfare at the equilibrium and under the auction.
    public private(set) var welfareSum: [Double], welfareCount: [Int]
    public private(set) var auctionSum: [Double], auctionCount: [Int]

    // The grid (row-major, `axisNames` order): where a point's indices come from.
    let firstPoint: Int
    let betaStride: Int, marginStride: Int, marginCount: Int, alphaStride: Int, alphaCount: Int
    /// Strides and extents of the axes that must sit at their first index (v0, value_curve,
    /// rule, order, start, tolerance, max_rounds), only those longer than one.
    let fixedStrides: [Int], fixedCounts: [Int]

    /// The accumulators of `market`, all empty.
    public init(_ market: PlannedMarket) {
        let axes = market.axes, shape = market.shape
        name = market.name
        betas = axes.beta.map(\.beta)
        betaLabels = axes.labels(0)
        marginLabels = axes.labels(1)
        let ownAlpha = market.market.settings.alpha
        alphaIndex = axes.alpha.indices.min { abs(axes.alpha[$0] - ownAlpha) < abs(axes.alpha[$1] - ownAlpha) } ?? 0
        alphaLabel = axes.labels(2)[alphaIndex]
        let betaValues = betas
        tableBetaIndex = betaValues.indices.min { abs(log10(betaValues[$0]) - 3) < abs(log10(betaValues[$1]) - 3) } ?? 0
        var strides = [Int](repeating: 1, count: shape.count)
        for a in stride(from: shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        firstPoint = market.firstPoint
        betaStride = strides[0]
        marginStride = strides[1]
        marginCount = shape[1]
        alphaStride = strides[2]
        alphaCount = shape[2]
        let fixed = axisNames.indices.filter { $0 >= 3 && axisNames[$0] != "seed" && shape[$0] > 1 }
        fixedStrides = fixed.map { strides[$0] }
        fixedCounts = fixed.map { shape[$0] }
        let cells = shape[0] * shape[1]
        poaSum = [Double](repeating: 0, count: cells)
        poaCount = [Int](repeating: 0, count: cells)
        welfareSum = [Double](repeating: 0, count: shape[1])
        welfareCount = [Int](repeating: 0, count: shape[1])
        auctionSum = welfareSum
        auctionCount = welfareCount
    }

    /// Adds the finished points of `block` (a block of this market).
    mutating func add(_ block: ResultBlock) {
        let status = block.uint8[Self.statusSlot], poa = block.float64[Self.poaSlot]
        let welfare = block.float64[Self.welfareSlot], auction = block.float64[Self.auctionSlot]
        let done = PointStatus.done.rawValue
        for k in 0..<block.count where status[k] == done {
            let local = block.start + k - firstPoint
            guard (local / alphaStride) % alphaCount == alphaIndex else { continue }
            var atFirst = true
            for f in fixedStrides.indices where (local / fixedStrides[f]) % fixedCounts[f] != 0 { atFirst = false; break }
            guard atFirst else { continue }
            let b = local / betaStride, m = (local / marginStride) % marginCount
            let cell = b * marginCount + m
            if poa[k].isFinite {
                poaSum[cell] += poa[k]
                poaCount[cell] += 1
            }
            if b == tableBetaIndex {
                if welfare[k].isFinite { welfareSum[m] += welfare[k]; welfareCount[m] += 1 }
                if auction[k].isFinite { auctionSum[m] += auction[k]; auctionCount[m] += 1 }
            }
        }
    }

    static let statusSlot = ResultSchema.slot["status"]!
    static let poaSlot = ResultSchema.slot["poa"]!
    static let welfareSlot = ResultSchema.slot["welfare_eq"]!
    static let auctionSlot = ResultSchema.slot["auction_welfare"]!

    /// The seed mean of the PoA at (beta, margin), or nil while no point of it is finished.
    public func poaMean(beta: Int, margin: Int) -> Double? {
        let cell = beta * marginLabels.count + margin
        return poaCount[cell] > 0 ? poaSum[cell] / Double(poaCount[cell]) : nil
    }

    /// The seed means of welfare at the equilibrium and under the auction at the table beta.
    public func welfareMeans(margin m: Int) -> (market: Double?, auction: Double?) {
        (welfareCount[m] > 0 ? welfareSum[m] / Double(welfareCount[m]) : nil,
         auctionCount[m] > 0 ? auctionSum[m] / Double(auctionCount[m]) : nil)
    }

    /// (beta, margin) cells with at least one finished point: what the PoA chart plots.
    public var plottedCells: Int { poaCount.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
}

/// Every market's live science, in spec order.
public struct LiveScience: Sendable, Equatable {
    public private(set) var markets: [MarketScience]

    public init(plan: SweepPlan) {
        markets = plan.markets.map(MarketScience.init)
    }

    /// Adds the finished points of `block`, the results of an item of market `market`.
    public mutating func add(_ block: ResultBlock, market: Int) {
        markets[market].add(block)
    }
}
