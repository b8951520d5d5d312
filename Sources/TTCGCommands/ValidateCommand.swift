// `ttcg validate SPEC`: what a spec would run, without running it.

import ArgumentParser
import Sweep

/// `ttcg validate SPEC`.
public struct Validate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a sweep spec and print its markets, axes, grid size, work items and output size.")

    @Argument(help: "The sweep spec (YAML, docs/sweep-format.md).")
    var spec: String

    public init() {}

    public func run() throws {
        let (plan, _) = try loadPlan(spec)
        print("sweep \(plan.spec.name)  (spec hash \(plan.spec.hash.prefix(12)))")
        var bytes = 0.0
        var trajectoryPoints = 0
        for pm in plan.markets {
            let m = pm.market
            print("  market \(pm.name): \(m.providerCount) providers x \(m.levelCount) levels (\(m.levels.joined(separator: ", "))), \(grouped(pm.pointCount)) points\(pm.allEquilibria ? ", all equilibria" : "")")
            for (k, name) in axisNames.enumerated() where pm.shape[k] > 1 || ["beta", "margin", "alpha", "seed"].contains(name) {
                let labels = pm.axes.labels(k)
                let shown = labels.count <= 8 ? labels.joined(separator: ", ")
                    : labels.prefix(3).joined(separator: ", ") + ", ..., " + labels.suffix(2).joined(separator: ", ")
                print("    \(name) (\(labels.count)): \(shown)")
            }
            // Per point: the columns (scalars and per-provider values).
            let scalar = ResultSchema.columns.filter { !$0.perProvider }.count, perProvider = ResultSchema.columns.filter(\.perProvider).count
            bytes += Double(pm.pointCount) * Double(scalar * 8 + perProvider * 8 * m.providerCount)
            for b in pm.axes.beta where plan.spec.outputs.trajectories.keeps(b) { _ = b; trajectoryPoints += pm.pointCount / pm.shape[0] }
        }
        print("grid: \(grouped(plan.pointCount)) games in \(grouped(plan.items.count)) work items of up to \(plan.spec.outputs.chunk) points")
        let trajectoryNote = trajectoryPoints > 0 ? ", plus trajectories of \(grouped(trajectoryPoints)) games (about 50 steps each)" : ""
        print("estimated output: \(megabytes(bytes))\(trajectoryNote)")
    }
}

func megabytes(_ bytes: Double) -> String {
    bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
}
