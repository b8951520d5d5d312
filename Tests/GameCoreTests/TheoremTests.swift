// The paper's theorems as property tests on seeded random markets.

import GameCore
import XCTest

final class TheoremTests: XCTestCase {
    /// Theorem 1: every strictly improving unilateral move strictly raises the potential of
    /// Eq. 7, for bounded (beta 0.1..1e6) and perfect rationality, V0 on both sides.
    func testTheorem1ImprovingMovesRaiseThePotential() {
        var rng = SeededGenerator(seed: 11)
        var improvingMoves = 0
        for trial in 0..<3000 {
            let n = 2 + rng.uniform(below: 5), k = 2 + rng.uniform(below: 5)
            let placement = AbstentionPlacement.allCases[trial % 4]
            let rationality: Rationality = trial % 3 == 0 ? .perfect : .bounded(beta: rng.logUniform(0.1, 1e6))
            let game = try! Game(market: randomMarket(&rng, providers: n, levels: k, abstention: placement),
                                 rationality: rationality)
            let constant = game.perfectPotentialConstant()
            var profile = (0..<n).map { _ in rng.uniform(below: k) }
            for _ in 0..<10 {
                let i = rng.uniform(below: n), l = rng.uniform(below: k)
                var moved = profile
                moved[i] = l
                let before = game.utilities(of: profile)[i], after = game.utilities(of: moved)[i]
                // A clear improvement (beyond rounding of the potential's terms).
                if after > before * (1 + 1e-6) && after - before > 1e-300 {
                    improvingMoves += 1
                    let phi0 = game.potential(of: profile, constant: constant)
                    let phi1 = game.potential(of: moved, constant: constant)
                    XCTAssertGreaterThan(phi1, phi0, "trial \(trial) beta \(rationality.text) \(placement) move \(i)->\(l)")
                }
                profile = moved
            }
        }
        XCTAssertGreaterThan(improvingMoves, 3000)
    }

    /// Theorem 2 (with V0 as an extra rival): in every pure equilibrium at beta = inf the
    /// dominant provider serves all queries at `max{k : V_1(k) > max(V_2*, V0)}`; if no
    /// level beats that, nobody is served.
    func testTheorem2DominantProviderInEveryEquilibrium() throws {
        var rng = SeededGenerator(seed: 12)
        var equilibriaChecked = 0
        for trial in 0..<1500 {
            let n = 2 + rng.uniform(below: 4), k = 2 + rng.uniform(below: 4)
            let game = try Game(market: randomMarket(&rng, providers: n, levels: k,
                                                     abstention: AbstentionPlacement.allCases[trial % 4]),
                                rationality: .perfect)
            let prediction = game.dominantProviderPrediction()
            guard let dominant = prediction.dominant else { continue }
            var equilibria = try game.enumerateEquilibria(EnumerationOptions(threads: 1, exampleLimit: .max)).examples
            equilibria.append(game.betterResponseDynamics(DynamicsOptions(seed: UInt64(trial))).profile)
            XCTAssertFalse(equilibria.isEmpty, "a potential game has a pure equilibrium")
            for profile in equilibria {
                let (s, s0) = game.shares(of: profile)
                if let level = prediction.level {
                    XCTAssertEqual(s[dominant], 1, "trial \(trial)")
                    XCTAssertEqual(profile[dominant], level, "trial \(trial)")
                } else {
                    XCTAssertEqual(s0, 1, "trial \(trial): nobody beats V0")
                }
                equilibriaChecked += 1
            }
        }
        XCTAssertGreaterThan(equilibriaChecked, 1500)
    }

