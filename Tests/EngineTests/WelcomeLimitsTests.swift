// A welcome a worker would drop is refused by the coordinator before any worker starts
// (issue 14, case 4): the check is the worker's own decoder.

import Engine
import Foundation
import Sweep
import XCTest

final class WelcomeLimitsTests: XCTestCase {
    func welcome(spec: String = "name: x\n", markets: [String] = ["{}"]) -> Welcome {
        Welcome(specHash: "h", specText: spec, specSource: "x.yaml", markets: markets, heartbeatMilliseconds: 1_000, timeoutMilliseconds: 10_000)
    }

    func testAWelcomeWithinTheCapsPasses() {
        XCTAssertNil(welcome().refusal)
        XCTAssertNil(welcome(spec: String(repeating: "#", count: ProtocolLimits.maxSpecBytes)).refusal)
    }

    func testASpecOrMarketAboveWhatAWorkerDecodesIsRefused() throws {
        let spec = try XCTUnwrap(welcome(spec: String(repeating: "#", count: ProtocolLimits.maxSpecBytes + 1)).refusal)
        XCTAssertTrue(spec.contains("a worker would refuse"), spec)
        let market = try XCTUnwrap(welcome(markets: [String(repeating: " ", count: ProtocolLimits.maxMarketBytes + 1)]).refusal)
        XCTAssertTrue(market.contains("a worker would refuse"), market)
        let many = try XCTUnwrap(welcome(markets: Array(repeating: "{}", count: ProtocolLimits.maxMarkets + 1)).refusal)
        XCTAssertTrue(many.contains("markets"), many)
    }

    func testTheCoordinatorRefusesItBeforeBinding() throws {
        let spec = try SweepSpec.parse(yaml: "name: x\nmarkets: [gsm8k/majority]\naxes: {beta: [1]}\n", source: "x.yaml")
        let plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        let huge = String(repeating: " ", count: ProtocolLimits.maxMarketBytes + 1)
        XCTAssertThrowsError(try Coordinator(plan: plan, sink: MemorySink(), options: CoordinatorOptions(bind: "tcp://127.0.0.1:*"),
                                             marketsJSON: [huge])) { error in
            XCTAssertEqual((error as? EngineError)?.exitCode, 2, "\(error)")
        }
    }
}
