// `/api/science`: the live science as JSON, for scripts and notebooks polling a running sweep.

import Foundation

/// The live science of a snapshot as one JSON object (keys sorted; a cell or margin with no
/// finished point is null).
///
/// `{"sweep", "spec_hash", "finished", "markets": [{"name", "alpha", "table_beta", "betas",
/// "margins", "poa": [[mean per beta] per margin], "poa_seeds": [[count per beta] per margin],
/// "points" (cells plotted), "welfare_market" and "welfare_auction" (per margin, at
/// table_beta), "welfare_seeds"}]}`.
public enum ScienceJSON {
    struct Document: Encodable {
        var sweep: String
        var specHash: String
        var finished: Bool
        var pointsDone: Int
        var markets: [MarketDocument]
        enum CodingKeys: String, CodingKey {
            case sweep, finished, markets
            case specHash = "spec_hash", pointsDone = "points_done"
        }
    }

    struct MarketDocument: Encodable {
        var name: String
        var alpha: String
        var tableBeta: String
        var betas: [String]
        var margins: [String]
        var poa: [[Double?]]
        var poaSeeds: [[Int]]
        var points: Int
        var welfareMarket: [Double?]
        var welfareAuction: [Double?]
        var welfareSeeds: [Int]
        enum CodingKeys: String, CodingKey {
            case name, alpha, betas, margins, poa, points
            case tableBeta = "table_beta", poaSeeds = "poa_seeds"
            case welfareMarket = "welfare_market", welfareAuction = "welfare_auction", welfareSeeds = "welfare_seeds"
        }
    }

    public static func json(_ snapshot: MonitorSnapshot) -> String {
        let markets = snapshot.science.markets.map { m in
            MarketDocument(
                name: m.name, alpha: m.alphaLabel, tableBeta: m.betaLabels[m.tableBetaIndex], betas: m.betaLabels, margins: m.marginLabels,
                poa: m.marginLabels.indices.map { g in m.betas.indices.map { m.poaMean(beta: $0, margin: g) } },
                poaSeeds: m.marginLabels.indices.map { g in m.betas.indices.map { m.poaCount[$0 * m.marginLabels.count + g] } },
                points: m.plottedCells,
                welfareMarket: m.marginLabels.indices.map { m.welfareMeans(margin: $0).market },
                welfareAuction: m.marginLabels.indices.map { m.welfareMeans(margin: $0).auction },
                welfareSeeds: m.welfareCount)
        }
        let document = Document(sweep: snapshot.status.job, specHash: snapshot.status.specHash, finished: snapshot.status.finished,
                                pointsDone: snapshot.status.pointsDone, markets: markets)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(data: encoder.encode(document), encoding: .utf8)) ?? "{}"
    }
}
