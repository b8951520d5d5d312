// Helpers of the ingestion tests: temporary run directories, an independent reading of
// fixtures (Foundation's JSONSerialization, not ingestion's scanner) and the true curves
// of SyntheticRun's model in closed form.

import Foundation
import Profiles
import XCTest

/// A fresh temporary directory, removed by the test case's teardown.
func ingestionTempDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-ingest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir.path
}

/// Writes `lines` (joined with `\n`, plus a final `\n`) to `dir/name`.
@discardableResult
func writeRunFile(_ dir: String, _ name: String, _ lines: [String]) throws -> String {
    let path = (dir as NSString).appendingPathComponent(name)
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// One question of a fixture as JSONSerialization reads it.
struct FixtureQuestion {
    var correct: [Bool]
    var rewards: [Double]      // -inf for null
    var tokens: [Int]          // totals
}

/// Reads a JSONL fixture with Foundation (independently of the scanner under test).
func readFixture(_ path: String) throws -> [FixtureQuestion] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var out: [FixtureQuestion] = []
    for line in data.split(separator: 0x0A) where !line.isEmpty {
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        let correct = try XCTUnwrap(o["correct"] as? [Bool])
        let rewards = try XCTUnwrap(o["rewards"] as? [Any]).map { ($0 as? NSNumber)?.doubleValue ?? -Double.infinity }
        let tokens = try XCTUnwrap(o["num_tokens"] as? [Any]).map { t -> Int in
            if let pair = t as? [NSNumber] { return pair[1].intValue }
            return (t as! NSNumber).intValue
        }
        out.append(FixtureQuestion(correct: correct, rewards: rewards, tokens: tokens))
    }
    return out
}

/// C(n, k) as a Double (0 when k > n).
func choose(_ n: Int, _ k: Int) -> Double {
    guard k >= 0, k <= n else { return 0 }
    var r = 1.0
    for j in 0..<min(k, n - k) { r = r * Double(n - j) / Double(j + 1) }
    return r
}

/// The exact probability, over the random theta-subsets of one question's samples, that
/// best-of-n picks a correct sample (ties among equal rewards broken uniformly).
func exactBestOfN(_ q: FixtureQuestion, theta: Int) -> Double {
    let n = q.rewards.count
    let order = (0..<n).sorted { q.rewards[$0] > q.rewards[$1] }
    var p = 0.0
    var above = 0, k = 0
    while k < n {
        var end = k
        while end < n, q.rewards[order[end]] == q.rewards[order[k]] { end += 1 }
        let tied = end - k
        let right = (k..<end).filter { q.correct[order[$0]] }.count
        let groupWins = (choose(n - above, theta) - choose(n - above - tied, theta)) / choose(n, theta)
        p += groupWins * Double(right) / Double(tied)
        above += tied
        k = end
    }
    return p
}

/// SyntheticRun's best-of-n accuracy at theta for one question type (sample accuracy p),
/// over i.i.d. samples: a "high" reward (correct, or a wrong sample fooling the verifier)
/// beats every low one; nulls lose to all; the best high one is a uniform pick among highs.
func trueBestOfN(p: Double, nulls: Double, fooled f: Double, theta: Int) -> Double {
    // A wrong sample (probability 1 - p, unreadable ones included) fools with f.
    let high = (1 - nulls) * (p + (1 - p) * f)
    let correctAmongHigh = p / (p + (1 - p) * f)
    return (1 - pow(1 - high, Double(theta))) * correctAmongHigh + pow(nulls, Double(theta)) * p
}

/// SyntheticRun's majority-vote accuracy at theta for one question type, over i.i.d.
/// samples: correct with p, unreadable with u, each of W = 3 wrong answers with
/// (1 - p - u) / 3; unreadable answers never win, ties are split uniformly.
func trueMajority(p: Double, unparseable u: Double, theta: Int) -> Double {
    let w = (1 - p - u) / 3
    var logFact = [0.0]
    for k in 1...max(theta, 1) { logFact.append(logFact[k - 1] + log(Double(k))) }
    func term(_ count: Int, _ prob: Double) -> Double {
        count == 0 ? 0 : Double(count) * log(prob)
    }
    var total = 0.0
    for c in 1...theta {
        for w1 in 0...(theta - c) where w1 <= c {
            for w2 in 0...(theta - c - w1) where w2 <= c {
                for w3 in 0...(theta - c - w1 - w2) where w3 <= c {
                    let un = theta - c - w1 - w2 - w3
                    let logP = logFact[theta] - logFact[c] - logFact[w1] - logFact[w2] - logFact[w3] - logFact[un]
                        + term(c, p) + term(w1, w) + term(w2, w) + term(w3, w) + term(un, u)
                    let ties = [w1, w2, w3].filter { $0 == c }.count
                    total += exp(logP) / Double(1 + ties)
                }
            }
        }
    }
    return total
}
