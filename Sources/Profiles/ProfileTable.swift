// Provider curves as a table: the CSV columns of the built-in catalog, which is also
// what `ttcg profiles ingest` writes and `ttcg profiles export --format csv` prints.
// One row per (dataset, method, model, level); a file may hold several markets.

import Foundation
import GameCore

/// The paper's published settings per dataset (model.md §1): linear value, baseline 0.1,
/// margin 0.25, V0 = 0, and alpha in dollars per unit of accuracy.
public enum PublishedSettings {
    /// Dollars per unit of accuracy. The paper's text says "per percentage point"; its
    /// figures correspond to these values with accuracy as a fraction (model.md §1).
    public static let alphaByDataset: [String: Double] = ["gsm8k": 0.008, "gpqa": 0.02, "aime": 0.05]

    /// The published settings for `dataset`, or nil when the paper has no alpha for it.
    public static func settings(for dataset: String) -> MarketSettings? {
        guard let alpha = alphaByDataset[dataset] else { return nil }
        return settings(alpha: alpha)
    }

    /// The published settings with a given alpha.
    public static func settings(alpha: Double) -> MarketSettings {
        MarketSettings(alpha: alpha, baseline: 0.1, valueCurve: .linear, margin: 0.25, v0: 0)
    }
}

/// One line of a profile table.
public struct ProfileRow: Sendable, Hashable {
    public var dataset: String
    public var method: String
    public var model: String
    public var levelIndex: Int
    public var level: String
    public var accuracy: Double
    public var tokensPerQuery: Double
    public var pricePerMillionTokens: Double
    /// The line in the file (1 = header), for error messages.
    public var line: Int
}

/// Reads profile tables and turns them into markets.
public enum ProfileTable {
    /// Columns every table has, in the catalog's order.
    public static let requiredColumns = ["dataset", "method", "model", "level_index", "level",
                                         "accuracy", "tokens_per_query", "price_per_mtok"]
    /// Columns `ttcg profiles ingest` adds; read past, not used by the game.
    public static let optionalColumns = ["accuracy_lo", "accuracy_hi", "tokens_lo", "tokens_hi", "questions"]

