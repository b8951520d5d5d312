// `ttcg solve` end to end: the paper's Appendix A numbers through the JSON output,
// the human report, and one clear line with exit code 2 for every bad input.

import Foundation
import XCTest

let appendixA = "jobs/examples/appendix-a.yaml"

final class SolveAppendixATests: XCTestCase {
    func testAppendixAJSONMatchesThePaper() throws {
        let run = try ttcg(["solve", appendixA, "--beta", "inf", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        let d = try jsonObject(run)
        XCTAssertEqual(d["market"] as? String, "appendix-a")
        XCTAssertEqual(d["beta"] as? String, "inf")
        XCTAssertEqual(d.double("margin"), 0.25)
        XCTAssertEqual(d.double("alpha"), 2)
        XCTAssertEqual(d.double("v0"), 0)
        let providers = try XCTUnwrap(d["providers"] as? [[String: Any]])
        XCTAssertEqual(providers.map { $0["name"] as? String }, ["Provider 1", "Provider 2"])
        let values = providers.map { ($0["value_per_level"] as? [NSNumber])?.map(\.doubleValue) ?? [] }
        for (got, expected) in zip(values[0] + values[1], [1.0875, 0.55, 0.375, -10.6]) {
            XCTAssertEqual(got, expected, accuracy: 1e-12)
        }
        XCTAssertEqual(providers[0]["level_eq"] as? Int, 1, "provider 1 at High")
        XCTAssertEqual(try XCTUnwrap(providers[0].double("utility_eq")), 0.25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(providers[0].double("share_eq")), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(providers[0].double("value_eq")), 0.55, accuracy: 1e-12)
        let eq = try XCTUnwrap(d.object("equilibrium"))
        XCTAssertEqual((eq["profile"] as? [Int])?.first, 1)
        XCTAssertEqual(try XCTUnwrap(eq.double("welfare")), 0.8, accuracy: 1e-12)
        XCTAssertEqual(eq["converged"] as? Bool, true)
        XCTAssertNotNil(eq["steps"] as? Int)
        XCTAssertEqual(try XCTUnwrap(d.double("max_welfare")), 1.15, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(d.double("poa")), 1.4375, accuracy: 1e-12)
        XCTAssertNil(d["poa_reason"])
        XCTAssertNil(d["equilibria"], "only with --all-equilibria")
        XCTAssertNil(d["trajectory"], "only with --trajectory")
        let prediction = try XCTUnwrap(d.object("dominant_prediction"))
        XCTAssertEqual(prediction["dominant"] as? String, "Provider 1")
        XCTAssertEqual(prediction["level"] as? Int, 1)
        let auction = try XCTUnwrap(d.object("auction"))
        XCTAssertEqual(auction["winner"] as? String, "Provider 1")
        XCTAssertEqual(auction["runner_up"] as? String, "Provider 2")
        XCTAssertEqual(try XCTUnwrap(auction.double("payment")), 0.9, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(auction.double("user_value")), 0.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(auction.double("winner_utility")), 0.65, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(auction.double("welfare")), 1.15, accuracy: 1e-12)
        let stats = try XCTUnwrap(d.object("market_stats"))
        XCTAssertEqual(try XCTUnwrap(stats.double("user_value")), 0.55, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stats.double("price")), 1.25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stats.double("provider_utility")), 0.25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(stats.double("welfare")), 0.8, accuracy: 1e-12)
    }

    func testAllEquilibriaAndTrajectoryInJSON() throws {
        let run = try ttcg(["solve", appendixA, "--beta", "inf", "--json", "--all-equilibria", "--trajectory", "--threads", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let d = try jsonObject(run)
        let e = try XCTUnwrap(d.object("equilibria"))
        XCTAssertEqual(e["count"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(e.double("worst_welfare")), 0.8, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(e.double("best_welfare")), 0.8, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(e.double("poa_worst")), 1.4375, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(e.double("price_of_stability")), 1.4375, accuracy: 1e-12)
        let t = try XCTUnwrap(d.object("trajectory"))
        let steps = try XCTUnwrap(t["step"] as? [Int])
        let eq = try XCTUnwrap(d.object("equilibrium"))
        XCTAssertEqual(steps.count, (eq["steps"] as? Int ?? -1) + 1, "row 0 is the start")
        for key in ["visited", "moved", "profile", "shares", "utilities", "welfare", "potential", "inefficiency"] {
            XCTAssertEqual((t[key] as? [Any])?.count, steps.count, key)
        }
    }

    func testBoundedRationalityDefaultsAndOverrides() throws {
        let run = try ttcg(["solve", appendixA, "--json", "--margin", "0.5", "--alpha", "3", "--v0", "-0.1", "--models", "Provider 2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let d = try jsonObject(run)
        XCTAssertEqual(d.double("beta"), 1000, "default beta")
        XCTAssertEqual(d.double("margin"), 0.5)
        XCTAssertEqual(d.double("alpha"), 3)
        XCTAssertEqual(d.double("v0"), -0.1)
        XCTAssertNil(d["dominant_prediction"], "Theorem 2 is for beta = inf")
        let providers = try XCTUnwrap(d["providers"] as? [[String: Any]])
        XCTAssertEqual(providers.map { $0["name"] as? String }, ["Provider 2"])
        let prices = try XCTUnwrap(providers[0]["price_per_level"] as? [NSNumber])
        XCTAssertEqual(prices[0].doubleValue, 1.5 * 0.5, accuracy: 1e-15, "--margin applies")
        XCTAssertNil(try XCTUnwrap(d.object("auction"))["runner_up"] as? String, "one provider: no runner-up")
    }

    func testHumanReport() throws {
        let run = try ttcg(["solve", appendixA, "--beta", "inf", "--all-equilibria", "--trajectory"])
        XCTAssertEqual(run.status, 0, run.stderr)
        for needle in ["appendix-a", "Provider 1", "Provider 2", "PoA", "1.4375", "1.15", "Theorem 2",
                       "Theorem 4", "Auction", "Market vs auction", "All equilibria", "Trajectory", "High [1]"] {
            XCTAssertTrue(run.stdout.contains(needle), "report lacks '\(needle)'")
        }
    }

    func testWarningsForProfitsThatDoNotRise() throws {
        let path = try temporaryMarket("""
            levels: [a, b]
            alpha: 1
            providers:
              - {name: Flat, accuracy: [0.5, 0.6], cost: [0.2, 0.1]}
            """)
        let run = try ttcg(["solve", path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("warning: provider 'Flat'"), run.stdout)
        let json = try jsonObject(try ttcg(["solve", path, "--json"]))
        XCTAssertEqual((json["warnings"] as? [String])?.count, 1)
    }

    func testVersionAndHelpExitZero() throws {
        let version = try ttcg(["--version"])
        XCTAssertEqual(version.status, 0)
        // The version, the commit it was built from, and the libraries it runs with.
        let line = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(line.range(of: #"^ttcg \d+\.\d+\.\d+ \(commit [^;]+; libzmq \d+\.\d+\.\d+; HDF5 \d+\.\d+\.\d+\)$"#,
                                   options: .regularExpression), line)
        let help = try ttcg(["solve", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--all-equilibria"))
    }
}
