// marketReader: the market and profile readers (`MarketFile.parse` for YAML and JSON,
// `MarketSource.resolve` for files, `ProfileTable` for CSV), which read what users pass to
// `ttcg solve`, `ttcg run` and sweeps, and the markets of WELCOME in a worker.

import GameCore
import Profiles

extension FuzzTargets {
    static let marketJSONFile = ScratchFile("market.json")
    static let marketCSVFile = ScratchFile("market.csv")

    /// Input: byte 0 chooses the reader (mod 3), the rest is the text:
    /// - 0, YAML: `MarketFile.parse(yaml:)` on the text (not UTF-8: skipped);
    /// - 1, JSON: `MarketSource.resolve` of a `.json` file with these bytes (what
    ///   `ttcg solve market.json` does: UTF-8 check, then the same parser);
    /// - 2, CSV: `MarketSource.resolve` of a `.csv` file (`ProfileTable.parse`, then
    ///   `ProfileTable.markets`), with an alpha for unknown datasets when bit 2 of byte 0 is set.
    /// A market that loads must render to YAML and to JSON that load again as the same
    /// market; one the CSV writer accepts, to CSV that does too.
    public static func marketReader(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: data.dropFirst())
        let market: Market
        do {
            switch mode % 3 {
            case 0:
                guard let text = String(validating: body, as: UTF8.self) else { return }
                market = try MarketFile.parse(yaml: text, source: "fuzz.yaml")
            case 1:
                marketJSONFile.write(body)
                defer { marketJSONFile.remove() }
                market = try MarketSource.resolve(marketJSONFile.path)
            default:
                marketCSVFile.write(body)
                defer { marketCSVFile.remove() }
                market = try MarketSource.resolve(marketCSVFile.path, alpha: mode & 4 != 0 ? 0.01 : nil)
            }
        } catch {
            return
        }
        checkRoundTrip(market, through: "YAML") { try MarketFile.parse(yaml: MarketFile.render(market), source: "render.yaml") }
        checkRoundTrip(market, through: "JSON") { try MarketFile.parse(yaml: MarketFile.renderJSON(market), source: "render.json") }
        if let csv = try? ProfileTable.render([market]) {
            checkRoundTrip(market, through: "CSV") {
                let markets = try ProfileTable.markets(try ProfileTable.parse(csv: csv, source: "render.csv"), source: "render.csv",
                                                       alpha: market.settings.alpha)
                guard markets.count == 1 else {
                    throw MarketFileError(file: "render.csv", message: "\(markets.count) markets read back")
                }
                // The CSV has no name column: its markets are named DATASET/METHOD.
                var back = markets[0]
                back.name = market.name
                return back
            }
        }
    }

    /// `read()` must give back `market`, equal in every field: numbers are written as their
    /// shortest round-trip text and token prices in the catalog's unit, so bit for bit.
    static func checkRoundTrip(_ market: Market, through format: String, _ read: () throws -> Market) {
        let back: Market
        do {
            back = try read()
        } catch {
            fuzzCheck(false, "market '\(market.name)' rendered as \(format) does not load again: \(error)")
            return
        }
        fuzzCheck(back == market, "market '\(market.name)' rendered as \(format) loads as a different market: \(market) became \(back)")
    }
}
