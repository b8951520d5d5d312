// Where a market comes from: a catalog name (`gsm8k/best-of-n`), a market file (YAML or
// the JSON of `ttcg profiles export`), or a profile table (CSV). Every command that takes
// a market takes any of these.

import Foundation
import GameCore

/// Resolves the market references users write on the command line and in sweeps.
public enum MarketSource {
    /// The market `reference` names.
    ///
    /// - An existing file: `.csv` is a profile table (it must hold one market, or name one
    ///   as `FILE.csv#DATASET/METHOD`); anything else is a market file (YAML or JSON).
    /// - Otherwise a catalog name, `DATASET/METHOD`.
    /// - `alpha`: for profile tables of datasets the paper gives no alpha for.
    public static func resolve(_ reference: String, alpha: Double? = nil) throws(MarketFileError) -> Market {
        let fm = FileManager.default
        if fm.fileExists(atPath: reference) {
            if reference.lowercased().hasSuffix(".csv") {
                return try loadTable(path: reference, selecting: nil, alpha: alpha)
            }
            return try MarketFile.load(path: reference)
        }
        if let hash = reference.lastIndex(of: "#") {
            let path = String(reference[..<hash]), selector = String(reference[reference.index(after: hash)...])
            if path.lowercased().hasSuffix(".csv") {
                return try loadTable(path: path, selecting: selector, alpha: alpha)
            }
        }
        if let market = Catalog.market(named: reference) { return market }
        let ext = (reference as NSString).pathExtension.lowercased()
        if ["yaml", "yml", "json", "csv"].contains(ext) || reference.hasPrefix("/") || reference.hasPrefix(".") {
            throw MarketFileError(file: reference, message: "cannot read the market file: no such file")
        }
        throw MarketFileError(file: reference, message: "expected a catalog market (\(Catalog.names.joined(separator: ", "))) or a market file, got neither (see 'ttcg profiles list')")
    }

    /// The markets of the profile table at `path`, `selecting` one by `DATASET/METHOD`.
    static func loadTable(path: String, selecting selector: String?, alpha: Double?) throws(MarketFileError) -> Market {
        let text = try readText(path)
        let markets = try ProfileTable.markets(try ProfileTable.parse(csv: text, source: path), source: path, alpha: alpha)
        let names = markets.map(\.name).joined(separator: ", ")
        if let selector {
            guard let m = markets.first(where: { $0.name.lowercased() == selector.lowercased() }) else {
                throw MarketFileError(file: path, message: "expected a market of this file after '#' (\(names)), got '\(selector)'")
            }
            return m
        }
        guard markets.count == 1 else {
            throw MarketFileError(file: path, message: "expected one market, the file holds \(markets.count) (\(names)): choose one as \(path)#DATASET/METHOD")
        }
        return markets[0]
    }

    /// The UTF-8 text of a file, with the loader's one-line errors.
    static func readText(_ path: String) throws(MarketFileError) -> String {
        do {
            return try TextFile.contents(path, what: "market file", maxBytes: MarketFile.maxTextBytes)
        } catch {
            throw MarketFileError(file: path, message: error.message)
        }
    }
}
