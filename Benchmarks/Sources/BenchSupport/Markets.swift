// The deterministic inputs of the benchmark cases (see ../../README.md).
//
// (a) the paper's GSM8K best-of-n market (9 providers x 6 levels), from ttcg's compiled-in
//     catalog (`ttcg profiles export gsm8k/best-of-n --format csv` prints the same numbers);
// (b), (c) seeded random markets of the same kind (concave increasing accuracy, increasing
//     tokens, realistic prices), built with GameCore's `SeededGenerator`.

import Foundation
import GameCore
import Profiles

public enum BenchMarkets {
    /// The paper's published GSM8K settings (model.md §1): linear f, b = 0.1, margin 0.25,
    /// V0 = 0, alpha = 0.008 dollars per unit of accuracy.
    public static let gsm8kSettings = MarketSettings(alpha: 0.008, baseline: 0.1, valueCurve: .linear,
                                                     margin: 0.25, v0: 0)
    public static let beta = 1000.0

    public struct InputError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Where market (a) comes from, for the sanity print.
    public static let paperMarketSource = "the built-in catalog (gsm8k/best-of-n)"

    /// One (dataset, method) market of the built-in catalog, with `settings`.
    public static func paperMarket(dataset: String = "gsm8k", method: String = "best-of-n",
                                   settings: MarketSettings = gsm8kSettings) throws -> Market {
        guard var market = Catalog.market(named: "\(dataset)/\(method)") else {
            throw InputError(description: "no catalog market \(dataset)/\(method); the catalog has \(Catalog.names.joined(separator: ", "))")
        }
        market.settings = settings
        for i in market.providers.indices { market.providers[i].margin = nil }
        return market
    }

    /// Case (a): the GSM8K best-of-n market at beta = 1000.
    public static func gsm8kGame() throws -> Game {
        try Game(market: paperMarket(), rationality: .bounded(beta: beta))
    }

    /// A uniform double in [lo, hi) from the seeded generator.
    static func uniform(_ g: inout SeededGenerator, _ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * (Double(g.next() >> 11) * 0x1p-53)
    }

    /// A seeded random market shaped like the paper's: per provider, accuracy rises
    /// concavely from a0 in [0.30, 0.85] by 0.02..0.20 (capped at 0.99), tokens grow
    /// geometrically from 150..250 to 64x that (1 to 64 samples), price 0.05..0.30 $/Mtok.
    /// With alpha 0.008 every value q - p lies within about 0.01 dollars, so beta = 1000
    /// spreads the logit exponents over ~10 units.
    public static func randomMarket(providers n: Int, levels k: Int, seed: UInt64) -> Market {
        var g = SeededGenerator(seed: seed)
        var providers: [Provider] = []
        let span = Double(Swift.max(k - 1, 1))
        for i in 0..<n {
            let a0 = uniform(&g, 0.30, 0.85)
            let gain = Swift.min(uniform(&g, 0.02, 0.20), 0.99 - a0)
            let curvature = uniform(&g, 1, 5)
            let t0 = uniform(&g, 150, 250)
            let pricePerMtok = uniform(&g, 0.05, 0.30)
            var acc: [Double] = [], tok: [Double] = []
            for l in 0..<k {
                let x = Double(l) / span
                acc.append(a0 + gain * (1 - Foundation.exp(-curvature * x)) / (1 - Foundation.exp(-curvature)))
                tok.append(t0 * Foundation.pow(64, x))
            }
            providers.append(Provider(name: "P\(i)", accuracy: acc,
                                      pricing: .tokens(perQuery: tok, pricePerMillionTokens: pricePerMtok)))
        }
        return Market(name: "random \(n)x\(k) seed \(seed)", levels: (0..<k).map { "L\($0)" },
                      providers: providers, settings: gsm8kSettings)
    }

    /// Case (b): 1000 providers x 64 levels, beta = 1000.
    public static func largeGame() throws -> Game {
        try Game(market: randomMarket(providers: 1000, levels: 64, seed: 20_240_601), rationality: .bounded(beta: beta))
    }

    /// Case (c): 9 providers x 7 levels (40,353,607 profiles), beta = 1000.
    public static func enumerationGame() throws -> Game {
        try Game(market: randomMarket(providers: 9, levels: 7, seed: 7), rationality: .bounded(beta: beta))
    }
}
