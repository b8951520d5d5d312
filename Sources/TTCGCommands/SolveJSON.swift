// `ttcg solve --json`: one object with every number of the report at full precision.
// Level positions are indices (0 = cheapest); providers are named by name.

import GameCore

enum SolveJSON {
    static func document(_ r: SolveResult) -> JSONValue {
        let g = r.game, s = r.solution
        let profile = s.dynamics.profile
        var fields: [(String, JSONValue)] = [
            ("market", .string(g.marketName)),
            ("beta", g.isPerfect ? .string("inf") : .number(g.rationality.beta)),
            ("alpha", .number(g.settings.alpha)),
            ("baseline", .number(g.settings.baseline)),
            ("value_curve", .string(g.settings.valueCurve.description)),
            ("margin", .number(g.settings.margin)),
            ("v0", .number(g.v0)),
            ("levels", .array(g.levelLabels.map(JSONValue.string))),
            ("warnings", .array(g.warnings.map { .string($0.description) })),
            ("dynamics", dynamicsOptions(r.options.dynamics)),
            ("providers", .array((0..<g.providerCount).map { provider($0, r) })),
            ("abstention_share_eq", .finite(s.abstentionShare)),
            ("equilibrium", .object([
                ("profile", .ints(profile)),
                ("profile_labels", .array(r.labels(profile).map(JSONValue.string))),
                ("welfare", .finite(s.welfare)),
                ("converged", .bool(s.dynamics.converged)),
                ("steps", .int(s.dynamics.steps)),
                ("rounds", .int(s.dynamics.rounds)),
                ("moves", .int(s.dynamics.moves)),
                ("last_move_step", .int(s.dynamics.lastMoveStep)),
            ])),
            ("max_welfare", .finite(s.optimum.welfare)),
            ("max_welfare_profile", .ints(s.optimum.profile)),
            ("poa", .finite(s.priceOfAnarchy.value)),
        ]
        if let reason = s.priceOfAnarchy.reason { fields.append(("poa_reason", .string(reason))) }
        fields.append(("theorem4_leading_term", .finite(s.theorem4LeadingTerm)))
        if let p = s.dominantPrediction {
            fields.append(("dominant_prediction", .object([
                ("dominant", .optional(p.dominant.map { g.providerNames[$0] })),
                ("level", p.level.map(JSONValue.int) ?? .null),
                ("runner_up_best_value", .finite(p.runnerUpBestValue)),
            ])))
        }
        if let e = s.equilibria { fields.append(("equilibria", equilibria(e))) }
        fields.append(("auction", auction(r)))
        let m = s.marketVersusAuction.market
        fields.append(("market_stats", .object([
            ("user_value", .finite(m.userValue)),
            ("price", .finite(m.price)),
            ("provider_utility", .finite(m.providerUtility)),
            ("welfare", .finite(m.welfare)),
        ])))
        if let t = s.dynamics.trajectory { fields.append(("trajectory", trajectory(t, g))) }
        return .object(fields)
    }

    static func dynamicsOptions(_ d: DynamicsOptions) -> JSONValue {
        .object([
            ("rule", .string(d.rule.rawValue)),
            ("order", .string(d.order.rawValue)),
            ("start", .string(d.start.text)),
            ("seed", .unsigned(d.seed)),
            ("tolerance", .number(d.tolerance)),
            ("max_rounds", .int(d.maxRounds)),
        ])
    }

    static func provider(_ i: Int, _ r: SolveResult) -> JSONValue {
        let g = r.game, s = r.solution
        let k = g.levelCount
        let row = { (xs: [Double]) -> JSONValue in .numbers(Array(xs[(i * k)..<(i * k + k)])) }
        let level = s.dynamics.profile[i]
        let idx = g.index(i, level)
        return .object([
            ("name", .string(g.providerNames[i])),
            ("margin", .number(r.margin(of: i))),
            ("level_eq", .int(level)),
            ("level_label_eq", .string(g.levelLabels[level])),
            ("share_eq", .finite(s.shares[i])),
            ("value_eq", .finite(s.values[i])),
            ("price_eq", .finite(g.price[idx])),
            ("utility_eq", .finite(s.utilities[i])),
            ("welfare_contribution_eq", .finite(g.welfareContribution[idx])),
            ("welfare_optimal_level", .int(r.welfareOptimalLevels[i])),
            ("quality_per_level", row(g.quality)),
            ("price_per_level", row(g.price)),
            ("cost_per_level", row(g.cost)),
            ("profit_per_level", row(g.profit)),
            ("value_per_level", row(g.value)),
            ("welfare_per_level", row(g.welfareContribution)),
        ])
    }

    static func equilibria(_ e: EquilibriumSummary) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("count", .int(e.count)),
            ("profiles_examined", .int(e.profilesExamined)),
            ("worst_welfare", .finite(e.worstWelfare)),
            ("best_welfare", .finite(e.bestWelfare)),
            ("worst_profile", e.worstProfile.map(JSONValue.ints) ?? .null),
            ("best_profile", e.bestProfile.map(JSONValue.ints) ?? .null),
            ("poa_worst", .finite(e.priceOfAnarchyWorst.value)),
            ("price_of_stability", .finite(e.priceOfStability.value)),
        ]
        if let why = e.priceOfAnarchyWorst.reason { fields.append(("poa_worst_reason", .string(why))) }
        if let why = e.priceOfStability.reason { fields.append(("price_of_stability_reason", .string(why))) }
        fields.append(("examples", .array(e.examples.map(JSONValue.ints))))
        return .object(fields)
    }

    static func auction(_ r: SolveResult) -> JSONValue {
        let g = r.game, a = r.solution.marketVersusAuction.auction
        return .object([
            ("winner", .optional(a.winner.map { g.providerNames[$0] })),
            ("runner_up", .optional(a.runnerUp.map { g.providerNames[$0] })),
            ("payment", .finite(a.payment)),
            ("user_value", .finite(a.userValue)),
            ("winner_utility", .finite(a.winnerUtility)),
            ("welfare", .finite(a.welfare)),
            ("bids", .array(a.bids.enumerated().map { i, b in
                .object([
                    ("provider", .string(g.providerNames[i])),
                    ("level", .int(b.level)),
                    ("price", .finite(b.price)),
                    ("offered_value", .finite(a.offeredValues[i])),
                ])
            })),
        ])
    }

    /// One array per quantity, indexed by step (row 0 = the start profile).
    static func trajectory(_ t: Trajectory, _ g: Game) -> JSONValue {
        let n = t.providerCount
        func rows<T>(_ xs: [T], _ f: ([T]) -> JSONValue) -> JSONValue {
            .array((0..<t.rowCount).map { f(Array(xs[($0 * n)..<($0 * n + n)])) })
        }
        return .object([
            ("step", .ints(Array(0..<t.rowCount))),
            ("visited", .array(t.visited.map { $0 < 0 ? .null : .string(g.providerNames[$0]) })),
            ("moved", .array(t.moved.map(JSONValue.bool))),
            ("profile", rows(t.profiles, JSONValue.ints)),
            ("shares", rows(t.shares, JSONValue.numbers)),
            ("utilities", rows(t.utilities, JSONValue.numbers)),
            ("welfare", .numbers(t.welfare)),
            ("potential", .numbers(t.potential)),
            ("inefficiency", .numbers(t.inefficiency)),
        ])
    }
}
