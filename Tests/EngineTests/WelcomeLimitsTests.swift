// A welcome a worker would drop is refused by the coordinator before any worker starts
// (issue 14, case 4): the check is the worker's own decoder.

import Engine
import Foundation
import Profiles
import Sweep
import XCTest

final class WelcomeLimitsTests: XCTestCase {
    static let specText = "name: x\nmarkets: [gsm8k/majority]\naxes: {beta: [1]}\n"

    /// The welcome of a real one-market sweep, its spec text padded with a comment to
    /// `specPadding` more bytes, its markets replaced by `markets` when given.
    func welcome(specPadding: Int = 0, markets: [String]? = nil) throws -> Welcome {
        let text = Self.specText + (specPadding > 0 ? "#" + String(repeating: "x", count: specPadding - 1) : "")
        let spec = try SweepSpec.parse(yaml: text, source: "x.yaml")
        let resolved = try SweepPlan.resolveMarkets(spec)
        return Welcome(plan: try SweepPlan(spec: spec, markets: resolved), marketsJSON: markets ?? resolved.map(MarketFile.renderJSON),
                       heartbeatMilliseconds: 1_000, timeoutMilliseconds: 10_000)
    }

    func testAWelcomeWithinTheCapsPasses() throws {
        XCTAssertNil(try welcome().refusal)
        XCTAssertNil(try welcome(specPadding: ProtocolLimits.maxSpecBytes - Self.specText.utf8.count).refusal)
    }

    func testASpecOrMarketAboveWhatAWorkerDecodesIsRefused() throws {
        var tooLong = try welcome()
        tooLong.specText += String(repeating: "#", count: ProtocolLimits.maxSpecBytes - Self.specText.utf8.count + 1)
        let spec = try XCTUnwrap(tooLong.refusal)
        XCTAssertTrue(spec.contains("a worker would refuse"), spec)
        let market = try XCTUnwrap(try welcome(markets: [String(repeating: " ", count: ProtocolLimits.maxMarketBytes + 1)]).refusal)
        XCTAssertTrue(market.contains("a worker would refuse"), market)
        let many = try XCTUnwrap(try welcome(markets: Array(repeating: "{}", count: ProtocolLimits.maxMarkets + 1)).refusal)
        XCTAssertTrue(many.contains("markets"), many)
    }

    /// A welcome that decodes but whose market JSON a worker cannot load (a fuzzing find: a
    /// market read from CSV whose JSON the nesting bound refused left every worker refusing
    /// and `ttcg run` at 0 games) is refused up front, by the worker's own loading.
    func testAMarketAWorkerCannotLoadIsRefused() throws {
        let braces = "{\"name\": \"" + String(repeating: "{", count: 70) + "\"}"
        for json in [braces, "{}", "not a market"] {
            let refusal = try XCTUnwrap(try welcome(markets: [json]).refusal, json)
            XCTAssertTrue(refusal.contains("would not load the spec and its markets"), refusal)
        }
        let two = try XCTUnwrap(try welcome(markets: [MarketFile.renderJSON(try XCTUnwrap(Catalog.market(named: "gsm8k/majority")))] + ["{}"]).refusal)
        XCTAssertTrue(two.contains("would not load"), two)
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