    /// Theorem 3: for beta large enough every bounded-rationality equilibrium is also a
    /// perfect-rationality equilibrium. beta is set so that the logit is within e^-60 of
    /// the indicator for the closest pair of values of different providers.
    func testTheorem3LargeBetaEquilibriaArePerfectEquilibria() throws {
        var rng = SeededGenerator(seed: 13)
        var checked = 0
        for trial in 0..<600 {
            let n = 2 + rng.uniform(below: 3), k = 2 + rng.uniform(below: 4)
            let market = randomMarket(&rng, providers: n, levels: k, abstention: trial % 2 == 0 ? .zero : .amongValues)
            let perfect = try Game(market: market, rationality: .perfect)
            var gap = Double.infinity
            for a in 0..<(n * k) {
                gap = Swift.min(gap, Swift.abs(perfect.value[a] - perfect.v0))
                for b in 0..<(n * k) where a / k != b / k { gap = Swift.min(gap, Swift.abs(perfect.value[a] - perfect.value[b])) }
            }
            guard gap > 1e-6 else { continue }
            let bounded = perfect.with(rationality: .bounded(beta: 60 / gap))
            let summary = try bounded.enumerateEquilibria(EnumerationOptions(tolerance: 0, threads: 1, exampleLimit: .max))
            for profile in summary.examples {
                XCTAssertTrue(perfect.isNash(profile, tolerance: 0), "trial \(trial) beta \(60 / gap) profile \(profile)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    /// Theorem 4 at beta = inf: PoA >= 1 + (W* - W_pi(1)) / W* whenever welfare is positive.
    func testTheorem4LeadingTermBoundsThePriceOfAnarchy() throws {
        var rng = SeededGenerator(seed: 14)
        var checked = 0
        for trial in 0..<1500 {
            let game = try Game(market: randomMarket(&rng, providers: 2 + rng.uniform(below: 5), levels: 2 + rng.uniform(below: 5),
                                                     abstention: .farBelow),
                                rationality: .perfect)
            let solution = try game.solve(SolveOptions(dynamics: DynamicsOptions(seed: UInt64(trial))))
            guard solution.welfare > 0 else { continue }
            XCTAssertGreaterThanOrEqual(solution.priceOfAnarchy.value, solution.theorem4LeadingTerm - 1e-12, "trial \(trial)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 1000)
    }

    /// Theorem 5: truthful bids at the welfare-maximising level are dominant against random
    /// deviations; the auction's welfare is max over providers and levels of W_i, the user
    /// gets the second-best offer (or V0), and the winner's utility is never negative.
    func testTheorem5AuctionProperties() {
        var rng = SeededGenerator(seed: 15)
        for trial in 0..<2000 {
            let n = 2 + rng.uniform(below: 5), k = 2 + rng.uniform(below: 5)
            let game = try! Game(market: randomMarket(&rng, providers: n, levels: k,
                                                      abstention: AbstentionPlacement.allCases[trial % 4]),
                                 rationality: .perfect)
            let truthful = game.dominantBids()
            let outcome = game.auction(bids: truthful)
            let bestW = game.welfareContribution.max()!
            if bestW > game.v0 {
                XCTAssertEqual(outcome.welfare, bestW, accuracy: 1e-12, "trial \(trial)")
                let others = outcome.offeredValues.enumerated().filter { $0.offset != outcome.winner }.map(\.element)
                XCTAssertEqual(outcome.userValue, Swift.max(others.max() ?? -.infinity, game.v0), accuracy: 1e-12)
                XCTAssertGreaterThanOrEqual(outcome.winnerUtility, 0)
                XCTAssertEqual(outcome.userValue + outcome.winnerUtility, outcome.welfare, accuracy: 1e-12)
            } else {
                XCTAssertNil(outcome.winner)
                XCTAssertEqual(outcome.welfare, game.v0)
            }
            // Dominance: against random bids of the others, no random deviation pays more.
            for _ in 0..<20 {
                var bids = (0..<n).map { j -> AuctionBid in
                    let l = rng.uniform(below: k)
                    return AuctionBid(level: l, price: game.cost[game.index(j, l)] * rng.uniform(0.5, 2))
                }
                let i = rng.uniform(below: n)
                bids[i] = truthful[i]
                let honest = game.auctionUtility(of: i, bids: bids)
                let l = rng.uniform(below: k)
                bids[i] = AuctionBid(level: l, price: game.cost[game.index(i, l)] * rng.uniform(0.3, 2))
                XCTAssertGreaterThanOrEqual(honest, game.auctionUtility(of: i, bids: bids) - 1e-12, "trial \(trial)")
            }
        }
    }
}