    /// Parses CSV text; `source` names the file in errors.
    public static func parse(csv text: String, source: String) throws(MarketFileError) -> [ProfileRow] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw MarketFileError(file: source, message: "expected a CSV header with columns \(requiredColumns.joined(separator: ",")), got an empty file")
        }
        let header = splitCSV(headerLine).map { $0.trimmingCharacters(in: .whitespaces) }
        for column in header where !(requiredColumns.contains(column) || optionalColumns.contains(column)) {
            throw MarketFileError(file: source, field: column,
                                  message: "expected one of the columns \((requiredColumns + optionalColumns).joined(separator: ", ")), got an unknown column")
        }
        var index: [String: Int] = [:]
        for (i, column) in header.enumerated() {
            guard index[column] == nil else {
                throw MarketFileError(file: source, field: column, message: "expected each column once, got it twice in the header")
            }
            index[column] = i
        }
        for column in requiredColumns where index[column] == nil {
            throw MarketFileError(file: source, field: column,
                                  message: "expected a column '\(column)' in the header (\(requiredColumns.joined(separator: ",")))")
        }
        var rows: [ProfileRow] = []
        for (n, raw) in lines.enumerated().dropFirst() {
            let lineNumber = n + 1
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = splitCSV(raw).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw MarketFileError(file: "\(source):\(lineNumber)",
                                      message: "expected \(header.count) cells like the header, got \(cells.count)")
            }
            func text(_ column: String) throws(MarketFileError) -> String {
                let cell = cells[index[column]!]
                guard !cell.isEmpty else {
                    throw MarketFileError(file: "\(source):\(lineNumber)", field: column, message: "expected a value, got an empty cell")
                }
                return cell
            }
            func number(_ column: String, _ expected: String) throws(MarketFileError) -> Double {
                let cell = cells[index[column]!]
                guard let x = Double(cell), x.isFinite else {
                    let got = cell.isEmpty ? "an empty cell" : "'\(cell)'"
                    throw MarketFileError(file: "\(source):\(lineNumber)", field: column, message: "expected \(expected), got \(got)")
                }
                return x
            }
            let model = try text("model")
            let levelIndexText = try text("level_index")
            guard let levelIndex = Int(levelIndexText), levelIndex >= 0 else {
                throw MarketFileError(file: "\(source):\(lineNumber)", provider: model, field: "level_index",
                                      message: "expected an integer >= 0, got '\(levelIndexText)'")
            }
            let row = ProfileRow(
                dataset: try text("dataset"), method: try text("method"), model: model,
                levelIndex: levelIndex, level: try text("level"),
                accuracy: try number("accuracy", "a fraction in [0, 1]"),
                tokensPerQuery: try number("tokens_per_query", "a number of tokens >= 0"),
                pricePerMillionTokens: try number("price_per_mtok", "a price in dollars per 1M tokens (ingest with --price-table to fill it)"),
                line: lineNumber)
            func check(_ ok: Bool, _ field: String, _ message: String) throws(MarketFileError) {
                if !ok {
                    throw MarketFileError(file: "\(source):\(lineNumber)", provider: model, field: field,
                                          level: levelIndex, message: message)
                }
            }
            try check(row.accuracy >= 0 && row.accuracy <= 1, "accuracy", "expected a fraction in [0, 1], got \(formatNumber(row.accuracy))")
            try check(row.tokensPerQuery >= 0, "tokens_per_query", "expected a number of tokens >= 0, got \(formatNumber(row.tokensPerQuery))")
            try check(row.pricePerMillionTokens >= 0, "price_per_mtok", "expected a price >= 0, got \(formatNumber(row.pricePerMillionTokens))")
            rows.append(row)
        }
        guard !rows.isEmpty else {
            throw MarketFileError(file: source, message: "expected at least one row of provider curves after the header")
        }
        return rows
    }

    /// The markets of a table, one per (dataset, method) in order of first appearance,
    /// named `dataset/method`, with providers in order of first appearance.
    ///
    /// Settings are the published ones of the dataset (`PublishedSettings`); a dataset the
    /// paper has no alpha for needs `alpha`.
    public static func markets(_ rows: [ProfileRow], source: String, alpha: Double? = nil) throws(MarketFileError) -> [Market] {
        var order: [String] = []
        var byMarket: [String: [ProfileRow]] = [:]
        for row in rows {
            let key = "\(row.dataset)/\(row.method)"
            if byMarket[key] == nil { order.append(key) }
            byMarket[key, default: []].append(row)
        }
        var markets: [Market] = []
        for key in order {
            markets.append(try market(byMarket[key]!, name: key, source: source, alpha: alpha))
        }
        return markets
    }

    /// Builds one market from its rows: every model must give every level once, with the
    /// same level labels, increasing levels and one price.
    static func market(_ rows: [ProfileRow], name: String, source: String, alpha: Double?) throws(MarketFileError) -> Market {
        let first = rows[0]
        var modelOrder: [String] = []
        var byModel: [String: [ProfileRow]] = [:]
        for row in rows {
            if byModel[row.model] == nil { modelOrder.append(row.model) }
            byModel[row.model, default: []].append(row)
        }
        // The level labels of the first model define the market's levels.
        var levels: [String] = []
        var providers: [Provider] = []
        for model in modelOrder {
            let modelRows = byModel[model]!.sorted { $0.levelIndex < $1.levelIndex }
            for (k, row) in modelRows.enumerated() where row.levelIndex != k {
                let problem = row.levelIndex < k ? "appears twice" : "is missing"
                let missing = row.levelIndex < k ? row.levelIndex : k
                throw MarketFileError(file: "\(source):\(row.line)", provider: model, field: "level_index",
                                      message: "expected level indices 0, 1, 2, ... once each in market \(name), but level \(missing) \(problem)")
            }
            let labels = modelRows.map(\.level)
            if levels.isEmpty {
                levels = labels
                try checkIncreasing(modelRows, source: source, market: name)
            } else if labels != levels {
                let row = modelRows.count < levels.count ? modelRows.last! : zip(modelRows, levels).first { $0.0.level != $0.1 }?.0 ?? modelRows.last!
                throw MarketFileError(file: "\(source):\(row.line)", provider: model, field: "level",
                                      message: "expected the levels of market \(name) (\(levels.joined(separator: ", "))), got \(labels.joined(separator: ", "))")
            }
            let price = modelRows[0].pricePerMillionTokens
            if let other = modelRows.first(where: { $0.pricePerMillionTokens != price }) {
                throw MarketFileError(file: "\(source):\(other.line)", provider: model, field: "price_per_mtok",
                                      message: "expected one price per model (\(formatNumber(price)) at level 0), got \(formatNumber(other.pricePerMillionTokens))")
            }
            providers.append(Provider(name: model, accuracy: modelRows.map(\.accuracy),
                                      pricing: .tokens(perQuery: modelRows.map(\.tokensPerQuery), pricePerMillionTokens: price)))
        }
        let settings: MarketSettings
        if let alpha {
            settings = PublishedSettings.settings(alpha: alpha)
        } else if let published = PublishedSettings.settings(for: first.dataset) {
            settings = published
        } else {
            throw MarketFileError(file: source, field: "dataset",
                                  message: "market \(name): the paper publishes alpha only for \(PublishedSettings.alphaByDataset.keys.sorted().joined(separator: ", ")); give alpha (--alpha) for dataset '\(first.dataset)'")
        }
        let market = Market(name: name, levels: levels, providers: providers, settings: settings,
                            dataset: first.dataset, method: first.method)
        do {
            try market.validate()
        } catch {
            throw MarketFileError(file: source, marketError: error)
        }
        return market
    }

    /// Numeric level labels (samples, effort bins) must strictly increase with the index.
    static func checkIncreasing(_ rows: [ProfileRow], source: String, market: String) throws(MarketFileError) {
        if let k = firstLevelNotIncreasing(rows.map(\.level)) {
            throw MarketFileError(file: "\(source):\(rows[k].line)", provider: rows[k].model, field: "level", level: k,
                                  message: "expected levels that increase with level_index in market \(market), got \(rows[k].level) after \(rows[k - 1].level)")
        }
    }

    /// The index of the first numeric label that is not above the one before, nil if they
    /// all increase or are not all numbers (text labels: their order is the index).
    static func firstLevelNotIncreasing(_ labels: [String]) -> Int? {
        let values = labels.map { Double($0) }
        guard values.allSatisfy({ $0 != nil }) else { return nil }
        return (1..<max(1, values.count)).first { !(values[$0]! > values[$0 - 1]!) }
    }

    /// Splits a CSV line on commas, honouring double quotes (`"a, b"`, `""` for a quote).
    /// It reads Unicode scalars, not Characters: a combining mark after a comma or a quote
    /// makes one Character of the two, which would hide the separator.
    static func splitCSV<S: StringProtocol>(_ line: S) -> [String] {
        var cells: [String] = []
        var cell = String.UnicodeScalarView()
        var quoted = false
        var iterator = line.unicodeScalars.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    // A doubled quote is a literal quote; a single one ends the quoting.
                    var lookahead = iterator
                    if lookahead.next() == "\"" { cell.append("\""); iterator = lookahead } else { quoted = false }
                } else {
                    cell.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                cells.append(String(cell))
                cell = String.UnicodeScalarView()
            } else {
                cell.append(c)
            }
        }
        cells.append(String(cell))
        return cells
    }

    /// The CSV text of markets priced in tokens, in the catalog's columns.
    public static func render(_ markets: [Market]) throws(MarketFileError) -> String {
        var out = requiredColumns.joined(separator: ",") + "\n"
        for market in markets {
            // The CSV holds curves only; refuse what it would silently drop.
            guard let dataset = market.dataset, let method = market.method else {
                throw MarketFileError(file: market.name, field: "dataset",
                                      message: "expected a dataset and a method for the CSV format (set them in the market file, or export as yaml or json)")
            }
            guard market.settings == PublishedSettings.settings(for: dataset) else {
                throw MarketFileError(file: market.name, field: "alpha",
                                      message: "expected the published settings of '\(dataset)' for the CSV format, which has no columns for settings (export as yaml or json)")
            }
            // Nor write what `parse` would read differently or refuse: it splits lines before
            // quotes and trims cells, and wants numeric levels to increase.
            for (field, text) in [("dataset", dataset), ("method", method)] + market.levels.map({ ("level", $0) })
                + market.providers.map({ ("model", $0.name) }) where text.contains(where: \.isNewline) || text != text.trimmingCharacters(in: .whitespaces) {
                throw MarketFileError(file: market.name, field: field,
                                      message: "expected no line breaks and no spaces at either end for the CSV format, got \(jsonQuoted(text)) (export as yaml or json)")
            }
            if let k = firstLevelNotIncreasing(market.levels) {
                throw MarketFileError(file: market.name, field: "levels", level: k,
                                      message: "expected numeric levels that increase for the CSV format, got \(market.levels[k]) after \(market.levels[k - 1]) (export as yaml or json)")
            }
            for p in market.providers {
                guard case .tokens(let tokens, let price) = p.pricing else {
                    throw MarketFileError(file: market.name, provider: p.name, field: "cost",
                                          message: "expected tokens and price_per_mtok: the CSV format has no column for costs per query (export as yaml or json)")
                }
                guard p.margin == nil else {
                    throw MarketFileError(file: market.name, provider: p.name, field: "margin",
                                          message: "expected no provider margin: the CSV format has no column for it (export as yaml or json)")
                }
                for k in 0..<market.levelCount {
                    let cells = [dataset, method, p.name, String(k), market.levels[k],
                                 formatNumber(p.accuracy[k]), formatNumber(tokens[k]), formatNumber(price)]
                    out += cells.map(csvQuoted).joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

}
