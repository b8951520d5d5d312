// Sweep specs, the grid and its decomposition, and playing points: the numbers of a point
// are those of `ttcg solve` with the same settings, whatever the thread count.

import Foundation
import GameCore
import Profiles
import Sweep
import XCTest

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func plan(_ yaml: String) throws -> SweepPlan {
    let spec = try SweepSpec.parse(yaml: yaml, source: "t.yaml")
    return try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
}

final class SweepPlanTests: XCTestCase {
    func testPaperGrid() throws {
        let spec = try SweepSpec.load(path: packageRoot.appendingPathComponent("jobs/paper.yaml").path)
        let p = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        XCTAssertEqual(p.pointCount, 42_120)
        XCTAssertEqual(p.markets.count, 9)
        let first = p.markets[0]
        XCTAssertEqual(first.shape, [104, 3, 3, 1, 1, 5, 1, 1, 1, 1, 1])
        XCTAssertEqual(first.axes.beta.first, .bounded(beta: 1))
        XCTAssertEqual(first.axes.beta[99].beta, 1e6, accuracy: 1e-6)
        XCTAssertEqual(first.axes.beta.last, .perfect)
        XCTAssertEqual(first.axes.alpha, [0.004, 0.008, 0.016])
        XCTAssertEqual(p.markets.first { $0.name == "aime/best-of-n" }?.axes.alpha, [0.025, 0.05, 0.1])
        XCTAssertEqual(p.markets.map(\.allEquilibria), p.markets.map { $0.market.method == "chain-of-thought" })
        XCTAssertEqual(p.items.map(\.count).reduce(0, +), 42_120)
        XCTAssertTrue(spec.outputs.trajectories.keeps(.bounded(beta: 1e5)))
        XCTAssertFalse(spec.outputs.trajectories.keeps(.bounded(beta: 100)))
        XCTAssertEqual(spec.hash.count, 64)
    }

    func testRowMajorOrderAndItems() throws {
        let p = try plan("""
            markets: [gsm8k/chain-of-thought, {market: gsm8k/best-of-n, models: [Qwen2.5-7B, Qwen2.5-3B], name: top2}]
            axes: {beta: [10, inf], margin: [0.1, 0.2, 0.3], seed: [4, 7]}
            outputs: {chunk: 5}
            """)
        XCTAssertEqual(p.markets.map(\.name), ["gsm8k/chain-of-thought", "top2"])
        XCTAssertEqual(p.markets[1].market.providers.map(\.name), ["Qwen2.5-7B", "Qwen2.5-3B"])
        XCTAssertEqual(p.pointCount, 24)
        var expected: [[Int]] = []
        for b in 0..<2 { for m in 0..<3 { for s in 0..<2 { expected.append([b, m, 0, 0, 0, s, 0, 0, 0, 0, 0]) } } }
        for i in 0..<24 {
            let (m, ix) = p.axisIndices(ofPoint: i)
            XCTAssertEqual(m, i / 12)
            XCTAssertEqual(ix, expected[i % 12])
        }
        // Items never cross a market and cover every point once.
        XCTAssertEqual(p.items.map(\.count), [5, 5, 2, 5, 5, 2])
        XCTAssertEqual(p.items.flatMap { Array($0.range) }, Array(0..<24))
        XCTAssertEqual(Set(p.items.map(\.market)), [0, 1])
        for item in p.items { XCTAssertEqual(p.marketIndex(ofPoint: item.start), item.market) }
    }

    func testPointsMatchASolveWithTheSameSettings() throws {
        let p = try plan("""
            seed: 3
            markets: [gsm8k/best-of-n]
            axes: {beta: [1000], margin: [0.25, 0.5], alpha: {multipliers: [1, 2]}, seed: {range: [0, 2]}}
            dynamics: {order: [random, round-robin]}
            outputs: {trajectories: true}
            """)
        let market = Catalog.market(named: "gsm8k/best-of-n")!
        for point in 0..<p.pointCount {
            let gp = p.gamePoint(point)
            var settings = market.settings
            settings.margin = [0.25, 0.5][gp.indices[1]]
            settings.alpha = 0.008 * [1.0, 2.0][gp.indices[2]]
            let game = try Game(market: market, settings: settings, rationality: .bounded(beta: 1000))
            let options = DynamicsOptions(order: [.random, .roundRobin][gp.indices[7]], seed: 3 + UInt64(gp.indices[5]),
                                          recordTrajectory: true)
            let direct = try game.solve(SolveOptions(dynamics: options))
            let viaPlan = try p.play(point).get()
            XCTAssertEqual(viaPlan, direct, "point \(point)")
        }
    }

    func testPaperNumbersThroughThePlan() throws {
        let p = try plan("markets: [gsm8k/best-of-n, gsm8k/chain-of-thought]\naxes: {beta: [1000]}")
        let block0 = p.evaluate(p.items[0], threads: 1)
        XCTAssertEqual(block0.doubles("poa")[0], 1.186, accuracy: 0.01)
        XCTAssertEqual(p.markets[0].market.providers[Int(block0.ints("auction_winner")[0])].name, "Qwen2.5-7B")
        XCTAssertEqual(block0.longs("equilibria_count")[0], -1)   // 6^9 profiles: not enumerated by auto
        let block1 = p.evaluate(p.items[1], threads: 1)
        XCTAssertEqual(block1.doubles("poa")[0], 1.0056, accuracy: 0.002)
        XCTAssertGreaterThanOrEqual(block1.longs("equilibria_count")[0], 1)
        XCTAssertEqual(block1.bytes("status"), [1])
        XCTAssertEqual(block1.bytes("converged"), [1])
    }

    func testThreadCountDoesNotChangeNumbers() throws {
        let p = try plan("""
            markets: [aime/majority, gpqa/chain-of-thought]
            axes: {beta: {logspace: [0, 5, 7]}, margin: [0.1, 0.5], seed: {range: [0, 3]}}
            dynamics: {start: [lowest, random]}
            outputs: {chunk: 17, trajectories: {beta: [1e5]}}
            """)
        for item in p.items {
            let one = p.evaluate(item, threads: 1)
            let two = p.evaluate(item, threads: 2)
            let four = p.evaluate(item, threads: 4)
            XCTAssertTrue(one.isIdentical(to: two), "item \(item.id)")
            XCTAssertTrue(one.isIdentical(to: four), "item \(item.id)")
            XCTAssertFalse(one.isIdentical(to: p.evaluate(p.items[(item.id + 1) % p.items.count], threads: 1)))
            XCTAssertEqual(Set(one.bytes("status")), [1])
        }
    }

    func testMarketFilesRelativeToTheSpecAndTheAbstentionAxis() throws {
        let spec = try SweepSpec.parse(yaml: "markets: [examples/appendix-a.yaml]\naxes: {beta: [inf], v0: [0, 2]}",
                                       source: "jobs/t.yaml", baseDirectory: packageRoot.appendingPathComponent("jobs").path)
        let p = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        let block = p.evaluate(p.items[0])
        XCTAssertEqual(block.bytes("status"), [1, 1])
        XCTAssertEqual(block.doubles("poa")[0], 1.4375, accuracy: 1e-12)   // Appendix A
        // V0 = 2 beats every offer: nobody is served, welfare is V0.
        XCTAssertEqual(block.doubles("welfare_eq")[1], 2, accuracy: 1e-12)
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(sha256Hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
