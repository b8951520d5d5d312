// A sweep spec (docs/sweep-format.md): which markets, which values of every axis, which
// outputs. Parsed strictly: unknown keys and bad values are errors naming the YAML path.

import Foundation
import Profiles
import GameCore

/// One market of a sweep as the spec names it.
public struct MarketEntry: Sendable, Hashable {
    /// A catalog name (`gsm8k/best-of-n`) or a file path (relative to the spec's folder).
    public var reference: String
    /// Only these providers, in this order (nil: all).
    public var models: [String]?
    /// The market's name in the results (default: the market's own name).
    public var name: String?
}

/// How the alpha axis is given.
public enum AlphaAxis: Sendable, Hashable {
    /// Each market keeps its own alpha.
    case marketDefault
    /// The same absolute values for every market.
    case absolute([Double])
    /// Per dataset (or the market's own when `perDataset` is nil) times multipliers.
    case scaled(perDataset: [String: Double]?, multipliers: [Double])
}

/// The sweep's axes; nil means "the market's own value" for the economic settings.
public struct SweepAxes: Sendable, Hashable {
    public var beta: [Rationality] = [.bounded(beta: 1000)]
    public var margin: [Double]? = nil
    public var alpha: AlphaAxis = .marketDefault
    public var v0: [Double]? = nil
    public var valueCurve: [ValueCurve]? = nil
    public var seed: [UInt64] = [0]
    public var rule: [ResponseRule] = [.nearestImprovement]
    public var order: [VisitOrder] = [.random]
    public var start: [StartProfile] = [.lowest]
    public var tolerance: [Double] = [1e-8]
    public var maxRounds: [Int] = [10_000]
}

/// When to enumerate every pure equilibrium.
public enum AllEquilibria: Sendable, Hashable {
    case never, always
    /// When the market has at most `maxProfiles` profiles.
    case auto(maxProfiles: Int)
}

/// Which trajectories to keep.
public enum TrajectorySelection: Sendable, Hashable {
    case none, all
    /// Only at these rationalities.
    case beta([Rationality])

    public func keeps(_ r: Rationality) -> Bool {
        switch self {
        case .none: return false
        case .all: return true
        case .beta(let list): return list.contains(r)
        }
    }
}

/// What the sweep writes beyond the always-on results.
public struct SweepOutputs: Sendable, Hashable {
    public var trajectories: TrajectorySelection = .none
    public var allEquilibria: AllEquilibria = .auto(maxProfiles: 100_000)
    /// Grid points per work item.
    public var chunk: Int = 256
    /// The most grid points (games) the sweep may have, all markets together: a bigger grid
    /// is refused when planned, before anything is allocated for it (`max_points`).
    public var maxPoints: Int = SweepOutputs.defaultMaxPoints
    public static let defaultMaxPoints = 1_000_000_000
    /// The highest `max_points` accepted (2^53: grid indices stay exact as doubles).
    public static let maxPointsCeiling = 1 << 53
}

/// A parsed sweep spec.
public struct SweepSpec: Sendable, Hashable {
    public var name: String
    /// Added to every seed of the seed axis (default 0: the seed axis is the dynamics seed,
    /// as in `ttcg solve --seed`).
    public var seed: UInt64
    public var markets: [MarketEntry]
    public var axes: SweepAxes
    public var outputs: SweepOutputs
    /// The YAML text as given (stored in the results, hashed).
    public var text: String
    /// Where relative market files are looked up (the spec's folder).
    public var baseDirectory: String
    /// The spec's file (or label) in error messages.
    public var source: String

    /// SHA-256 of the spec text.
    public var hash: String { sha256Hex(text) }

    public static let topLevelKeys = ["name", "seed", "markets", "axes", "dynamics", "outputs"]

