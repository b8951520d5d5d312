// The built-in catalog: the nine markets of the paper's experiments (GSM8K, GPQA, AIME x
// majority, best-of-n, chain-of-thought), compiled into the binary (CatalogData.swift),
// named `dataset/method`, with the published settings of model.md §1 as defaults.

import GameCore

/// The paper-calibrated markets every `ttcg` binary carries.
public enum Catalog {
    /// All catalog markets, in the file's order (GSM8K majority first).
    public static let markets: [Market] = {
        do {
            let rows = try ProfileTable.parse(csv: CatalogData.csv, source: "<catalog>")
            return try ProfileTable.markets(rows, source: "<catalog>")
        } catch {
            // The catalog is part of the program; a test loads it, so this cannot ship broken.
            fatalError("the built-in catalog does not load: \(error)")
        }
    }()

    /// `gsm8k/majority`, `gsm8k/best-of-n`, ... in catalog order.
    public static var names: [String] { markets.map(\.name) }

    /// The catalog market called `name` (`DATASET/METHOD`, case-insensitive).
    public static func market(named name: String) -> Market? {
        let wanted = name.lowercased()
        return markets.first { $0.name.lowercased() == wanted }
    }

    /// Where the numbers come from (for `ttcg profiles show` and reports).
    public static var provenance: String { CatalogData.provenance }

    /// The catalog as the CSV text it was compiled from.
    public static var csv: String { CatalogData.csv + "\n" }
}
