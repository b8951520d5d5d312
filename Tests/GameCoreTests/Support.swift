// Test support: seeded random markets and brute-force references that the exact
// shortcuts of GameCore are checked against.

import GameCore
import XCTest

extension SeededGenerator {
    /// Uniform in [a, b).
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * (Double(next() >> 11) * 0x1p-53)
    }

    /// Log-uniform in [a, b).
    mutating func logUniform(_ a: Double, _ b: Double) -> Double {
        Foundation.exp(uniform(Foundation.log(a), Foundation.log(b)))
    }
}

/// Where V0 sits relative to the providers' values.
enum AbstentionPlacement: CaseIterable {
    case zero, farBelow, amongValues, aboveAll
}

/// A random market in the paper's shape: accuracy rising with compute, tokens rising
/// faster, a positive margin (so profit rises with the level, Eq. 2).
func randomMarket(_ rng: inout SeededGenerator, providers n: Int, levels k: Int,
                  abstention: AbstentionPlacement = .zero) -> Market {
    var providers: [Provider] = []
    for i in 0..<n {
        var accuracy: [Double] = []
        var a = rng.uniform(0.05, 0.7)
        var tokens: [Double] = []
        var t = rng.uniform(50, 500)
        for _ in 0..<k {
            accuracy.append(Swift.min(a, 1))
            tokens.append(t)
            a += rng.uniform(0, 0.25) * (1 - a)
            t *= rng.uniform(1.1, 2.2)
        }
        providers.append(Provider(name: "P\(i)", accuracy: accuracy,
                                  pricing: .tokens(perQuery: tokens, pricePerMillionTokens: rng.uniform(100, 1500)),
                                  margin: rng.uniform(0, 1) < 0.3 ? rng.uniform(0.05, 1) : nil))
    }
    var market = Market(name: "random", levels: (0..<k).map { "L\($0)" }, providers: providers,
                        settings: MarketSettings(alpha: rng.uniform(0.5, 2), baseline: rng.uniform(0, 0.3),
                                                 margin: rng.uniform(0.05, 1), v0: 0))
    if abstention != .zero {
        let values = try! Game(market: market, rationality: .perfect).value.sorted()
        switch abstention {
        case .zero: break
        case .farBelow: market.settings.v0 = values.first! - 1
        case .amongValues: market.settings.v0 = values[rng.uniform(below: values.count)] + 1e-7
        case .aboveAll: market.settings.v0 = values.last! + 0.05
        }
    }
    return market
}

/// A rationality drawn from the range the property tests cover: beta log-uniform in
/// [0.1, 1e6], sometimes 1e9, sometimes infinity.
func randomRationality(_ rng: inout SeededGenerator) -> Rationality {
    switch rng.uniform(below: 10) {
    case 0, 1: return .perfect
    case 2: return .bounded(beta: 1e9)
    default: return .bounded(beta: rng.logUniform(0.1, 1e6))
    }
}

/// Calls `body` with every profile of `game`, in lexicographic order.
func forEachProfile(_ game: Game, _ body: ([Int]) -> Void) {
    var digits = [Int](repeating: 0, count: game.providerCount)
    while true {
        body(digits)
        var d = game.providerCount - 1
        while d >= 0 {
            digits[d] += 1
            if digits[d] < game.levelCount { break }
            digits[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

/// max W by evaluating every profile.
func bruteForceMaximumWelfare(_ game: Game) -> Double {
    var best = -Double.infinity
    forEachProfile(game) { best = Swift.max(best, game.welfare(of: $0)) }
    return best
}

/// Every pure equilibrium by checking every profile.
func bruteForceEquilibria(_ game: Game, tolerance: Double = 1e-8) -> [[Int]] {
    var found: [[Int]] = []
    forEachProfile(game) { if game.isNash($0, tolerance: tolerance) { found.append($0) } }
    return found
}

func assertRelativelyEqual(_ a: Double, _ b: Double, _ tolerance: Double, _ message: @autoclosure () -> String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    let scale = Swift.max(Swift.abs(a), Swift.abs(b), 1e-300)
    XCTAssert(Swift.abs(a - b) <= tolerance * scale, "\(a) != \(b) (rel \(Swift.abs(a - b) / scale)) \(message())",
              file: file, line: line)
}

/// The paper's Appendix A market (two providers, Low/High compute, given costs).
func appendixA() -> Market {
    Market(name: "appendix-a", levels: ["Low", "High"], providers: [
        Provider(name: "Provider 1", accuracy: [0.70, 0.90], pricing: .costs([0.25, 1.0])),
        Provider(name: "Provider 2", accuracy: [0.50, 0.95], pricing: .costs([0.5, 10.0])),
    ], settings: MarketSettings(alpha: 2.0, baseline: 0, valueCurve: .linear, margin: 0.25, v0: 0))
}