    /// Reads and parses the spec at `path`.
    public static func load(path: String) throws(SpecError) -> SweepSpec {
        let text: String
        do {
            text = try TextFile.contents(path, what: "sweep spec", maxBytes: maxTextBytes)
        } catch {
            throw SpecError(file: path, path: nil, message: error.message)
        }
        let base = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, source: path, baseDirectory: base.isEmpty ? "." : base)
    }

    /// The largest spec, in bytes of UTF-8: what a worker accepts in a welcome.
    public static let maxTextBytes = 4 << 20

    /// Parses spec text; `source` names it in errors.
    public static func parse(yaml text: String, source: String, baseDirectory: String = ".") throws(SpecError) -> SweepSpec {
        guard text.utf8.count <= maxTextBytes else {
            throw SpecError(file: source, path: nil, message: "expected a spec of at most \(maxTextBytes) bytes (\(maxTextBytes >> 20) MiB), got \(text.utf8.count)")
        }
        let root = try composeYAML(text, file: source)
        let fields = try root.mapping(allowed: topLevelKeys, expected: "a sweep spec (a mapping with \(topLevelKeys.joined(separator: ", ")))")
        func field(_ key: String) -> SpecNode? { fields.first { $0.0 == key }?.1 }

        let stem = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = try field("name").map { (n) throws(SpecError) in try n.text(expected: "the sweep's name") } ?? (stem.isEmpty ? "sweep" : stem)
        var seed: UInt64 = 0
        if let s = field("seed") {
            let x = try s.integer(expected: "an integer seed >= 0")
            guard x >= 0 else { throw s.error("expected an integer seed >= 0, got \(x)") }
            seed = UInt64(x)
        }
        guard let marketsNode = field("markets") else {
            throw root.error("expected a 'markets' list (catalog names such as gsm8k/best-of-n, or market files)")
        }
        let markets = try parseMarkets(marketsNode)
        var axes = SweepAxes()
        if let a = field("axes") { try parseAxes(a, into: &axes) }
        if let d = field("dynamics") { try parseDynamics(d, into: &axes) }
        var outputs = SweepOutputs()
        if let o = field("outputs") { outputs = try parseOutputs(o) }
        return SweepSpec(name: name, seed: seed, markets: markets, axes: axes, outputs: outputs,
                         text: text, baseDirectory: baseDirectory, source: source)
    }

    static func parseMarkets(_ node: SpecNode) throws(SpecError) -> [MarketEntry] {
        let items = try node.sequence(expected: "a list of markets (catalog names or files)")
        guard !items.isEmpty else { throw node.error("expected at least one market, got an empty list") }
        var entries: [MarketEntry] = []
        for item in items {
            if case .scalar = item.node {
                entries.append(MarketEntry(reference: try item.text(expected: "a catalog name or a market file"), models: nil, name: nil))
                continue
            }
            let f = try item.mapping(allowed: ["market", "models", "name"], expected: "a catalog name, a file, or {market: ..., models: [...], name: ...}")
            guard let ref = f.first(where: { $0.0 == "market" })?.1 else {
                throw item.error("expected a 'market' key (a catalog name or a market file)")
            }
            var entry = MarketEntry(reference: try ref.text(expected: "a catalog name or a market file"), models: nil, name: nil)
            if let m = f.first(where: { $0.0 == "models" })?.1 {
                let names = try m.sequence(expected: "a list of provider names")
                guard !names.isEmpty else { throw m.error("expected at least one provider name, got an empty list") }
                var list: [String] = []
                for n in names {
                    let s = try n.text(expected: "a provider name")
                    guard !list.contains(s) else { throw n.error("expected distinct provider names, got '\(s)' twice") }
                    list.append(s)
                }
                entry.models = list
            }
            if let n = f.first(where: { $0.0 == "name" })?.1 { entry.name = try n.text(expected: "a name for the market's results") }
            entries.append(entry)
        }
        return entries
    }

    static let axisKeys = ["beta", "margin", "alpha", "v0", "value_curve", "seed"]

    static func parseAxes(_ node: SpecNode, into axes: inout SweepAxes) throws(SpecError) {
        for (key, value) in try node.mapping(allowed: axisKeys, expected: "a mapping of axes (\(axisKeys.joined(separator: ", ")))") {
            switch key {
            case "beta": axes.beta = try parseBetaList(value)
            case "margin":
                axes.margin = try parseNumberList(value, expected: "a margin > -1") { $0 > -1 }
            case "alpha": axes.alpha = try parseAlpha(value)
            case "v0": axes.v0 = try parseNumberList(value, expected: "a number (abstention value)") { _ in true }
            case "value_curve": axes.valueCurve = try nonEmpty(value, value.list().map { (n) throws(SpecError) in try parseValueCurve(n) })
            case "seed": axes.seed = try parseSeeds(value)
            default: break
            }
        }
    }

    static func nonEmpty<T>(_ node: SpecNode, _ values: [T]) throws(SpecError) -> [T] {
        guard !values.isEmpty else { throw node.error("expected at least one value, got an empty list") }
        return values
    }

    /// Numbers, `inf`, and `{logspace: [from, to, n]}` (10^from .. 10^to, n values).
    static func parseBetaList(_ node: SpecNode) throws(SpecError) -> [Rationality] {
        var out: [Rationality] = []
        let expected = "a beta > 0, inf, or {logspace: [from, to, n]}"
        for item in node.list() {
            if case .mapping = item.node {
                let f = try item.mapping(allowed: ["logspace"], expected: expected)
                guard let ls = f.first?.1 else { throw item.error("expected \(expected), got an empty mapping") }
                let parts = try ls.sequence(expected: "[from, to, n]: exponents of 10 and a count")
                guard parts.count == 3 else { throw ls.error("expected [from, to, n]: exponents of 10 and a count, got \(parts.count) values") }
                let from = try parts[0].number(expected: "a finite exponent")
                let to = try parts[1].number(expected: "a finite exponent")
                let n = try parts[2].integer(expected: "a count >= 1")
                guard n >= 1 && n <= 1_000_000 else { throw parts[2].error("expected a count in 1...1000000, got \(n)") }
                for i in 0..<n {
                    let e = n == 1 ? from : from + (to - from) * Double(i) / Double(n - 1)
                    let b = Foundation.pow(10, e)
                    guard b > 0 && b.isFinite else { throw ls.error("expected exponents giving finite betas > 0, got 10^\(formatNumber(e))") }
                    out.append(.bounded(beta: b))
                }
                continue
            }
            guard case .scalar(let s) = item.node, let x = parseNumber(s.string), !x.isNaN else {
                throw item.error("expected \(expected), got \(item.shown)\(item.overflowNote)")
            }
            if x == .infinity { out.append(.perfect); continue }
            guard x > 0 && x.isFinite else { throw item.error("expected \(expected), got \(item.shown)") }
            out.append(.bounded(beta: x))
        }
        return try nonEmpty(node, out)
    }

    static func parseNumberList(_ node: SpecNode, expected: String, _ ok: (Double) -> Bool) throws(SpecError) -> [Double] {
        var out: [Double] = []
        for item in node.list() {
            let x = try item.number(expected: expected)
            guard ok(x) else { throw item.error("expected \(expected), got \(item.shown)") }
            out.append(x)
        }
        return try nonEmpty(node, out)
    }

    /// A list of absolute values, or `{per_dataset: {gsm8k: 0.008, ...}, multipliers: [...]}`,
    /// or `{multipliers: [...]}` (times each market's own alpha).
    static func parseAlpha(_ node: SpecNode) throws(SpecError) -> AlphaAxis {
        guard case .mapping = node.node else {
            return .absolute(try parseNumberList(node, expected: "an alpha (dollars per unit of accuracy)") { _ in true })
        }
        let f = try node.mapping(allowed: ["per_dataset", "multipliers"], expected: "a list of alphas or {per_dataset: ..., multipliers: [...]}")
        var perDataset: [String: Double]? = nil
        var multipliers: [Double] = [1]
        for (key, value) in f {
            if key == "multipliers" {
                multipliers = try parseNumberList(value, expected: "a finite multiplier") { _ in true }
            } else {
                var map: [String: Double] = [:]
                guard case .mapping(let m) = value.node else { throw value.error("expected a mapping dataset -> alpha (gsm8k: 0.008), got \(value.shown)") }
                for (k, v) in m {
                    let dataset = try SpecNode(node: k, path: value.path, file: value.file).text(expected: "a dataset name")
                    map[dataset] = try value.child(dataset, v).number(expected: "an alpha (dollars per unit of accuracy)")
                }
                guard !map.isEmpty else { throw value.error("expected at least one dataset, got an empty mapping") }
                perDataset = map
            }
        }
        return .scaled(perDataset: perDataset, multipliers: multipliers)
    }

    static func parseValueCurve(_ node: SpecNode) throws(SpecError) -> ValueCurve {
        let expected = "linear, {power: GAMMA} or {exp: KAPPA}"
        if case .scalar(let s) = node.node, s.string == "linear" { return .linear }
        let f = try node.mapping(allowed: ["power", "exp"], expected: expected)
        guard f.count == 1 else { throw node.error("expected \(expected), got \(f.count) keys") }
        let (key, value) = f[0]
        if key == "power" {
            let g = try value.number(expected: "a power > 0")
            guard g > 0 else { throw value.error("expected a power > 0, got \(value.shown)") }
            return .power(gamma: g)
        }
        let k = try value.number(expected: "a non-zero exponent")
        guard k != 0 else { throw value.error("expected a non-zero exponent, got \(value.shown)") }
        return .exponential(kappa: k)
    }

    /// A list of seeds, or `{range: [from, to]}` (to excluded).
    static func parseSeeds(_ node: SpecNode) throws(SpecError) -> [UInt64] {
        if case .mapping = node.node {
            let f = try node.mapping(allowed: ["range"], expected: "a list of seeds or {range: [from, to]}")
            guard let r = f.first?.1 else { throw node.error("expected {range: [from, to]}, got an empty mapping") }
            let parts = try r.sequence(expected: "[from, to]: seeds from..to-1")
            guard parts.count == 2 else { throw r.error("expected [from, to]: seeds from..to-1, got \(parts.count) values") }
            let from = try parts[0].integer(expected: "an integer seed >= 0")
            let to = try parts[1].integer(expected: "an integer seed > from")
            guard from >= 0 else { throw parts[0].error("expected an integer seed >= 0, got \(from)") }
            guard to > from && to - from <= 1_000_000 else { throw parts[1].error("expected an end in \(from + 1)...\(from + 1_000_000), got \(to)") }
            return (from..<to).map { UInt64($0) }
        }
        var out: [UInt64] = []
        for item in node.list() {
            let x = try item.integer(expected: "an integer seed >= 0")
            guard x >= 0 else { throw item.error("expected an integer seed >= 0, got \(x)") }
            out.append(UInt64(x))
        }
        return try nonEmpty(node, out)
    }

    static let dynamicsKeys = ["rule", "order", "start", "tolerance", "max_rounds"]

    static func parseDynamics(_ node: SpecNode, into axes: inout SweepAxes) throws(SpecError) {
        for (key, value) in try node.mapping(allowed: dynamicsKeys, expected: "a mapping of dynamics options (\(dynamicsKeys.joined(separator: ", ")))") {
            let items = value.list()
            switch key {
            case "rule":
                axes.rule = try nonEmpty(value, items.map { (n) throws(SpecError) -> ResponseRule in
                    let all = ResponseRule.allCases.map(\.rawValue).joined(separator: ", ")
                    guard let r = ResponseRule(rawValue: try n.text(expected: all)) else { throw n.error("expected \(all), got \(n.shown)") }
                    return r
                })
            case "order":
                axes.order = try nonEmpty(value, items.map { (n) throws(SpecError) -> VisitOrder in
                    let all = VisitOrder.allCases.map(\.rawValue).joined(separator: ", ")
                    guard let o = VisitOrder(rawValue: try n.text(expected: all)) else { throw n.error("expected \(all), got \(n.shown)") }
                    return o
                })
            case "start":
                axes.start = try nonEmpty(value, items.map { (n) throws(SpecError) -> StartProfile in
                    let text = try n.text(expected: "lowest, highest or random")
                    switch text {
                    case "lowest": return .lowest
                    case "highest": return .highest
                    case "random": return .random
                    default: throw n.error("expected lowest, highest or random, got \(n.shown)")
                    }
                })
            case "tolerance":
                axes.tolerance = try parseNumberList(value, expected: "a tolerance >= 0") { $0 >= 0 }
            case "max_rounds":
                axes.maxRounds = try nonEmpty(value, items.map { (n) throws(SpecError) -> Int in
                    let r = try n.integer(expected: "a round count >= 1")
                    guard r >= 1 else { throw n.error("expected a round count >= 1, got \(r)") }
                    return r
                })
            default: break
            }
        }
    }

    static func parseOutputs(_ node: SpecNode) throws(SpecError) -> SweepOutputs {
        var out = SweepOutputs()
        var maxProfiles = 100_000
        var mode = "auto"
        for (key, value) in try node.mapping(allowed: ["trajectories", "all_equilibria", "all_equilibria_max_profiles", "chunk", "max_points"],
                                             expected: "a mapping of outputs (trajectories, all_equilibria, all_equilibria_max_profiles, chunk, max_points)") {
            switch key {
            case "trajectories":
                if case .mapping = value.node {
                    let f = try value.mapping(allowed: ["beta"], expected: "true, false or {beta: [...]}")
                    guard let b = f.first?.1 else { throw value.error("expected {beta: [...]}, got an empty mapping") }
                    out.trajectories = .beta(try parseBetaList(b))
                } else {
                    out.trajectories = try value.bool(expected: "true, false or {beta: [...]}") ? .all : .none
                }
            case "all_equilibria":
                if case .scalar(let s) = value.node, s.string == "auto" { mode = "auto" }
                else { mode = try value.bool(expected: "true, false or auto") ? "always" : "never" }
            case "all_equilibria_max_profiles":
                maxProfiles = try value.integer(expected: "a profile count >= 1")
                guard maxProfiles >= 1 else { throw value.error("expected a profile count >= 1, got \(maxProfiles)") }
            case "chunk":
                out.chunk = try value.integer(expected: "a number of grid points per work item, 1...100000")
                guard (1...100_000).contains(out.chunk) else { throw value.error("expected a number of grid points per work item, 1...100000, got \(out.chunk)") }
            case "max_points":
                let expected = "a number of grid points, 1...\(SweepOutputs.maxPointsCeiling)"
                out.maxPoints = try value.integer(expected: expected)
                guard (1...SweepOutputs.maxPointsCeiling).contains(out.maxPoints) else { throw value.error("expected \(expected), got \(out.maxPoints)") }
            default: break
            }
        }
        switch mode {
        case "always": out.allEquilibria = .always
        case "never": out.allEquilibria = .never
        default: out.allEquilibria = .auto(maxProfiles: maxProfiles)
        }
        return out
    }
}
