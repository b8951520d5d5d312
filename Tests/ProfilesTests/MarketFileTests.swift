// The market file format of docs/market-format.md: what loads, and the exact one-line
// error for each kind of bad input.

import GameCore
import Profiles
import XCTest

/// The package root, found from this file so tests run from any directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

final class MarketFileTests: XCTestCase {
    func testLoadsAppendixA() throws {
        let path = packageRoot.appendingPathComponent("jobs/examples/appendix-a.yaml").path
        let m = try MarketFile.load(path: path)
        XCTAssertEqual(m.name, "appendix-a")
        XCTAssertEqual(m.levels, ["Low", "High"])
        XCTAssertEqual(m.settings, MarketSettings(alpha: 2, baseline: 0, valueCurve: .linear, margin: 0.25, v0: 0))
        XCTAssertEqual(m.providers, [
            Provider(name: "Provider 1", accuracy: [0.7, 0.9], pricing: .costs([0.25, 1])),
            Provider(name: "Provider 2", accuracy: [0.5, 0.95], pricing: .costs([0.5, 10])),
        ])
        // The paper's numbers follow (model.md §7).
        let g = try Game(market: m, rationality: .perfect)
        for (v, expected) in zip(g.value, [1.0875, 0.55, 0.375, -10.6]) {
            XCTAssertEqual(v, expected, accuracy: 1e-12)
        }
    }

