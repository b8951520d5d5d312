// Better-response dynamics: the rules of model.md §3, determinism, trajectories, and
// termination at a verified equilibrium or a reported non-convergence.

import GameCore
import XCTest

final class DynamicsTests: XCTestCase {
    func testDynamicsStopAtAVerifiedEquilibriumOrReportNonConvergence() {
        var rng = SeededGenerator(seed: 21)
        var converged = 0, cutShort = 0
        for trial in 0..<2500 {
            let n = 2 + rng.uniform(below: 5), k = 2 + rng.uniform(below: 5)
            let game = try! Game(market: randomMarket(&rng, providers: n, levels: k,
                                                      abstention: AbstentionPlacement.allCases[trial % 4]),
                                 rationality: randomRationality(&rng))
            let starts: [StartProfile] = [.lowest, .highest, .random, .given((0..<n).map { _ in rng.uniform(below: k) })]
            let options = DynamicsOptions(rule: ResponseRule.allCases[trial % 2], order: VisitOrder.allCases[(trial / 2) % 2],
                                          start: starts[trial % 4], maxRounds: trial % 10 == 0 ? 1 : 10_000,
                                          seed: UInt64(trial))
            let result = game.betterResponseDynamics(options)
            XCTAssertEqual(result.steps, result.rounds * n)
            if result.converged {
                XCTAssertTrue(game.isNash(result.profile), "trial \(trial)")
                converged += 1
            } else {
                XCTAssertEqual(result.rounds, options.maxRounds, "trial \(trial): stopped early without converging")
                cutShort += 1
            }
        }
        XCTAssertGreaterThan(converged, 2000)
        XCTAssertGreaterThan(cutShort, 10)
    }

    func testNearestImprovementLooksDownBeforeUp() {
        // One provider alone against V0 = -inf-ish: utility = share * rho, share ~ 1 for all
        // levels at perfect rationality, so every level above pays more. From level 2 of 5,
        // the nearest improvement is level 3 (level 1 pays less), best response is level 4.
        let market = Market(name: "m", levels: ["a", "b", "c", "d", "e"],
                            providers: [Provider(name: "A", accuracy: [0.5, 0.6, 0.7, 0.8, 0.9],
                                                 pricing: .costs([0.1, 0.2, 0.3, 0.4, 0.5]))],
                            settings: MarketSettings(alpha: 10, margin: 0.5, v0: -100))
        let game = try! Game(market: market, rationality: .perfect)
        [2].withUnsafeBufferPointer { p in
            XCTAssertEqual(game.response(of: 0, in: p, rule: .nearestImprovement, tolerance: 1e-8), 3)
            XCTAssertEqual(game.response(of: 0, in: p, rule: .bestResponse, tolerance: 1e-8), 4)
        }
        // When a lower level improves, it comes first at equal distance.
        let down = Market(name: "m", levels: ["a", "b", "c"],
                          providers: [Provider(name: "A", accuracy: [0.5, 0.5, 0.5], pricing: .costs([0.3, 0.2, 0.4]))],
                          settings: MarketSettings(alpha: 10, margin: 0.5, v0: -100))
        let g2 = try! Game(market: down, rationality: .perfect)
        [1].withUnsafeBufferPointer { p in
            XCTAssertEqual(g2.response(of: 0, in: p, rule: .nearestImprovement, tolerance: 1e-8), 0)
            XCTAssertEqual(g2.response(of: 0, in: p, rule: .bestResponse, tolerance: 1e-8), 2)
        }
    }

