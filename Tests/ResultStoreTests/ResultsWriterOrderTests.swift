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
}
