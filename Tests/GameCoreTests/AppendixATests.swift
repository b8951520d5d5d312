// The paper's Appendix A example, every number of model.md §7, to 1e-12.

import GameCore
import XCTest

final class AppendixATests: XCTestCase {
    let game = try! Game(market: appendixA(), rationality: .perfect)

    func testValuesWelfareAndUtilities() {
        let g = game
        let v = [1.0875, 0.55, 0.375, -10.6]
        for (idx, expected) in v.enumerated() {
            XCTAssertEqual(g.value[idx], expected, accuracy: 1e-12, "V at flat index \(idx)")
        }
        XCTAssertEqual(g.welfareContribution[g.index(0, 0)], 1.15, accuracy: 1e-12)
        XCTAssertEqual(g.welfareContribution[g.index(0, 1)], 0.8, accuracy: 1e-12)
        // Provider 1 serves everyone whatever provider 2 does (Eq. 16-17).
        for theta2 in 0..<2 {
            XCTAssertEqual(g.welfare(of: [0, theta2]), 1.15, accuracy: 1e-12)
            XCTAssertEqual(g.welfare(of: [1, theta2]), 0.8, accuracy: 1e-12)
            XCTAssertEqual(g.utilities(of: [0, theta2])[0], 0.0625, accuracy: 1e-12)
            XCTAssertEqual(g.utilities(of: [1, theta2])[0], 0.25, accuracy: 1e-12)
            XCTAssertEqual(g.utilities(of: [1, theta2])[1], 0)
        }
    }

    func testEquilibriumAndPriceOfAnarchy() throws {
        let solution = try game.solve(SolveOptions(allEquilibria: true))
        XCTAssertTrue(solution.dynamics.converged)
        XCTAssertEqual(solution.dynamics.profile[0], 1, "provider 1 plays High")
        XCTAssertEqual(solution.welfare, 0.8, accuracy: 1e-12)
        XCTAssertEqual(solution.optimum.welfare, 1.15, accuracy: 1e-12)
        XCTAssertEqual(solution.optimum.profile[0], 0)
        XCTAssertEqual(solution.priceOfAnarchy.value, 1.4375, accuracy: 1e-12)
        XCTAssertNil(solution.priceOfAnarchy.reason)
        // Both profiles with provider 1 at High are equilibria, and no other.
        let eq = try XCTUnwrap(solution.equilibria)
        XCTAssertEqual(eq.count, 2)
        XCTAssertEqual(eq.examples, [[1, 0], [1, 1]])
        XCTAssertEqual(eq.priceOfAnarchyWorst.value, 1.4375, accuracy: 1e-12)
        XCTAssertEqual(eq.priceOfStability.value, 1.4375, accuracy: 1e-12)
        // Theorem 2: provider 1 dominates and plays its highest level beating V_2* = 0.375.
        let prediction = try XCTUnwrap(solution.dominantPrediction)
        XCTAssertEqual(prediction.dominant, 0)
        XCTAssertEqual(prediction.level, 1)
        XCTAssertEqual(prediction.runnerUpBestValue, 0.375, accuracy: 1e-12)
        // Theorem 4 at beta = inf: PoA >= 1 + (1.15 - 0.8) / 1.15.
        XCTAssertEqual(solution.theorem4LeadingTerm, 1 + 0.35 / 1.15, accuracy: 1e-12)
        XCTAssertGreaterThanOrEqual(solution.priceOfAnarchy.value, solution.theorem4LeadingTerm)
    }

    func testAuction() {
        // Dominant bids: provider 1 Low (W 1.15), provider 2 Low (W 1.0 - 0.5 = 0.5).
        let a = game.auction()
        XCTAssertEqual(a.bids.map(\.level), [0, 0])
        XCTAssertEqual(a.winner, 0)
        XCTAssertEqual(a.runnerUp, 1)
        XCTAssertEqual(a.welfare, 1.15, accuracy: 1e-12)
        XCTAssertEqual(a.userValue, 0.5, accuracy: 1e-12)
        XCTAssertEqual(a.payment, 1.4 - 0.5, accuracy: 1e-12)
        XCTAssertEqual(a.winnerUtility, 0.9 - 0.25, accuracy: 1e-12)
        XCTAssertEqual(a.userValue + a.winnerUtility, a.welfare, accuracy: 1e-12)
    }

    func testMarketStatisticsAtEquilibrium() {
        let stats = game.marketStatistics(of: [1, 0])
        XCTAssertEqual(stats.userValue, 0.55, accuracy: 1e-12)
        XCTAssertEqual(stats.price, 1.25, accuracy: 1e-12)
        XCTAssertEqual(stats.providerUtility, 0.25, accuracy: 1e-12)
        XCTAssertEqual(stats.welfare, 0.8, accuracy: 1e-12)
    }

    func testBoundedRationalityApproachesTheSameEquilibrium() throws {
        // beta = 1000 is effectively perfect here: the value gap is ~0.5.
        let bounded = game.with(rationality: .bounded(beta: 1000))
        let s = try bounded.solve()
        XCTAssertEqual(s.dynamics.profile[0], 1)
        XCTAssertEqual(s.priceOfAnarchy.value, 1.4375, accuracy: 1e-9)
    }
}
