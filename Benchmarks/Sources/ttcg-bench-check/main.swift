// Sanity prints for the benchmark markets and the Swift side of the cross-check with
// numpy_baseline.py. Output lines are `key=value` so run.sh can compare them.
//
//   swift run -c release --package-path Benchmarks ttcg-bench-check          # market (a) only
//   swift run -c release --package-path Benchmarks ttcg-bench-check --all    # also (b) and (c)
//   swift run -c release --package-path Benchmarks ttcg-bench-check --beta 300   # market (a) at another beta
//   .build/release/ttcg-bench-check --repeat CASE N   # run one case N times, for a profiler:
//       CASE = solve | dynamics | maxwelfare | large | enum2 | enum1 | enum-gsm8k
//   valgrind --tool=callgrind .build/release/ttcg-bench-check --repeat large 3

import BenchSupport
import Foundation
import GameCore

func fmt(_ x: Double) -> String { String(format: "%.17g", x) }

/// Runs one benchmark case `count` times with nothing else around it (for perf / callgrind).
func repeatCase(_ name: String, _ count: Int) throws {
    var sink = 0.0
    switch name {
    case "solve", "dynamics", "maxwelfare", "enum-gsm8k":
        let g = try BenchMarkets.gsm8kGame()
        for _ in 0..<count {
            switch name {
            case "solve": sink += try g.solve().welfare
            case "dynamics": sink += Double(g.betterResponseDynamics().steps)
            case "maxwelfare": sink += g.maximumWelfare().welfare
            default: sink += Double(try g.enumerateEquilibria(EnumerationOptions(threads: 2)).count)
            }
        }
    case "large":
        let g = try BenchMarkets.largeGame()
        for _ in 0..<count { sink += g.maximumWelfare().welfare }
    case "enum1", "enum2":
        let g = try BenchMarkets.enumerationGame()
        let options = EnumerationOptions(threads: name == "enum1" ? 1 : 2)
        for _ in 0..<count { sink += Double(try g.enumerateEquilibria(options).count) }
    default:
        throw BenchMarkets.InputError(description: "--repeat: unknown case '\(name)' (solve, dynamics, maxwelfare, large, enum2, enum1, enum-gsm8k)")
    }
    print("repeat \(name) x\(count): checksum \(fmt(sink))")
}

func main() throws {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--repeat") {
        guard i + 2 < args.count, let n = Int(args[i + 2]), n > 0 else {
            throw BenchMarkets.InputError(description: "usage: --repeat CASE N")
        }
        return try repeatCase(args[i + 1], n)
    }
    let all = args.contains("--all")
    var beta = BenchMarkets.beta
    if let i = args.firstIndex(of: "--beta") {
        guard i + 1 < args.count, let b = Double(args[i + 1]), b.isFinite, b > 0 else {
            throw BenchMarkets.InputError(description: "--beta needs a positive number")
        }
        beta = b
    }

    // Market (a): the GSM8K best-of-n market at beta = 1000.
    let path = BenchMarkets.paperMarketSource
    let game = try BenchMarkets.gsm8kGame().with(rationality: .bounded(beta: beta))
    print("# market (a): \(game.marketName), \(game.providerCount)x\(game.levelCount), beta=\(formatNumber(beta)), from \(path)")
    if !game.warnings.isEmpty { print("# warnings: \(game.warnings.map(\.description))") }
    let solution = try game.solve()
    let dyn = solution.dynamics
    print("solve_profile=\(dyn.profile.map(String.init).joined(separator: ","))")
    print("solve_levels=\(dyn.profile.map { game.levelLabels[$0] }.joined(separator: ","))")
    print("solve_converged=\(dyn.converged) rounds=\(dyn.rounds) steps=\(dyn.steps) moves=\(dyn.moves)")
    print("solve_welfare=\(fmt(solution.welfare))")
    print("solve_poa=\(fmt(solution.priceOfAnarchy.value))")
    print("solve_auction_winner=\(solution.marketVersusAuction.auction.winner.map { game.providerNames[$0] } ?? "none")")

    let optimum = game.maximumWelfare()
    print("max_welfare=\(fmt(optimum.welfare))")
    print("max_welfare_profile=\(optimum.profile.map(String.init).joined(separator: ","))")
    print("max_welfare_iterations=\(optimum.iterations)")
    let eq = try game.enumerateEquilibria(EnumerationOptions(threads: 2))
    print("equilibria=\(eq.count)")
    print("profiles_examined=\(eq.profilesExamined)")
    print("equilibrium_best_welfare=\(fmt(eq.bestWelfare))")
    print("equilibrium_worst_welfare=\(fmt(eq.worstWelfare))")
    print("equilibrium_worst_profile=\(eq.worstProfile.map { $0.map(String.init).joined(separator: ",") } ?? "none")")
    print("poa_worst=\(fmt(eq.priceOfAnarchyWorst.value))")
    print("dynamics_profile_is_equilibrium=\(game.isNash(dyn.profile))")

    guard all else { return }
    let large = try BenchMarkets.largeGame()
    let lo = large.maximumWelfare()
    let values = large.value
    print("# market (b): \(large.marketName), values in [\(fmt(values.min()!)), \(fmt(values.max()!))], warnings \(large.warnings.count)")
    print("b_max_welfare=\(fmt(lo.welfare)) iterations=\(lo.iterations)")
    let nine = try BenchMarkets.enumerationGame()
    let e2 = try nine.enumerateEquilibria(EnumerationOptions(threads: 2))
    let e1 = try nine.enumerateEquilibria(EnumerationOptions(threads: 1))
    print("# market (c): \(nine.marketName), values in [\(fmt(nine.value.min()!)), \(fmt(nine.value.max()!))], warnings \(nine.warnings.count)")
    print("c_equilibria=\(e2.count) (1 thread: \(e1.count)) profiles=\(e2.profilesExamined) poa_worst=\(fmt(e2.priceOfAnarchyWorst.value))")
    guard e1 == e2 else {
        print("ERROR: 1-thread and 2-thread enumerations differ")
        exit(1)
    }
}

do { try main() } catch {
    FileHandle.standardError.write(Data("ttcg-bench-check: \(error)\n".utf8))
    exit(2)
}
