// Price of anarchy, the theorems' predictions, and the market-versus-auction record
// (model.md §4 and §6), and `solve`, one complete game.

import Foundation

/// `max W / W(theta)` (Eq. 9), or NaN with the reason it is undefined.
public struct PriceOfAnarchy: Sendable, Equatable {
    public var value: Double
    /// Why `value` is NaN; nil when it is defined.
    public var reason: String?

    public init(maxWelfare: Double, equilibriumWelfare: Double) {
        if equilibriumWelfare > 0 && maxWelfare.isFinite {
            value = maxWelfare / equilibriumWelfare
            reason = nil
        } else {
            value = .nan
            reason = "equilibrium welfare \(formatNumber(equilibriumWelfare)) is not positive, so the ratio max W / W is undefined"
        }
    }

    public init(maxWelfare: Double, reason: String) {
        value = .nan
        self.reason = reason
    }
}

/// Theorem 2's prediction for perfectly rational users.
public struct DominantProviderPrediction: Sendable, Equatable {
    /// The provider with the highest `V_i* = max_k V_i(k)` (Eq. 8); nil if two tie.
    public var dominant: Int?
    /// `max{k : V_dominant(k) > max(V_2*, V0)}`; nil if no level beats it (nobody is served).
    public var level: Int?
    /// `V_2*`, the best value any other provider can offer (-inf with one provider).
    public var runnerUpBestValue: Double
}

/// Share-weighted averages of a market profile (the paper's Table 2, model.md §6).
public struct MarketStatistics: Sendable, Equatable {
    /// `sum_i s_i V_i`.
    public var userValue: Double
    /// `sum_i s_i p_i`.
    public var price: Double
    /// `sum_i s_i rho_i`.
    public var providerUtility: Double
    /// `W(theta)`.
    public var welfare: Double
}

/// The market equilibrium next to the auction (Table 2).
public struct MarketVersusAuction: Sendable, Equatable {
    public var market: MarketStatistics
    public var auction: AuctionOutcome
}

extension Game {
    /// `PoA` of a profile: `max W / W(theta)`.
    public func priceOfAnarchy(of profile: [Int], maxWelfare: Double? = nil) -> PriceOfAnarchy {
        PriceOfAnarchy(maxWelfare: maxWelfare ?? maximumWelfare().welfare, equilibriumWelfare: welfare(of: profile))
    }

    /// Theorem 2 with the abstention value: the dominant provider serves everyone at the
    /// highest level whose value beats both every rival's best and V0.
    public func dominantProviderPrediction() -> DominantProviderPrediction {
        let k = levelCount
        let best = (0..<providerCount).map { i in (0..<k).map { value[i * k + $0] }.max()! }
        var first = 0
        for i in 1..<providerCount where best[i] > best[first] { first = i }
        var runnerUp = -Double.infinity
        for i in 0..<providerCount where i != first { runnerUp = Swift.max(runnerUp, best[i]) }
        if runnerUp == best[first] {
            return DominantProviderPrediction(dominant: nil, level: nil, runnerUpBestValue: runnerUp)
        }
        let threshold = Swift.max(runnerUp, v0)
        let level = (0..<k).last { value[first * k + $0] > threshold }
        return DominantProviderPrediction(dominant: first, level: level, runnerUpBestValue: runnerUp)
    }

    /// Theorem 4's leading term `1 + (W* - W_pi(1)(theta+)) / W*`, where `W*` is the welfare
    /// contribution, at its welfare-optimal level, of the provider offering the highest value
    /// when everyone plays its welfare-optimal level, and `pi(1)` offers the highest value at
    /// `profile`. At beta = inf with positive welfare, PoA >= this term.
    public func theorem4LeadingTerm(equilibrium profile: [Int]) -> Double {
        let k = levelCount
        let optimal = dominantBids().map(\.level)
        var starLeader = 0, leader = 0
        for i in 1..<providerCount {
            if value[i * k + optimal[i]] > value[starLeader * k + optimal[starLeader]] { starLeader = i }
            if value[i * k + profile[i]] > value[leader * k + profile[leader]] { leader = i }
        }
        let wStar = welfareContribution[starLeader * k + optimal[starLeader]]
        return 1 + (wStar - welfareContribution[leader * k + profile[leader]]) / wStar
    }

    /// Share-weighted user value, price, provider utility and welfare at `profile` (model.md §6).
    public func marketStatistics(of profile: [Int]) -> MarketStatistics {
        let (s, _) = shares(of: profile)
        var v = 0.0, p = 0.0, u = 0.0
        for i in 0..<providerCount {
            let idx = index(i, profile[i])
            v += s[i] * value[idx]
            p += s[i] * price[idx]
            u += s[i] * profit[idx]
        }
        return MarketStatistics(userValue: v, price: p, providerUtility: u, welfare: welfare(of: profile))
    }
}

/// Everything `solve` computes for one game.
public struct GameSolution: Sendable, Equatable {
    public var dynamics: DynamicsResult
    /// Equilibrium (end of the dynamics) shares, utilities, values per provider.
    public var shares: [Double]
    public var abstentionShare: Double
    public var utilities: [Double]
    public var values: [Double]
    public var welfare: Double
    public var optimum: WelfareOptimum
    public var priceOfAnarchy: PriceOfAnarchy
    public var marketVersusAuction: MarketVersusAuction
    /// Theorem 2 (perfect rationality only).
    public var dominantPrediction: DominantProviderPrediction?
    public var theorem4LeadingTerm: Double
    /// All pure equilibria, when asked for.
    public var equilibria: EquilibriumSummary?
}

/// What `solve` should compute beyond the always-on parts.
public struct SolveOptions: Sendable, Hashable {
    public var dynamics = DynamicsOptions()
    public var allEquilibria = false
    public var enumeration = EnumerationOptions()
    public init(dynamics: DynamicsOptions = DynamicsOptions(), allEquilibria: Bool = false,
                enumeration: EnumerationOptions = EnumerationOptions()) {
        self.dynamics = dynamics
        self.allEquilibria = allEquilibria
        self.enumeration = enumeration
    }
}

extension Game {
    /// One complete game: dynamics to equilibrium, exact max welfare, PoA, auction,
    /// market statistics, theorem checks, and optionally every pure equilibrium.
    public func solve(_ options: SolveOptions = SolveOptions()) throws(EquilibriumError) -> GameSolution {
        let optimum = maximumWelfare()
        let dyn = betterResponseDynamics(options.dynamics, maxWelfare: optimum.welfare)
        let profile = dyn.profile
        let (s, s0) = shares(of: profile)
        let utilities = (0..<providerCount).map { s[$0] * profit[index($0, profile[$0])] }
        let values = (0..<providerCount).map { value[index($0, profile[$0])] }
        let w = welfare(of: profile)
        let stats = marketStatistics(of: profile)
        var equilibria: EquilibriumSummary? = nil
        if options.allEquilibria {
            equilibria = try enumerateEquilibria(options.enumeration, maxWelfare: optimum.welfare)
        }
        return GameSolution(
            dynamics: dyn, shares: s, abstentionShare: s0, utilities: utilities, values: values, welfare: w,
            optimum: optimum,
            priceOfAnarchy: PriceOfAnarchy(maxWelfare: optimum.welfare, equilibriumWelfare: w),
            marketVersusAuction: MarketVersusAuction(market: stats, auction: auction()),
            dominantPrediction: isPerfect ? dominantProviderPrediction() : nil,
            theorem4LeadingTerm: theorem4LeadingTerm(equilibrium: profile),
            equilibria: equilibria)
    }
}
