// The reverse second-price auction of Section 4 (model.md §5).

/// A provider's bid: a compute level (whose quality it reports) and a price.
public struct AuctionBid: Sendable, Hashable {
    public var level: Int
    public var price: Double
    public init(level: Int, price: Double) {
        self.level = level
        self.price = price
    }
}

/// What the auction gives the user and the winner.
public struct AuctionOutcome: Sendable, Equatable {
    public var bids: [AuctionBid]
    /// Offered value `q_i(k_i) - p_i` per provider.
    public var offeredValues: [Double]
    /// Index of the winner; nil when no offer beats the reserve V0 (no trade).
    public var winner: Int?
    /// Index of the second-highest offer, if there are two providers.
    public var runnerUp: Int?
    /// `P = q_winner - max(V_second, V0)` (Eq. 10 with the reserve); 0 without trade.
    public var payment: Double
    /// `q_winner - P = max(V_second, V0)`; V0 without trade.
    public var userValue: Double
    /// `P - c_winner(k_winner)` (Eq. 11); 0 without trade.
    public var winnerUtility: Double
    /// `W_winner(k_winner)` = user value + winner utility; V0 without trade.
    public var welfare: Double
}

extension Game {
    /// Theorem 5's dominant strategy: `k*_i = argmax_k W_i(k)` (ties: lower level) at price `c_i(k*_i)`.
    public func dominantBids() -> [AuctionBid] {
        let k = levelCount
        return (0..<providerCount).map { i in
            var best = 0
            for l in 1..<k where welfareContribution[i * k + l] > welfareContribution[i * k + best] { best = l }
            return AuctionBid(level: best, price: cost[i * k + best])
        }
    }

    /// The auction under dominant-strategy bids (the equilibrium of the auction game).
    public func auction() -> AuctionOutcome { auction(bids: dominantBids()) }

    /// The auction for arbitrary bids: the highest offered value wins (ties: lower index)
    /// if it beats the reserve V0; the winner is paid `q_w - max(V_second, V0)`.
    public func auction(bids: [AuctionBid]) -> AuctionOutcome {
        precondition(bids.count == providerCount, "one bid per provider")
        let k = levelCount
        let offers = bids.enumerated().map { i, b in quality[i * k + b.level] - b.price }
        var first = -1, second = -1
        for i in 0..<providerCount {
            if first < 0 || offers[i] > offers[first] {
                second = first; first = i
            } else if second < 0 || offers[i] > offers[second] {
                second = i
            }
        }
        let runnerUp = second >= 0 ? second : nil
        guard first >= 0, offers[first] > v0 else {
            return AuctionOutcome(bids: bids, offeredValues: offers, winner: nil, runnerUp: nil,
                                  payment: 0, userValue: v0, winnerUtility: 0, welfare: v0)
        }
        let reserve = Swift.max(second >= 0 ? offers[second] : -.infinity, v0)
        let idx = first * k + bids[first].level
        let payment = quality[idx] - reserve
        return AuctionOutcome(bids: bids, offeredValues: offers, winner: first, runnerUp: runnerUp,
                              payment: payment, userValue: reserve, winnerUtility: payment - cost[idx],
                              welfare: quality[idx] - cost[idx])
    }

    /// Utility of provider `i` (Eq. 11) in the auction with these bids.
    public func auctionUtility(of i: Int, bids: [AuctionBid]) -> Double {
        let outcome = auction(bids: bids)
        return outcome.winner == i ? outcome.winnerUtility : 0
    }
}
