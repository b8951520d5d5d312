// The deterministic inputs of the benchmark cases (see ../../README.md).
//
// (a) the paper's GSM8K best-of-n market (9 providers x 6 levels), read at run time from
//     `<repo>/../shared/data/paper-figures.csv`;
// (b), (c) seeded random markets of the same kind (concave increasing accuracy, increasing
//     tokens, realistic prices), built with GameCore's `SeededGenerator`.

import Foundation
import GameCore

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

    /// Where `paper-figures.csv` is: `$TTCG_PAPER_FIGURES` if set, else
    /// `<repo>/../shared/data/paper-figures.csv` (repo found from this source file, then
    /// from the working directory).
    public static func figuresPath() throws -> String {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["TTCG_PAPER_FIGURES"], !env.isEmpty {
            guard fm.fileExists(atPath: env) else {
                throw InputError(description: "TTCG_PAPER_FIGURES=\(env): no such file")
            }
            return env
        }
        // This file is <repo>/Benchmarks/Sources/BenchSupport/Markets.swift.
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        let candidates = [repo, cwd, cwd.deletingLastPathComponent()].map {
            $0.appendingPathComponent("../shared/data/paper-figures.csv").standardizedFileURL.path
        }
        if let found = candidates.first(where: { fm.fileExists(atPath: $0) }) { return found }
        throw InputError(description: """
            paper-figures.csv not found; looked in:
              \(candidates.joined(separator: "\n  "))
            The benchmarks read the GSM8K market from <repo>/../shared/data/paper-figures.csv \
            (shared/ checked out beside the repository); set TTCG_PAPER_FIGURES to its path otherwise.
            """)
    }

    /// One (dataset, method) market from paper-figures.csv
    /// (columns dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok).
    public static func paperMarket(dataset: String = "gsm8k", method: String = "best-of-n",
                                   settings: MarketSettings = gsm8kSettings) throws -> Market {
        let path = try figuresPath()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { throw InputError(description: "\(path): empty file") }
        let header = lines.removeFirst().split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        func column(_ name: String) throws -> Int {
            guard let c = header.firstIndex(of: name) else {
                throw InputError(description: "\(path): no column '\(name)' in header \(header)")
            }
            return c
        }
        let cDataset = try column("dataset"), cMethod = try column("method"), cModel = try column("model")
        let cIndex = try column("level_index"), cLevel = try column("level"), cAcc = try column("accuracy")
        let cTok = try column("tokens_per_query"), cPrice = try column("price_per_mtok")

        struct Row { var index: Int; var label: String; var accuracy: Double; var tokens: Double; var price: Double }
        var order: [String] = []
        var rows: [String: [Row]] = [:]
        for (n, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard f.count == header.count else {
                throw InputError(description: "\(path):\(n + 2): \(f.count) fields, header has \(header.count)")
            }
            guard f[cDataset] == dataset, f[cMethod] == method else { continue }
            guard let idx = Int(f[cIndex]), let acc = Double(f[cAcc]), let tok = Double(f[cTok]),
                  let price = Double(f[cPrice]) else {
                throw InputError(description: "\(path):\(n + 2): unparseable number in '\(line)'")
            }
            if rows[f[cModel]] == nil { order.append(f[cModel]); rows[f[cModel]] = [] }
            rows[f[cModel]]!.append(Row(index: idx, label: f[cLevel], accuracy: acc, tokens: tok, price: price))
        }
        guard let first = order.first else {
            throw InputError(description: "\(path): no rows for dataset '\(dataset)', method '\(method)'")
        }
        let labels = rows[first]!.sorted { $0.index < $1.index }.map(\.label)
        var providers: [Provider] = []
        for model in order {
            let r = rows[model]!.sorted { $0.index < $1.index }
            guard r.map(\.label) == labels, r.map(\.index) == Array(0..<labels.count) else {
                throw InputError(description: "\(path): model \(model) has levels \(r.map(\.label)), expected \(labels)")
            }
            providers.append(Provider(name: model, accuracy: r.map(\.accuracy),
                                      pricing: .tokens(perQuery: r.map(\.tokens), pricePerMillionTokens: r[0].price)))
        }
        return Market(name: "\(dataset) \(method)", levels: labels, providers: providers, settings: settings)
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
