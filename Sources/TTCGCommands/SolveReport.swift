// `ttcg solve` for people: the market and settings, the equilibrium per provider, the
// welfare it loses against the optimum (PoA) and what the auction of Section 4 would do.

import GameCore

enum SolveReport {
    static func text(_ r: SolveResult) -> String {
        var parts = [header(r)]
        if !r.game.warnings.isEmpty {
            parts.append(r.game.warnings.map { "warning: \($0)" }.joined(separator: "\n"))
        }
        parts.append(providers(r))
        parts.append(outcome(r))
        if let e = r.solution.equilibria { parts.append(equilibria(e, r)) }
        parts.append(auction(r))
        parts.append(comparison(r))
        if let t = r.solution.dynamics.trajectory { parts.append(trajectory(t, r)) }
        return parts.joined(separator: "\n\n")
    }

    /// `High [1]`: the label people know and the index JSON uses.
    static func level(_ k: Int, _ g: Game) -> String { "\(g.levelLabels[k]) [\(k)]" }

    static func profile(_ p: [Int], _ g: Game) -> String {
        "[" + p.map { g.levelLabels[$0] }.joined(separator: ", ") + "]"
    }

    static func header(_ r: SolveResult) -> String {
        let g = r.game, s = g.settings, d = r.options.dynamics
        var b = KeyValueBlock()
        b.add("market", "\(g.marketName): \(g.providerCount) providers x \(g.levelCount) levels (\(g.levelLabels.joined(separator: ", ")))")
        b.add("users", g.isPerfect ? "perfectly rational (beta = inf)" : "boundedly rational, beta = \(num(g.rationality.beta))")
        b.add("quality", "alpha \(num(s.alpha)) $ per unit of accuracy, baseline \(num(s.baseline)), value curve \(s.valueCurve.description)")
        var margin = num(s.margin)
        let own = r.market.providers.filter { $0.margin != nil }
        if !own.isEmpty {
            margin += " (provider overrides: " + own.map { "\($0.name) \(num($0.margin!))" }.joined(separator: ", ") + ")"
        }
        b.add("margin", margin)
        b.add("V0", num(g.v0) + " (abstention value)")
        b.add("dynamics", "\(d.rule.rawValue), \(d.order.rawValue) order, start \(d.start.text), seed \(d.seed), tolerance \(num(d.tolerance)), max \(d.maxRounds) rounds")
        return "ttcg solve  (money in dollars per query)\n" + b.rendered()
    }

    static func providers(_ r: SolveResult) -> String {
        let g = r.game, s = r.solution
        var t = TextTable(header: ["provider", "level", "share", "value V", "price", "utility U", "W_i", "W-optimal level"],
                          rightAligned: [2, 3, 4, 5, 6])
        for i in 0..<g.providerCount {
            let k = s.dynamics.profile[i], idx = g.index(i, k)
            t.add([g.providerNames[i], level(k, g), num(s.shares[i]), num(s.values[i]), num(g.price[idx]),
                   num(s.utilities[i]), num(g.welfareContribution[idx]), level(r.welfareOptimalLevels[i], g)])
        }
        var out = "Providers at the equilibrium\n" + t.rendered()
        if s.abstentionShare > 0 || g.v0 != 0 {
            out += "\n  users abstaining: share \(num(s.abstentionShare)) at V0 = \(num(g.v0))"
        }
        return out
    }

    static func outcome(_ r: SolveResult) -> String {
        let g = r.game, s = r.solution, d = s.dynamics
        var b = KeyValueBlock()
        b.add("equilibrium", "\(profile(d.profile, g))  indices \(d.profile)")
        b.add("welfare", num(s.welfare))
        let run = "\(plural(d.steps, "step")) in \(plural(d.rounds, "round")), \(plural(d.moves, "move"))"
        b.add("converged", d.converged ? "yes, after \(run)" : "NO, stopped after \(run) (--max-rounds \(r.options.dynamics.maxRounds))")
        b.add("max welfare", "\(num(s.optimum.welfare)) at \(profile(s.optimum.profile, g))")
        let poa = s.priceOfAnarchy
        b.add("PoA", poa.reason.map { "undefined: \($0)" } ?? "\(num(poa.value))  (max W / W at the equilibrium)")
        b.add("Theorem 4", "leading term \(num(s.theorem4LeadingTerm))"
              + (g.isPerfect ? "  (PoA >= it at beta = inf)" : "  (a lower bound on PoA only at beta = inf)"))
        if let p = s.dominantPrediction { b.add("Theorem 2", theorem2(p, r)) }
        return "Equilibrium of the dynamics\n" + b.rendered()
    }

