// Bad input through the binary: exit code 2 and exactly one line on stderr that says
// what to fix (docs/architecture.md, "Exit codes").

import Foundation
import XCTest

final class BadInputTests: XCTestCase {
    /// A valid market; each case below breaks one thing.
    static let valid = """
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

    /// (what breaks, replace, with, provider named in the line or nil, field named in the line)
    static let cases: [(String, String, String, String?, String)] = [
        ("NaN", "[0.7, 0.9]", "[0.7, .nan]", "P1", "accuracy"),
        ("negative tokens", "[192, 768]", "[192, -5]", "P2", "tokens"),
        ("negative price", "price_per_mtok: 0.15", "price_per_mtok: -1", "P2", "price_per_mtok"),
        ("negative cost", "[0.25, 1.0]", "[0.25, -1.0]", "P1", "cost"),
        ("accuracy > 1", "[0.5, 0.95]", "[0.5, 1.5]", "P2", "accuracy"),
        ("accuracy < 0", "[0.5, 0.95]", "[-0.5, 0.95]", "P2", "accuracy"),
        ("unequal levels", "[192, 768]", "[192]", "P2", "tokens"),
        ("duplicate names", "name: P2", "name: P1", "P1", "name"),
        ("unknown top-level key", "alpha: 2.0", "alpha: 2.0\ncolour: red", nil, "colour"),
        ("unknown provider key", "cost: [0.25, 1.0]", "cost: [0.25, 1.0]\n    colour: red", "P1", "colour"),
        ("market margin", "alpha: 2.0", "alpha: 2.0\nmargin: -1", nil, "margin"),
        ("provider margin", "price_per_mtok: 0.15", "price_per_mtok: 0.15\n    margin: -2", "P2", "margin"),
        ("cost and tokens", "price_per_mtok: 0.15", "price_per_mtok: 0.15\n    cost: [1, 2]", "P2", "cost"),
        ("tokens without price", "\n    price_per_mtok: 0.15", "", "P2", "price_per_mtok"),
        ("wrong type", "alpha: 2.0", "alpha: two", nil, "alpha"),
    ]

    func testEveryBadMarketExitsTwoWithOneLine() throws {
        for (what, old, new, provider, field) in Self.cases {
            XCTAssertTrue(Self.valid.contains(old), "test setup: \(what)")
            let path = try temporaryMarket(Self.valid.replacingOccurrences(of: old, with: new))
            let run = try ttcg(["solve", path])
            XCTAssertEqual(run.status, 2, "\(what): \(run.stderr)")
            XCTAssertEqual(run.stdout, "", what)
            XCTAssertEqual(run.stderrLines.count, 1, "\(what): \(run.stderr)")
            let line = String(run.stderrLines.first ?? "")
            XCTAssertTrue(line.hasPrefix(path + ": "), "\(what): names the file: \(line)")
            if let provider { XCTAssertTrue(line.contains("provider '\(provider)'"), "\(what): \(line)") }
            XCTAssertTrue(line.contains("field '\(field)'"), "\(what): \(line)")
            XCTAssertTrue(line.contains("expected"), "\(what): \(line)")
        }
    }

    func testEmptyProvidersList() throws {
        let path = try temporaryMarket("levels: [a]\nalpha: 1\nproviders: []\n")
        let run = try ttcg(["solve", path])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "\(path): field 'providers': expected at least one provider\n")
    }

    func testExactLineForNegativeTokens() throws {
        let path = try temporaryMarket(Self.valid.replacingOccurrences(of: "[192, 768]", with: "[192, -5]"))
        let run = try ttcg(["solve", path, "--json"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "\(path): provider 'P2': field 'tokens' (level 1): expected a finite number >= 0, got -5\n")
    }

    func testMissingFile() throws {
        let run = try ttcg(["solve", "no/such/market.yaml"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "no/such/market.yaml: cannot read the market file: no such file\n")
    }

    func testBadFlagsExitTwoWithOneLine() throws {
        let cases: [([String], String)] = [
            (["--beta", "-3"], "--beta"),
            (["--beta", "abc"], "--beta"),
            (["--beta", "0"], "--beta"),
            (["--rule", "foo"], "--rule"),
            (["--order", "sideways"], "--order"),
            (["--start", "middle"], "--start"),
            (["--start", "1,1,1"], "--start"),
            (["--margin", "-1"], "--margin"),
            (["--alpha", "nan"], "--alpha"),
            (["--tolerance", "-1"], "--tolerance"),
            (["--max-rounds", "0"], "--max-rounds"),
            (["--threads", "0"], "--threads"),
            (["--models", "Nobody"], "Nobody"),
            (["--models", "Provider 1,Provider 1"], "twice"),
            (["--all-equilibria", "--budget", "3"], "budget"),
            (["--frobnicate"], "--frobnicate"),
        ]
        for (flags, needle) in cases {
            let run = try ttcg(["solve", appendixA] + flags)
            XCTAssertEqual(run.status, 2, "\(flags): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.count, 1, "\(flags): \(run.stderr)")
            let line = String(run.stderrLines.first ?? "")
            XCTAssertTrue(line.hasPrefix("ttcg: "), "\(flags): \(line)")
            XCTAssertTrue(line.contains(needle), "\(flags): \(line)")
        }
    }

    func testUsageErrorsExitTwo() throws {
        for args in [["solve"], ["frobnicate"], ["solve", appendixA, "extra"]] {
            let run = try ttcg(args)
            XCTAssertEqual(run.status, 2, "\(args)")
            XCTAssertEqual(run.stderrLines.count, 1, "\(args): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("ttcg: ") && run.stderr.contains("--help"), run.stderr)
        }
    }
}