    func testImprovementThreshold() {
        XCTAssertTrue(improves(1.0 + 2e-8, on: 1.0, tolerance: 1e-8))
        XCTAssertFalse(improves(1.0 + 0.5e-8, on: 1.0, tolerance: 1e-8))
        XCTAssertFalse(improves(5e-10, on: 0, tolerance: 1e-8), "absolute 1e-9 when U = 0")
        XCTAssertTrue(improves(2e-9, on: 0, tolerance: 1e-8))
        XCTAssertTrue(improves(1e-300, on: 0, tolerance: 0), "strict when tol = 0")
        XCTAssertFalse(improves(1.0, on: 1.0, tolerance: 0))
        XCTAssertTrue(improves(-1.0 + 2e-8, on: -1.0, tolerance: 1e-8), "relative to |U|")
    }

    func testSeededDynamicsAreDeterministicAndSeedsMatter() {
        var rng = SeededGenerator(seed: 22)
        var differ = 0
        for _ in 0..<200 {
            let game = try! Game(market: randomMarket(&rng, providers: 6, levels: 5), rationality: .bounded(beta: 50))
            let a = game.betterResponseDynamics(DynamicsOptions(start: .random, seed: 1, recordTrajectory: true))
            let b = game.betterResponseDynamics(DynamicsOptions(start: .random, seed: 1, recordTrajectory: true))
            XCTAssertEqual(a, b)
            let c = game.betterResponseDynamics(DynamicsOptions(start: .random, seed: 2, recordTrajectory: true))
            if c.trajectory != a.trajectory { differ += 1 }
        }
        XCTAssertGreaterThan(differ, 100)
    }

    func testRoundRobinVisitsProvidersInOrder() {
        var rng = SeededGenerator(seed: 23)
        let game = try! Game(market: randomMarket(&rng, providers: 4, levels: 3), rationality: .bounded(beta: 10))
        let r = game.betterResponseDynamics(DynamicsOptions(order: .roundRobin, recordTrajectory: true))
        let visited = r.trajectory!.visited
        XCTAssertEqual(visited.first, -1)
        for (t, i) in visited.dropFirst().enumerated() { XCTAssertEqual(i, t % 4) }
    }

    /// The trajectory has a row per step plus the start, its numbers agree with direct
    /// evaluation, the potential never falls on a move (Theorem 1), and inefficiency >= 1.
    func testTrajectoryIsConsistent() {
        var rng = SeededGenerator(seed: 24)
        for trial in 0..<300 {
            let n = 2 + rng.uniform(below: 5)
            let game = try! Game(market: randomMarket(&rng, providers: n, levels: 2 + rng.uniform(below: 5)),
                                 rationality: trial % 4 == 0 ? .perfect : .bounded(beta: rng.logUniform(1, 1e5)))
            let r = game.betterResponseDynamics(DynamicsOptions(seed: UInt64(trial), recordTrajectory: true))
            let t = r.trajectory!
            XCTAssertEqual(t.rowCount, r.steps + 1)
            XCTAssertEqual(t.profiles.count, t.rowCount * n)
            XCTAssertEqual(Array(t.profiles.suffix(n)), r.profile)
            XCTAssertEqual(t.moved.filter { $0 }.count, r.moves)
            let maxW = game.maximumWelfare().welfare
            for row in 0..<t.rowCount {
                let profile = Array(t.profiles[(row * n)..<(row * n + n)])
                XCTAssertEqual(t.welfare[row], game.welfare(of: profile))
                XCTAssertEqual(Array(t.utilities[(row * n)..<(row * n + n)]), game.utilities(of: profile))
                if t.welfare[row] > 0 {
                    XCTAssertGreaterThanOrEqual(t.inefficiency[row], 1 - 1e-12, "trial \(trial) row \(row)")
                    XCTAssertEqual(t.inefficiency[row] * t.welfare[row], maxW, accuracy: 1e-9 * Swift.abs(maxW))
                } else {
                    XCTAssertTrue(t.inefficiency[row].isNaN, "inefficiency is undefined when W <= 0")
                }
                if row > 0 && t.moved[row] {
                    XCTAssertGreaterThan(t.potential[row], t.potential[row - 1], "trial \(trial) row \(row)")
                }
            }
        }
    }
}
