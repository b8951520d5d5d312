// Bad sweep specs: one line naming the file, the YAML path of the culprit and what was
// expected. One case per axis and option.

import Sweep
import XCTest

final class SpecErrorTests: XCTestCase {
    static let valid = """
        markets: [gsm8k/chain-of-thought]
        axes: {beta: [1000], margin: [0.25], alpha: [0.008], v0: [0], value_curve: [linear], seed: [0]}
        dynamics: {rule: nearest-improvement, order: random, start: lowest, tolerance: 1e-8, max_rounds: 100}
        outputs: {trajectories: false, all_equilibria: auto, chunk: 8}
        """

    func assertBad(_ yaml: String, path: String?, _ contains: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try plan(yaml)
            XCTFail("accepted: \(yaml)", file: file, line: line)
        } catch let e as SpecError {
            XCTAssertEqual(e.path, path, e.description, file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix("t.yaml: "), e.description, file: file, line: line)
            XCTAssertTrue(e.description.contains(contains), e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func replacing(_ old: String, _ new: String) -> String {
        XCTAssertTrue(Self.valid.contains(old), old)
        return Self.valid.replacingOccurrences(of: old, with: new)
    }

    func testValidSpecPlans() throws {
        XCTAssertEqual(try plan(Self.valid).pointCount, 1)
    }

    func testEveryAxisAndOption() {
        let cases: [(String, String, String?, String)] = [
            ("beta: [1000]", "beta: [1000, -1]", "axes.beta[1]", "expected a beta > 0, inf, or {logspace"),
            ("beta: [1000]", "beta: [0]", "axes.beta[0]", "expected a beta > 0"),
            ("beta: [1000]", "beta: [{logspace: [0, 6]}]", "axes.beta[0].logspace", "expected [from, to, n]"),
            ("beta: [1000]", "beta: [{linspace: [0, 6, 3]}]", "axes.beta[0].linspace", "unknown key"),
            ("beta: [1000]", "beta: []", "axes.beta", "at least one value"),
            ("margin: [0.25]", "margin: [0.25, -1]", "axes.margin[1]", "expected a margin > -1"),
            ("margin: [0.25]", "margin: [abc]", "axes.margin[0]", "expected a margin > -1, got 'abc'"),
            ("alpha: [0.008]", "alpha: [.nan]", "axes.alpha[0]", "expected an alpha"),
            ("alpha: [0.008]", "alpha: {per_dataset: {gpqa: 0.02}}", "axes.alpha.per_dataset", "expected an alpha for the dataset of market 'gsm8k/chain-of-thought'"),
            ("alpha: [0.008]", "alpha: {multipliers: [1], scale: 2}", "axes.alpha.scale", "unknown key"),
            ("v0: [0]", "v0: [x]", "axes.v0[0]", "expected a number"),
            ("value_curve: [linear]", "value_curve: [cubic]", "axes.value_curve[0]", "expected linear, {power: GAMMA} or {exp: KAPPA}"),
            ("value_curve: [linear]", "value_curve: [{power: -2}]", "axes.value_curve[0].power", "expected a power > 0"),
            ("seed: [0]", "seed: [-1]", "axes.seed[0]", "expected an integer seed >= 0"),
            ("seed: [0]", "seed: {range: [5, 2]}", "axes.seed.range[1]", "expected an end"),
            ("seed: [0]", "gamma: [0]", "axes.gamma", "unknown key; expected one of beta, margin"),
            ("rule: nearest-improvement", "rule: greedy", "dynamics.rule", "expected nearest-improvement, best-response"),
            ("order: random", "order: [random, sideways]", "dynamics.order[1]", "expected random, round-robin"),
            ("start: lowest", "start: middle", "dynamics.start", "expected lowest, highest or random"),
            ("tolerance: 1e-8", "tolerance: -1", "dynamics.tolerance", "expected a tolerance >= 0"),
            ("max_rounds: 100", "max_rounds: 0", "dynamics.max_rounds", "expected a round count >= 1"),
            ("max_rounds: 100", "max_rounds: 100, speed: 2", "dynamics.speed", "unknown key"),
            ("trajectories: false", "trajectories: maybe", "outputs.trajectories", "expected true, false or {beta: [...]}"),
            ("all_equilibria: auto", "all_equilibria: sometimes", "outputs.all_equilibria", "expected true, false or auto"),
            ("chunk: 8", "chunk: 0", "outputs.chunk", "expected a number of grid points per work item"),
            ("markets: [gsm8k/chain-of-thought]", "markets: []", "markets", "at least one market"),
            ("markets: [gsm8k/chain-of-thought]", "markets: [gsm8k/beam]", "markets[0]", "expected a catalog market"),
            ("markets: [gsm8k/chain-of-thought]", "markets: [{market: gsm8k/chain-of-thought, models: [GPT-9]}]", "markets[0].models", "unknown provider 'GPT-9'"),
            ("markets: [gsm8k/chain-of-thought]", "markets: [gsm8k/chain-of-thought, gsm8k/chain-of-thought]", "markets[1]", "distinct market names"),
            ("markets: [gsm8k/chain-of-thought]", "markets: [{models: [a]}]", "markets[0]", "expected a 'market' key"),
        ]
        for (old, new, path, contains) in cases { assertBad(replacing(old, new), path: path, contains) }
    }

    func testTopLevel() {
        assertBad(Self.valid + "\ncolour: red", path: "colour", "unknown key; expected one of name, seed, markets")
        assertBad("axes: {beta: [1]}", path: nil, "expected a 'markets' list")
        assertBad("", path: nil, "empty document")
        assertBad("markets: [a\n", path: nil, "not valid YAML at line")
        assertBad(replacing("chunk: 8", "chunk: 8}\n"), path: nil, "not valid YAML")
        assertBad("[1, 2]", path: nil, "expected a sweep spec")
        assertBad(Self.valid + "\nseed: -4", path: "seed", "expected an integer seed >= 0")
    }

    func testAllEquilibriaAlwaysOnAHugeMarketIsRefused() {
        // 6^9 = 10 million profiles per point is fine; 9 providers x 6 levels passes, so use
        // a bigger subset-free market: best-of-n with all 9 models is 1.0e7 <= 1e9, allowed.
        XCTAssertNoThrow(try plan("markets: [gsm8k/best-of-n]\noutputs: {all_equilibria: true}"))
    }

    func testMissingFile() {
        XCTAssertThrowsError(try SweepSpec.load(path: "no/such/spec.yaml")) { e in
            XCTAssertEqual("\(e)", "no/such/spec.yaml: cannot read the sweep spec: no such file")
        }
    }
}
