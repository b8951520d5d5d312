// The nesting bound taken before YAML reaches the parser (issue 14, case 2).

import Foundation
import Profiles
import XCTest

final class YAMLNestingTests: XCTestCase {
    func depth(_ text: String) -> Int { YAMLNesting.bound(text, limit: .max).depth }

    func testOrdinaryFilesStayFarBelowTheLimit() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("jobs").path)
            .filter { $0.hasSuffix(".yaml") }.map { root.appendingPathComponent("jobs/\($0)").path }
        files += try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("jobs/examples").path)
            .filter { $0.hasSuffix(".yaml") }.map { root.appendingPathComponent("jobs/examples/\($0)").path }
        XCTAssertGreaterThan(files.count, 3)
        for file in files {
            let d = depth(try String(contentsOfFile: file, encoding: .utf8))
            XCTAssertLessThanOrEqual(d, 16, file)
        }
        for name in Catalog.names {
            XCTAssertLessThanOrEqual(depth(MarketFile.renderJSON(try XCTUnwrap(Catalog.market(named: name)))), 8, name)
        }
    }

    func testTheBoundIsNeverBelowTheTrueDepth() {
        XCTAssertGreaterThanOrEqual(depth("a: [[[1]]]"), 3)
        XCTAssertGreaterThanOrEqual(depth("a:\n  b:\n    c: [1]\n"), 4)
        XCTAssertGreaterThanOrEqual(depth("- - - - x\n"), 4)
        XCTAssertGreaterThanOrEqual(depth("{\"a\": {\"b\": [{\"c\": []}]}}"), 5)
        // A quote inside a plain scalar is text: the brackets after it still count.
        XCTAssertGreaterThanOrEqual(depth("note: it's\nm: " + String(repeating: "[", count: 100)), 100)
        // Closing brackets inside a quoted scalar close nothing.
        XCTAssertGreaterThanOrEqual(depth("a: [[[ \"]]]\", [[[1]]]]]]"), 6)
        // A comment's brackets are not YAML; a quoted scalar over two lines keeps the columns.
        XCTAssertLessThan(depth("a: 1 # [[[[[[[[[[\n"), 4)
        XCTAssertGreaterThanOrEqual(depth("a:\n  b:\n    c: \"x\ny\"\n    d: [[1]]\n"), 5)
    }

    func testDeepTextsAreRefusedWithTheirLine() {
        let flow = "name: x\nmarkets: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        XCTAssertEqual(YAMLNesting.bound(flow).line, 2)
        XCTAssertNotNil(YAMLNesting.refusal(flow))
        XCTAssertNotNil(YAMLNesting.refusal("x:\n" + String(repeating: "- ", count: 5_000) + "y"))
        XCTAssertNil(YAMLNesting.refusal("x: [" + String(repeating: "[1], ", count: 5_000) + "]"))
    }

    /// Brackets inside quotes count toward the bound (so a misread quote cannot hide depth),
    /// so the writers escape `[` and `{` in names: a market read from CSV whose model is named
    /// with 70 braces (a fuzzing find) reads back from its YAML and its JSON, which a worker
    /// is sent. (Before, its JSON was refused and `ttcg run` sat at 0 games.)
    func testNamesOfManyBracketsReadBackFromYAMLAndJSON() throws {
        var market = try XCTUnwrap(Catalog.market(named: "gsm8k/majority"))
        let braces = String(repeating: "{", count: 70) + String(repeating: "[", count: 70)
        market.name = "m" + braces
        market.dataset = braces
        market.method = "[" + braces
        market.levels[0] = braces + "]}"
        market.providers[0].name = braces
        for (format, text) in [("YAML", MarketFile.render(market)), ("JSON", MarketFile.renderJSON(market))] {
            XCTAssertLessThan(depth(text), 16, format)
            XCTAssertEqual(try MarketFile.parse(yaml: text, source: format), market, format)
        }
        XCTAssertFalse(MarketFile.renderJSON(market).contains("{{"))
    }
}