    static func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }

    /// Theorem 2's prediction next to what the dynamics reached.
    static func theorem2(_ p: DominantProviderPrediction, _ r: SolveResult) -> String {
        let g = r.game
        guard let i = p.dominant else {
            return "no single dominant provider (the best values V_i* tie)"
        }
        let name = g.providerNames[i]
        guard let k = p.level else {
            return "\(name) has the best V* but no level beats max(V_2* = \(num(p.runnerUpBestValue)), V0): nobody is served"
        }
        let agrees = r.solution.dynamics.profile[i] == k
        return "\(name) dominates (V_2* = \(num(p.runnerUpBestValue))) and plays \(level(k, g))"
            + (agrees ? "; the equilibrium agrees" : "; the equilibrium DISAGREES (\(level(r.solution.dynamics.profile[i], g)))")
    }

    static func equilibria(_ e: EquilibriumSummary, _ r: SolveResult) -> String {
        let g = r.game
        var b = KeyValueBlock()
        b.add("count", "\(e.count) pure Nash equilibria among \(e.profilesExamined) profiles")
        if let worst = e.worstProfile, let best = e.bestProfile {
            b.add("worst", "welfare \(num(e.worstWelfare)) at \(profile(worst, g))")
            b.add("best", "welfare \(num(e.bestWelfare)) at \(profile(best, g))")
        }
        b.add("PoA (worst)", e.priceOfAnarchyWorst.reason.map { "undefined: \($0)" } ?? num(e.priceOfAnarchyWorst.value))
        b.add("price of stability", e.priceOfStability.reason.map { "undefined: \($0)" } ?? num(e.priceOfStability.value))
        if !e.examples.isEmpty {
            let more = e.count > e.examples.count ? ", ..." : ""
            b.add("equilibria", e.examples.map { profile($0, g) }.joined(separator: " ") + more)
        }
        return "All equilibria\n" + b.rendered()
    }

    static func auction(_ r: SolveResult) -> String {
        let g = r.game, a = r.solution.marketVersusAuction.auction
        var b = KeyValueBlock()
        if let w = a.winner {
            let bid = a.bids[w]
            b.add("winner", "\(g.providerNames[w]) bidding \(level(bid.level, g)) at its cost \(num(bid.price)), offered value \(num(a.offeredValues[w]))")
            b.add("runner-up", a.runnerUp.map { "\(g.providerNames[$0]), offered value \(num(a.offeredValues[$0]))" } ?? "none")
        } else {
            b.add("winner", "none: no offer beats V0 = \(num(g.v0)), no trade")
        }
        b.add("payment", num(a.payment))
        b.add("user value", num(a.userValue))
        b.add("winner utility", num(a.winnerUtility))
        b.add("welfare", num(a.welfare) + "  (PoA 1)")
        return "Auction (reverse second-price, dominant-strategy bids)\n" + b.rendered()
    }

    static func comparison(_ r: SolveResult) -> String {
        let m = r.solution.marketVersusAuction.market, a = r.solution.marketVersusAuction.auction
        var t = TextTable(header: ["", "market", "auction"], rightAligned: [1, 2])
        t.add(["user value", num(m.userValue), num(a.userValue)])
        t.add(["price / payment", num(m.price), num(a.payment)])
        t.add(["provider utility", num(m.providerUtility), num(a.winnerUtility)])
        t.add(["welfare", num(m.welfare), num(a.welfare)])
        return "Market vs auction (share-weighted market averages)\n" + t.rendered()
    }

    static func trajectory(_ t: Trajectory, _ r: SolveResult) -> String {
        let g = r.game, n = t.providerCount
        var table = TextTable(header: ["step", "visited", "moved", "profile", "welfare", "potential", "inefficiency"],
                              rightAligned: [0, 4, 5, 6])
        for row in 0..<t.rowCount {
            let p = Array(t.profiles[(row * n)..<(row * n + n)])
            table.add([String(row), t.visited[row] < 0 ? "(start)" : g.providerNames[t.visited[row]],
                       t.visited[row] < 0 ? "" : (t.moved[row] ? "yes" : "no"), profile(p, g),
                       num(t.welfare[row]), num(t.potential[row]), num(t.inefficiency[row])])
        }
        return "Trajectory\n" + table.rendered()
    }
}
