// `ttcg solve`: one market, one rationality, one run of the dynamics, everything GameCore
// computes about it, as a readable report or one JSON object. No model logic here.

import ArgumentParser
import Foundation
import GameCore
import Profiles

/// Solves one market.
public struct Solve: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve one market: equilibrium, max welfare, price of anarchy, auction.",
        discussion: """
        Settings come from the market file; --alpha, --margin and --v0 override them. A margin \
        given inside a provider in the file still wins over --margin (it describes that \
        provider). Money is in dollars per query. See docs/market-format.md.
        """)

    @Argument(help: "A catalog market (gsm8k/best-of-n, see 'ttcg profiles list'), a market file (YAML or JSON, see docs/market-format.md) or a profile table (CSV, FILE.csv#DATASET/METHOD).")
    var market: String

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("User rationality: beta > 0, or inf for perfectly rational users. (default: 1000)", valueName: "B|inf"),
            transform: ArgumentParsers.beta)
    var beta: Rationality?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Profit margin m (price = (1 + m) x cost), > -1; provider margins in the file win.", valueName: "M"),
            transform: ArgumentParsers.margin)
    var margin: Double?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Dollars per unit of accuracy.", valueName: "A"), transform: ArgumentParsers.finite)
    var alpha: Double?

    @Option(name: .customLong("v0"), parsing: .unconditional,
            help: ArgumentHelp("Abstention value V0: what a user gets from no provider.", valueName: "V"),
            transform: ArgumentParsers.finite)
    var v0: Double?

    @Option(help: "How a visited provider moves.")
    var rule: ResponseRule = .nearestImprovement

    @Option(help: "The order in which a round visits providers.")
    var order: VisitOrder = .random

    @Option(help: ArgumentHelp("Start profile: lowest, highest, random or level indices (1,0,2). (default: lowest)",
                               valueName: "start"), transform: ArgumentParsers.start)
    var start: StartProfile?

    @Option(help: "Seed of the random visit order and random start.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Relative improvement a move needs. (default: 1e-08)", valueName: "T"),
            transform: ArgumentParsers.tolerance)
    var tolerance: Double?

    @Option(name: .customLong("max-rounds"),
            help: ArgumentHelp("Stop the dynamics after this many rounds. (default: 10000)", valueName: "R"),
            transform: ArgumentParsers.positiveInt)
    var maxRounds: Int?

    @Option(help: ArgumentHelp("Only these providers, comma-separated, in this order.", valueName: "a,b,c"),
            transform: ArgumentParsers.models)
    var models: [String]?

    @Flag(name: .customLong("all-equilibria"), help: "Enumerate every pure Nash equilibrium (K^N profiles).")
    var allEquilibria = false

    @Option(help: ArgumentHelp("Refuse --all-equilibria above this many profiles. (default: 100000000)", valueName: "N"),
            transform: ArgumentParsers.positiveInt)
    var budget: Int?

    @Option(help: ArgumentHelp("Threads for --all-equilibria. (default: all cores)", valueName: "T"),
            transform: ArgumentParsers.positiveInt)
    var threads: Int?

    @Flag(help: "Also report every step of the dynamics.")
    var trajectory = false

    @Flag(help: "Print one JSON object instead of the report.")
    var json = false

    public init() {}

    public func run() throws {
        let result = try solve()
        print(json ? SolveJSON.document(result).rendered() : SolveReport.text(result))
    }

    /// Loads, selects, overrides and solves; bad input becomes a `CommandError` (exit 2).
    func solve() throws(CommandError) -> SolveResult {
        var market: Market
        do {
            market = try MarketSource.resolve(self.market, alpha: alpha)
        } catch {
            throw .badInput(error.description)
        }
        if let models {
            do {
                market = try market.selecting(models)
            } catch {
                throw .badInput("ttcg: --models: unknown provider '\(error.provider ?? "")'; market '\(market.name)' has \(market.providers.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
        }
        var settings = market.settings
        if let alpha { settings.alpha = alpha }
        if let margin { settings.margin = margin }
        if let v0 { settings.v0 = v0 }
        let rationality = beta ?? .bounded(beta: 1000)
        let game: Game
        do {
            game = try Game(market: market, settings: settings, rationality: rationality)
        } catch {
            throw .badInput("ttcg: \(self.market): \(error.description)")
        }
        let dynamics = try dynamicsOptions(for: game)
        let enumeration = EnumerationOptions(
            tolerance: dynamics.tolerance,
            profileBudget: budget ?? EnumerationOptions().profileBudget,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        // Refuse before the dynamics run, not after: the user should not wait to be told.
        if allEquilibria && game.profileCount > enumeration.profileBudget {
            throw .badInput("ttcg: --all-equilibria: \(EquilibriumError.overBudget(profiles: game.profileCount, budget: enumeration.profileBudget)) (--budget N, --models)")
        }
        let options = SolveOptions(dynamics: dynamics, allEquilibria: allEquilibria, enumeration: enumeration)
        do {
            let solution = try game.solve(options)
            return SolveResult(market: market, game: game, options: options, solution: solution)
        } catch {
            throw .badInput("ttcg: --all-equilibria: \(error.description) (--budget N, --models)")
        }
    }

    func dynamicsOptions(for game: Game) throws(CommandError) -> DynamicsOptions {
        let start = self.start ?? .lowest
        if case .given(let levels) = start {
            guard levels.count == game.providerCount, levels.allSatisfy({ $0 < game.levelCount }) else {
                throw .badInput("ttcg: --start: expected \(game.providerCount) level indices in 0...\(game.levelCount - 1), one per provider, got '\(start.text)'")
            }
        }
        return DynamicsOptions(rule: rule, order: order, start: start,
                               tolerance: tolerance ?? DynamicsOptions().tolerance,
                               maxRounds: maxRounds ?? DynamicsOptions().maxRounds,
                               seed: seed, recordTrajectory: trajectory)
    }
}

/// Everything the renderers need about one solved market.
struct SolveResult {
    /// The market after `--models`, with the file's own settings.
    var market: Market
    /// The game under the effective settings (flags applied).
    var game: Game
    var options: SolveOptions
    var solution: GameSolution

    /// Effective margin of provider `i`: its own from the file, else the market's.
    func margin(of i: Int) -> Double { market.providers[i].margin ?? game.settings.margin }

    /// Level of provider `i` maximising its welfare contribution `W_i(k)` (the auction's bid).
    var welfareOptimalLevels: [Int] { solution.marketVersusAuction.auction.bids.map(\.level) }

    func labels(_ profile: [Int]) -> [String] { profile.map { game.levelLabels[$0] } }
}