    func testEveryExampleLoads() throws {
        let dir = packageRoot.appendingPathComponent("jobs/examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 3)
        for f in files { XCTAssertNoThrow(try MarketFile.load(path: dir.appendingPathComponent(f).path), f) }
    }

    func testDefaultsOfOptionalFields() throws {
        let m = try MarketFile.parse(yaml: """
            levels: [1, 4]
            alpha: 0.5
            providers:
              - name: A
                accuracy: [0.1, 0.2]
                cost: [1, 2]
            """, source: "dir/minimal.yaml")
        XCTAssertEqual(m.name, "minimal", "the file name names a market without `name`")
        XCTAssertEqual(m.levels, ["1", "4"], "numeric labels are read as text")
        XCTAssertEqual(m.settings, MarketSettings(alpha: 0.5, baseline: 0, valueCurve: .linear, margin: 0.25, v0: 0))
        XCTAssertNil(m.providers[0].margin)
    }

    func testEveryOptionalFieldIsRead() throws {
        let m = try MarketFile.parse(yaml: """
            name: full
            levels: [Low, High]
            alpha: 0.02
            baseline: 0.1
            value_curve: {power: 2.5}
            margin: 0.3
            v0: 0.001
            providers:
              - name: T
                accuracy: [0.5, 0.6]
                tokens: [100, 400]
                price_per_mtok: 0.2
                margin: 0.5
              - name: C
                accuracy: [0.4, 0.45]
                cost: [0.001, 0.002]
            """, source: "full.yaml")
        XCTAssertEqual(m.settings, MarketSettings(alpha: 0.02, baseline: 0.1, valueCurve: .power(gamma: 2.5), margin: 0.3, v0: 0.001))
        XCTAssertEqual(m.providers[0].margin, 0.5)
        XCTAssertEqual(m.providers[0].pricing, .tokens(perQuery: [100, 400], pricePerMillionTokens: 0.2))
        XCTAssertNil(m.providers[1].margin)
        let exp = try MarketFile.parse(yaml: "levels: [a]\nalpha: 1\nvalue_curve: {exp: 3}\nproviders: [{name: X, accuracy: [0.5], cost: [0]}]")
        XCTAssertEqual(exp.settings.valueCurve, .exponential(kappa: 3))
        let linear = try MarketFile.parse(yaml: "levels: [a]\nalpha: 1\nvalue_curve: linear\nproviders: [{name: X, accuracy: [0.5], cost: [0]}]")
        XCTAssertEqual(linear.settings.valueCurve, .linear)
    }

    /// render -> parse gives the market back, every optional field included.
    func testRenderRoundTrip() throws {
        let curves: [ValueCurve] = [.linear, .power(gamma: 2), .exponential(kappa: -1.5)]
        for curve in curves {
            let m = Market(name: "round: \"trip\"", levels: ["1", "yes", "High"], providers: [
                Provider(name: "no", accuracy: [0.1, 0.25, 1], pricing: .costs([0, 0.5, 1e-7]), margin: 0.4),
                Provider(name: "Qwen2.5-7B", accuracy: [0.906, 0.93, 0.933],
                         pricing: .tokens(perQuery: [292, 1168, 2336], pricePerMillionTokens: 0.125)),
            ], settings: MarketSettings(alpha: 0.008, baseline: 0.1, valueCurve: curve, margin: 0.25, v0: -0.003))
            let back = try MarketFile.parse(yaml: MarketFile.render(m), source: "r.yaml")
            XCTAssertEqual(back, m, "\(curve)")
        }
    }

    func testMissingFileIsOneLine() {
        assertError({ _ = try MarketFile.load(path: "/nonexistent/m.yaml") },
                    "/nonexistent/m.yaml: cannot read the market file: no such file")
    }
}

// MARK: - bad input, one test per case

/// A valid two-provider market; each bad-input test breaks one thing in it.
let validYAML = """
    name: t
    levels: [Low, High]
    alpha: 2.0
    providers:
      - name: P1
        accuracy: [0.7, 0.9]
        cost: [0.25, 1.0]
      - name: P2
        accuracy: [0.5, 0.95]
        tokens: [192, 768]
        price_per_mtok: 0.15
    """

func assertError(_ body: () throws -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
    do {
        try body()
        XCTFail("no error; expected \(expected)", file: file, line: line)
    } catch let e as MarketFileError {
        XCTAssertEqual(e.description, expected, file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), "one line", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// Parses `validYAML` with `old` replaced by `new` (or `extra` appended) and expects `message`.
func assertBad(replacing old: String = "", with new: String = "", appending extra: String = "",
               _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    var yaml = validYAML
    if !old.isEmpty {
        XCTAssertTrue(yaml.contains(old), "test setup: '\(old)' not in the market", file: file, line: line)
        yaml = yaml.replacingOccurrences(of: old, with: new)
    }
    yaml += extra
    assertError({ _ = try MarketFile.parse(yaml: yaml, source: "jobs/x.yaml") }, "jobs/x.yaml: " + message, file: file, line: line)
}

final class MarketFileErrorTests: XCTestCase {
    func testValidBaseLoads() throws {
        XCTAssertEqual(try MarketFile.parse(yaml: validYAML, source: "jobs/x.yaml").providers.count, 2)
    }

    /// YAML 1.1 base-60 ints (`1:30` is 90) read as numbers; one too large for an Int used to
    /// trap inside Yams (a fuzzing find, Fuzz/corpus/marketReader/regress-yaml-base60-int-overflow).
    func testBase60IntsReadAndDoNotTrap() throws {
        let ok = validYAML.replacingOccurrences(of: "alpha: 2.0", with: "alpha: 1:30")
        XCTAssertEqual(try MarketFile.parse(yaml: ok, source: "x").settings.alpha, 90)
        let large = validYAML.replacingOccurrences(of: "alpha: 2.0", with: "alpha: -19999999999999999:5")
        XCTAssertEqual(try MarketFile.parse(yaml: large, source: "x").settings.alpha, -19999999999999999 * 60 + 5)
        let digits = (0..<250).map { String($0 % 60) }.joined(separator: ":")
        assertBad(replacing: "alpha: 2.0", with: "alpha: 1:\(digits)", "field 'alpha': expected a number, got '1:\(digits)'")
    }

    func testNaN() {
        assertBad(replacing: "[0.7, 0.9]", with: "[0.7, .nan]",
                  "provider 'P1': field 'accuracy' (level 1): expected a fraction in [0, 1], got nan")
    }

    func testNegativeTokens() {
        assertBad(replacing: "[192, 768]", with: "[192, -5]",
                  "provider 'P2': field 'tokens' (level 1): expected a finite number >= 0, got -5")
    }

    func testNegativePrice() {
        assertBad(replacing: "price_per_mtok: 0.15", with: "price_per_mtok: -0.15",
                  "provider 'P2': field 'price_per_mtok': expected a finite number >= 0, got -0.15")
    }

    func testNegativeCost() {
        assertBad(replacing: "[0.25, 1.0]", with: "[-0.25, 1.0]",
                  "provider 'P1': field 'cost' (level 0): expected a finite number >= 0, got -0.25")
    }

    func testAccuracyAboveOne() {
        assertBad(replacing: "[0.5, 0.95]", with: "[0.5, 95]",
                  "provider 'P2': field 'accuracy' (level 1): expected a fraction in [0, 1], got 95")
    }

    func testAccuracyBelowZero() {
        assertBad(replacing: "[0.5, 0.95]", with: "[-0.5, 0.95]",
                  "provider 'P2': field 'accuracy' (level 0): expected a fraction in [0, 1], got -0.5")
    }

    func testUnequalLevelCounts() {
        assertBad(replacing: "[192, 768]", with: "[192, 768, 1536]",
                  "provider 'P2': field 'tokens': expected 2 values, one per level (got 3)")
        assertBad(replacing: "[0.7, 0.9]", with: "[0.7]",
                  "provider 'P1': field 'accuracy': expected 2 values, one per level (got 1)")
    }

    func testDuplicateProviderNames() {
        assertBad(replacing: "name: P2", with: "name: P1",
                  "provider 'P1': field 'name': expected a unique provider name (it appears twice)")
    }

    func testUnknownTopLevelKey() {
        assertBad(appending: "\ncolour: red",
                  "field 'colour': unknown key; expected one of name, dataset, method, levels, alpha, baseline, value_curve, margin, v0, providers")
    }

    func testUnknownProviderKey() {
        assertBad(replacing: "cost: [0.25", with: "costs: [0.25",
                  "provider 'P1': field 'costs': unknown key; expected one of name, accuracy, cost, tokens, price_per_mtok, margin")
    }

    func testNoProviders() {
        assertError({ _ = try MarketFile.parse(yaml: "levels: [a]\nalpha: 1\nproviders: []", source: "e.yaml") },
                    "e.yaml: field 'providers': expected at least one provider")
        assertError({ _ = try MarketFile.parse(yaml: "levels: [a]\nalpha: 1", source: "e.yaml") },
                    "e.yaml: field 'providers': expected a list of providers, but the field is missing")
    }

    func testMarketMarginAtMostMinusOne() {
        assertBad(appending: "\nmargin: -1", "field 'margin': expected a finite number > -1, got -1")
    }

    func testProviderMarginAtMostMinusOne() {
        assertBad(replacing: "price_per_mtok: 0.15", with: "price_per_mtok: 0.15\n    margin: -1.5",
                  "provider 'P2': field 'margin': expected a finite number > -1, got -1.5")
    }

    func testCostAndTokensBoth() {
        assertBad(replacing: "price_per_mtok: 0.15", with: "price_per_mtok: 0.15\n    cost: [1, 2]",
                  "provider 'P2': field 'cost': expected either 'cost' or 'tokens' with 'price_per_mtok', not both")
    }

    func testNeitherCostNorTokens() {
        assertBad(replacing: "    cost: [0.25, 1.0]\n", with: "",
                  "provider 'P1': field 'cost': expected 'cost' (dollars per query) or 'tokens' with 'price_per_mtok', found neither")
    }

    func testTokensWithoutPrice() {
        assertBad(replacing: "\n    price_per_mtok: 0.15", with: "",
                  "provider 'P2': field 'price_per_mtok': expected a price in dollars per 1M tokens alongside 'tokens', but the field is missing")
    }

    func testWrongTypes() {
        assertBad(replacing: "alpha: 2.0", with: "alpha: abc", "field 'alpha': expected a number, got 'abc'")
        assertBad(replacing: "[0.5, 0.95]", with: "[0.5, \"0.95\"]",
                  "provider 'P2': field 'accuracy' (level 1): expected a number, got the quoted string \"0.95\"")
        assertBad(replacing: "[0.7, 0.9]", with: "0.7",
                  "provider 'P1': field 'accuracy': expected a list of accuracies (fractions in [0, 1]), one per level, got '0.7'")
        assertBad(replacing: "levels: [Low, High]", with: "levels: {Low: 1}",
                  "field 'levels': expected a list of level labels, cheapest first, got a mapping")
    }

    func testOtherStructuralErrors() {
        assertBad(appending: "\nalpha: 3", "field 'alpha': expected the key once, but it appears twice")
        assertBad(replacing: "[Low, High]", with: "[Low, Low]", "field 'levels' (level 1): expected distinct labels, but 'Low' appears twice")
        assertBad(appending: "\nvalue_curve: {power: -1}", "field 'value_curve.power': expected a finite number > 0, got -1")
        assertBad(appending: "\nvalue_curve: cubic", "field 'value_curve': expected linear, {power: GAMMA} or {exp: KAPPA}, got 'cubic'")
        assertBad(replacing: "  - name: P1\n", with: "  - name: ''\n", "providers[0]: field 'name': expected a non-empty text, got an empty one")
        assertBad(replacing: "alpha: 2.0", with: "alpha: .inf", "field 'alpha': expected a finite number, got inf")
        assertError({ _ = try MarketFile.parse(yaml: "", source: "e.yaml") },
                    "e.yaml: expected a market (a mapping with name, dataset, method, levels, alpha, baseline, value_curve, margin, v0, providers), got an empty document")
        assertError({ _ = try MarketFile.parse(yaml: "name: [t\nalpha: 2", source: "e.yaml") },
                    "e.yaml: not valid YAML at line 2, column 6: while parsing a flow sequence: did not find expected ',' or ']'")
    }
}
