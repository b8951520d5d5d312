// `ttcg inspect --json`: what a results file holds and its summary, as one object for
// scripts (the Slurm job script decides "already done" from it, never from the text).

import Profiles
import ResultStore

enum InspectJSON {
    /// The document; `markets` is null when `summary` is nil (not read).
    static func document(file: String, _ r: ResultsReader, summary: [MarketSummary]?) -> JSONValue {
        .object([
            ("file", .string(file)),
            ("sweep", .string(r.job)),
            ("spec_hash", .string(r.specHash)),
            ("ttcg_version", .string(r.ttcgVersion)),
            ("started_at", .string(r.startedAt)),
            ("finished_at", r.finishedAt.isEmpty ? .null : .string(r.finishedAt)),
            ("completed", .bool(r.completed)),
            ("points_total", .int(r.pointsTotal)),
            ("points_done", .int(r.pointsDone)),
            ("points_failed", .int(r.pointsFailed)),
            ("markets", summary.map { .array(zip(r.markets, $0).map(market)) } ?? .null),
        ])
    }

    /// A field as `--get` prints it: a scalar bare (text escaped if unprintable), else JSON.
    static func plain(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return printable(s)
        case .array, .object: return value.rendered(pretty: false)
        default: return value.rendered()
        }
    }

    static func market(_ m: StoredMarket, _ s: MarketSummary) -> JSONValue {
        .object([
            ("group", .string(m.group)),
            ("name", .string(m.name)),
            ("dataset", .string(m.dataset)),
            ("method", .string(m.method)),
            ("providers", .array(m.providers.map(JSONValue.string))),
            ("levels", .array(m.levels.map(JSONValue.string))),
            ("axes", .object(zip(m.axes.map(\.name), m.shape).map { ($0.0, .int($0.1)) })),
            ("points", .int(m.pointCount)),
            ("summary", .object([
                ("games", .int(s.points)),
                ("done", .int(s.done)),
                ("failed", .int(s.failed)),
                ("converged", .int(s.converged)),
                ("margin", .string(s.margin)),
                ("alpha", .string(s.alpha)),
                ("poa_min", .finite(s.poaMin)),
                ("poa_median", .finite(s.poaMedian)),
                ("poa_max", .finite(s.poaMax)),
                ("poa_max_beta", .string(s.poaMaxBeta)),
                ("table_beta", .string(s.tableBeta)),
                ("market", .object([
                    ("user_value", .finite(s.marketUserValue)),
                    ("price", .finite(s.marketPrice)),
                    ("provider_utility", .finite(s.marketProviderUtility)),
                    ("welfare", .finite(s.marketWelfare)),
                ])),
                ("auction", .object([
                    ("user_value", .finite(s.auctionUserValue)),
                    ("payment", .finite(s.auctionPayment)),
                    ("winner_utility", .finite(s.auctionWinnerUtility)),
                    ("welfare", .finite(s.auctionWelfare)),
                ])),
            ])),
        ])
    }
}
