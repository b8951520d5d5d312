// The exact shortcuts against brute force on thousands of seeded random markets:
// maximum welfare without enumeration, and the pruned equilibrium enumeration.

import GameCore
import XCTest

final class ExactShortcutTests: XCTestCase {
    /// Exact max welfare = brute force to 1e-9 relative, N 2-6, K 2-6, beta 0.1..1e9 and inf,
    /// V0 below, among and above the values.
    func testMaximumWelfareMatchesBruteForce() {
        var rng = SeededGenerator(seed: 2024)
        var checked = 0
        for trial in 0..<2500 {
            let n = 2 + rng.uniform(below: 5), k = 2 + rng.uniform(below: 5)
            guard pow(Double(k), Double(n)) <= 20_000 else { continue }
            let placement = AbstentionPlacement.allCases[trial % 4]
            let market = randomMarket(&rng, providers: n, levels: k, abstention: placement)
            let game = try! Game(market: market, rationality: randomRationality(&rng))
            let exact = game.maximumWelfare()
            let brute = bruteForceMaximumWelfare(game)
            assertRelativelyEqual(exact.welfare, brute, 1e-9, "trial \(trial) beta \(game.rationality.text) N \(n) K \(k) \(placement)")
            // The returned profile attains it.
            assertRelativelyEqual(game.welfare(of: exact.profile), exact.welfare, 1e-12, "profile of trial \(trial)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 1500)
    }

    /// Perfect rationality with many exact ties (values on a coarse grid): ties split the
    /// demand, and the exact maximum must still match brute force.
    func testPerfectMaximumWelfareWithTies() {
        var rng = SeededGenerator(seed: 7)
        for trial in 0..<800 {
            let n = 2 + rng.uniform(below: 4), k = 1 + rng.uniform(below: 4)
            let providers = (0..<n).map { i in
                Provider(name: "P\(i)", accuracy: (0..<k).map { _ in Double(rng.uniform(below: 5)) / 4 },
                         pricing: .costs((0..<k).map { _ in Double(rng.uniform(below: 4)) / 4 }))
            }
            let v0 = Double(rng.uniform(below: 5)) / 4 - 0.5
            let market = Market(name: "ties", levels: (0..<k).map { "L\($0)" }, providers: providers,
                                settings: MarketSettings(alpha: 1, margin: 1, v0: v0))
            let game = try! Game(market: market, rationality: .perfect)
            let exact = game.maximumWelfare()
            XCTAssertEqual(exact.welfare, bruteForceMaximumWelfare(game), accuracy: 1e-12, "trial \(trial)")
            XCTAssertEqual(game.welfare(of: exact.profile), exact.welfare, accuracy: 1e-12, "trial \(trial)")
        }
    }

    /// Enumeration = brute force: the same equilibria in the same order, the same best and
    /// worst welfare, on both the fast (global shift) and the stable paths.
    func testEnumerationMatchesBruteForce() throws {
        var rng = SeededGenerator(seed: 99)
        var withEquilibria = 0, fastPath = 0, stablePath = 0
        for trial in 0..<1200 {
            let n = 2 + rng.uniform(below: 5), k = 2 + rng.uniform(below: 5)
            guard pow(Double(k), Double(n)) <= 8_000 else { continue }
            let market = randomMarket(&rng, providers: n, levels: k,
                                      abstention: AbstentionPlacement.allCases[trial % 4])
            let game = try Game(market: market, rationality: randomRationality(&rng))
            let summary = try game.enumerateEquilibria(EnumerationOptions(threads: 1 + trial % 2, exampleLimit: .max))
            let brute = bruteForceEquilibria(game)
            XCTAssertEqual(summary.examples, brute, "trial \(trial) beta \(game.rationality.text)")
            XCTAssertEqual(summary.count, brute.count)
            XCTAssertEqual(summary.profilesExamined, game.profileCount)
            if let worst = brute.map({ game.welfare(of: $0) }).min(), let best = brute.map({ game.welfare(of: $0) }).max() {
                assertRelativelyEqual(summary.worstWelfare, worst, 1e-12)
                assertRelativelyEqual(summary.bestWelfare, best, 1e-12)
                withEquilibria += 1
            }
            let range = (game.scaledValue + [game.scaledV0]).max()! - (game.scaledValue + [game.scaledV0]).min()!
            if game.isPerfect || range >= Game.safeExponentRange { stablePath += 1 } else { fastPath += 1 }
        }
        XCTAssertGreaterThan(withEquilibria, 300)
        XCTAssertGreaterThan(fastPath, 100)
        XCTAssertGreaterThan(stablePath, 100)
    }

    func testEnumerationIsIndependentOfThreadCount() throws {
        var rng = SeededGenerator(seed: 5)
        let game = try Game(market: randomMarket(&rng, providers: 6, levels: 5), rationality: .bounded(beta: 30))
        let one = try game.enumerateEquilibria(EnumerationOptions(threads: 1, exampleLimit: .max))
        let four = try game.enumerateEquilibria(EnumerationOptions(threads: 4, exampleLimit: .max))
        XCTAssertEqual(one, four)
    }

    func testEnumerationRefusesOverBudget() {
        var rng = SeededGenerator(seed: 1)
        let game = try! Game(market: randomMarket(&rng, providers: 6, levels: 6), rationality: .perfect)
        XCTAssertThrowsError(try game.enumerateEquilibria(EnumerationOptions(profileBudget: 1000))) { error in
            XCTAssertEqual(error as? EquilibriumError, .overBudget(profiles: 46656, budget: 1000))
            XCTAssertTrue("\(error)".contains("46656"))
        }
    }

    /// Shares stay finite and sum to one up to beta = 1e9, with V0 on both sides.
    func testSharesAreStableAtExtremeBeta() {
        var rng = SeededGenerator(seed: 3)
        for beta in [1e-3, 1.0, 1e3, 1e6, 1e9] {
            for placement in AbstentionPlacement.allCases {
                let game = try! Game(market: randomMarket(&rng, providers: 5, levels: 4, abstention: placement),
                                     rationality: .bounded(beta: beta))
                forEachProfile(game) { profile in
                    let (s, s0) = game.shares(of: profile)
                    XCTAssertTrue(s.allSatisfy { $0.isFinite && $0 >= 0 })
                    XCTAssertEqual(s.reduce(s0, +), 1, accuracy: 1e-12)
                    XCTAssertTrue(game.welfare(of: profile).isFinite)
                }
            }
        }
    }

    /// Perfect rationality splits ties equally, whatever the order of the providers.
    func testPerfectTiesSplitEquallyAndIndependentlyOfOrder() {
        let tied = Provider(name: "A", accuracy: [0.5], pricing: .costs([0.1]))
        var twin = tied
        twin.name = "B"
        let worse = Provider(name: "C", accuracy: [0.2], pricing: .costs([0.1]))
        for order in [[tied, twin, worse], [worse, twin, tied], [twin, worse, tied]] {
            let market = Market(name: "t", levels: ["x"], providers: order, settings: MarketSettings(alpha: 1, margin: 0))
            let game = try! Game(market: market, rationality: .perfect)
            let (s, s0) = game.shares(of: [0, 0, 0])
            for (i, p) in order.enumerated() { XCTAssertEqual(s[i], p.name == "C" ? 0 : 0.5) }
            XCTAssertEqual(s0, 0)
        }
        // A tie with abstention splits three ways.
        let market = Market(name: "t", levels: ["x"], providers: [tied, twin],
                            settings: MarketSettings(alpha: 1, margin: 0, v0: 0.4))
        let game = try! Game(market: market, rationality: .perfect)
        let (s, s0) = game.shares(of: [0, 0])
        XCTAssertEqual(s, [1.0 / 3, 1.0 / 3])
        XCTAssertEqual(s0, 1.0 / 3)
    }
}
