// The results layout does not depend on the order results arrive in: blocks written in
// any order give the same file, trajectories and errors in point order.

import Foundation
import ResultStore
import Sweep
import XCTest

final class ResultsWriterOrderTests: XCTestCase {
    func testArrivalOrderDoesNotChangeTheFile() throws {
        let spec = try SweepSpec.parse(yaml: """
            markets: [gsm8k/chain-of-thought]
            axes: {beta: [10, 1000, inf], seed: {range: [0, 4]}}
            outputs: {chunk: 2, trajectories: true}
            """, source: "order.yaml")
        let plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        let blocks = plan.items.map { plan.evaluate($0, threads: 1) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ order: [Int], _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            let w = try ResultsWriter.create(path: path, plan: plan, ttcgVersion: "test", force: false)
            for i in order { try w.write(blocks[i]) }
            try w.finish(completed: true)
            return path
        }
        let inOrder = try write(Array(blocks.indices), "a.h5")
        let reversed = try write(Array(blocks.indices.reversed()), "b.h5")
        let a = try ResultsReader(path: inOrder), b = try ResultsReader(path: reversed)
        XCTAssertFalse(try a.trajectoryDigest(market: 0).isEmpty)
        XCTAssertEqual(try a.trajectoryDigest(market: 0), try b.trajectoryDigest(market: 0))
        XCTAssertEqual(try a.doubles("poa", market: 0).map(\.bitPattern), try b.doubles("poa", market: 0).map(\.bitPattern))
        XCTAssertEqual(a.pointsDone, plan.pointCount)
        try a.close()
        try b.close()
    }

    /// Columns are staged in memory a tile at a time (`ResultsStaging`). With tiles of a few
    /// points and room for two, blocks arriving in a random order, flushes in between (the
    /// snapshots) and a failed item, tiles are written before they are full and read back
    /// when more of their points arrive: the file is still the file of in-order arrival.
    func testStagedTilesWrittenEarlyAndReadBackGiveTheSameFile() throws {
        let spec = try SweepSpec.parse(yaml: """
            markets: [gsm8k/chain-of-thought, aime/majority]
            axes: {beta: [1, 10, 1000], margin: [0.1, 0.5], seed: {range: [0, 20]}}
            outputs: {chunk: 3}
            """, source: "staging.yaml")
        let plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        let blocks = plan.items.map { plan.evaluate($0, threads: 1) }
        let failed = plan.items.count / 3
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ order: [Int], _ name: String, staging: ResultsStaging, flushEvery: Int) throws -> (String, Int) {
            let path = dir.appendingPathComponent(name).path
            let w = try ResultsWriter.create(path: path, plan: plan, ttcgVersion: "test", force: false, staging: staging)
            for (n, i) in order.enumerated() {
                if i == failed {
                    try w.recordFailure(item: plan.items[i], message: "worker lost")
                } else {
                    try w.write(blocks[i])
                }
                if (n + 1) % flushEvery == 0 { try w.flush() }
            }
            let reloads = w.stagingReloads
            try w.finish(completed: false)
            return (path, reloads)
        }
        var g = SystemRandomNumberGenerator()
        let (reference, _) = try write(Array(blocks.indices), "in-order.h5", staging: .standard, flushEvery: .max)
        let small = ResultsStaging(tileBytes: 7 * 600, budgetBytes: 2 * 7 * 600)
        let (shuffled, reloads) = try write(Array(blocks.indices).shuffled(using: &g), "shuffled.h5", staging: small, flushEvery: 5)
        XCTAssertGreaterThan(reloads, 0, "the small budget should have written tiles early and read them back")
        let a = try ResultsReader(path: reference), b = try ResultsReader(path: shuffled)
        for m in plan.markets.indices {
            for c in ResultSchema.columns {
                switch c.kind {
                case .float64: XCTAssertEqual(try a.doubles(c.name, market: m).map(\.bitPattern), try b.doubles(c.name, market: m).map(\.bitPattern), c.name)
                case .int32: XCTAssertEqual(try a.ints(c.name, market: m), try b.ints(c.name, market: m), c.name)
                case .int64: XCTAssertEqual(try a.longs(c.name, market: m), try b.longs(c.name, market: m), c.name)
                case .uint8: XCTAssertEqual(try a.bytes(c.name, market: m), try b.bytes(c.name, market: m), c.name)
                }
            }
            XCTAssertEqual(try a.errors(market: m).map { $0.0 }, try b.errors(market: m).map { $0.0 })
        }
        XCTAssertEqual(Set(try a.bytes("status", market: plan.items[failed].market)), [1, 2])
        XCTAssertEqual(a.pointsDone, b.pointsDone)
        try a.close()
        try b.close()
    }
}
