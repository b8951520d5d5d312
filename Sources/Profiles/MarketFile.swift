// Market files: one market (dataset x method) in YAML, as docs/market-format.md
// describes. The loader is strict: every key is known, every value has its type,
// and the first problem is one line naming file, provider and field.

import Foundation
import GameCore
import Yams

/// Reads and writes market files.
public enum MarketFile {
    static let topLevelKeys = ["name", "dataset", "method", "levels", "alpha", "baseline", "value_curve", "margin", "v0", "providers"]
    static let providerKeys = ["name", "accuracy", "cost", "tokens", "price_per_mtok", "margin"]

    /// Loads the market file at `path`.
    public static func load(path: String) throws(MarketFileError) -> Market {
        try parse(yaml: try MarketSource.readText(path), source: path)
    }

    /// Parses a market from YAML text (JSON is YAML too, so the JSON of
    /// `renderJSON` reads back here); `source` names it in errors (usually the path).
    /// Without a `name` key the market is named after the file (`x.yaml` -> `x`).
    /// The largest market text, in bytes of UTF-8: what a worker accepts in a welcome.
    public static let maxTextBytes = 16 << 20

    public static func parse(yaml: String, source: String = "<market>") throws(MarketFileError) -> Market {
        guard yaml.utf8.count <= maxTextBytes else {
            throw MarketFileError(file: source, message: "expected a market of at most \(maxTextBytes) bytes (\(maxTextBytes >> 20) MiB), got \(yaml.utf8.count)")
        }
        let root: Node
        if let refusal = YAMLNesting.refusal(yaml) { throw MarketFileError(file: source, message: refusal) }
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw MarketFileError(file: source, message: "expected a market (a mapping with \(topLevelKeys.joined(separator: ", "))), got an empty document")
            }
            root = node
        } catch let e as MarketFileError {
            throw e
        } catch let e as YamlError {
            throw MarketFileError(file: source, message: syntaxMessage(e))
        } catch {
            throw MarketFileError(file: source, message: "not valid YAML: \(error)")
        }
        let context = YAMLContext(file: source)
        let market = try decodeMarket(root, context: context)
        do {
            try market.validate()
        } catch {
            throw MarketFileError(file: source, marketError: error)
        }
        return market
    }

    // MARK: decoding

    static func decodeMarket(_ root: Node, context: YAMLContext) throws(MarketFileError) -> Market {
        let f = try YAMLFields(root, field: nil, allowed: topLevelKeys, context: context)
        let name = try f.optional("name").map { (n) throws(MarketFileError) in try f.text(n, "name") }
            ?? defaultName(for: context.file)
        let dataset = try f.optional("dataset").map { (n) throws(MarketFileError) in try f.text(n, "dataset") }
        let method = try f.optional("method").map { (n) throws(MarketFileError) in try f.text(n, "method") }
        let levelsNode = try f.required("levels", expected: "a list of level labels, cheapest first")
        guard case .sequence(let levelSeq) = levelsNode else {
            throw context.error("levels", "expected a list of level labels, cheapest first, got \(describe(levelsNode))")
        }
        var levels: [String] = []
        for (k, node) in levelSeq.enumerated() {
            let label = try f.text(node, "levels", level: k)
            guard !levels.contains(label) else {
                throw context.error("levels", level: k, "expected distinct labels, but '\(label)' appears twice")
            }
            levels.append(label)
        }
        var settings = MarketSettings()
        settings.alpha = try f.number("alpha", expected: "a number (dollars per unit of accuracy)")
        settings.baseline = try f.optionalNumber("baseline") ?? 0
        settings.margin = try f.optionalNumber("margin") ?? 0.25
        settings.v0 = try f.optionalNumber("v0") ?? 0
        if let curve = f.optional("value_curve") {
            settings.valueCurve = try decodeValueCurve(curve, context: context)
        }
        let providersNode = try f.required("providers", expected: "a list of providers")
        guard case .sequence(let providerSeq) = providersNode else {
            throw context.error("providers", "expected a list of providers, got \(describe(providersNode))")
        }
        var providers: [Provider] = []
        for (i, node) in providerSeq.enumerated() {
            providers.append(try decodeProvider(node, context: context.inProvider(i)))
        }
        return Market(name: name, levels: levels, providers: providers, settings: settings,
                      dataset: dataset, method: method)
    }

    /// `linear`, `{power: GAMMA}` or `{exp: KAPPA}`.
    static func decodeValueCurve(_ node: Node, context: YAMLContext) throws(MarketFileError) -> ValueCurve {
        let expected = "linear, {power: GAMMA} or {exp: KAPPA}"
        if case .scalar(let s) = node, s.string == "linear" { return .linear }
        guard case .mapping(let m) = node, m.count == 1 else {
            throw context.error("value_curve", "expected \(expected), got \(describe(node))")
        }
        let f = try YAMLFields(node, field: "value_curve", allowed: ["power", "exp"], context: context)
        if let g = f.optional("power") { return .power(gamma: try f.number(g, "value_curve.power")) }
        return .exponential(kappa: try f.number(f.optional("exp")!, "value_curve.exp"))
    }

    static func decodeProvider(_ node: Node, context: YAMLContext) throws(MarketFileError) -> Provider {
        // Peek at the name first so every later error, unknown keys included, can say
        // which provider it is about.
        var named = context
        if case .mapping(let m) = node, let n = m["name"], case .scalar(let s) = n,
           tagName(n) != .null, !s.string.trimmingCharacters(in: .whitespaces).isEmpty {
            named.provider = s.string
        }
        let f = try YAMLFields(node, field: nil, allowed: providerKeys, context: named)
        let name = try f.text(f.required("name", expected: "the provider's name"), "name")
        let c = f.context
        let accuracy = try f.numbers("accuracy", expected: "a list of accuracies (fractions in [0, 1]), one per level")
        let pricing: Pricing
        switch (f.has("cost"), f.has("tokens")) {
        case (true, true):
            throw c.error("cost", "expected either 'cost' or 'tokens' with 'price_per_mtok', not both")
        case (false, false):
            throw c.error("cost", "expected 'cost' (dollars per query) or 'tokens' with 'price_per_mtok', found neither")
        case (true, false):
            if f.has("price_per_mtok") {
                throw c.error("price_per_mtok", "expected only with 'tokens'; this provider gives 'cost' per query")
            }
            pricing = .costs(try f.numbers("cost", expected: "a list of generation costs in dollars per query, one per level"))
        case (false, true):
            let tokens = try f.numbers("tokens", expected: "a list of tokens per query, one per level")
            let perMillion = try f.number("price_per_mtok", expected: "a price in dollars per 1M tokens alongside 'tokens'")
            // Checked here, not by Market.validate, so the error shows the file's own unit.
            guard perMillion.isFinite && perMillion >= 0 else {
                throw c.error("price_per_mtok", "expected a finite number >= 0, got \(formatNumber(perMillion))")
            }
            pricing = .tokens(perQuery: tokens, pricePerMillionTokens: perMillion)
        }
        return Provider(name: name, accuracy: accuracy, pricing: pricing, margin: try f.optionalNumber("margin"))
    }

    /// `jobs/x.yaml` -> `x`.
    static func defaultName(for source: String) -> String {
        let base = (source as NSString).lastPathComponent
        let stem = (base as NSString).deletingPathExtension
        return stem.isEmpty ? "market" : stem
    }

    /// One line out of Yams' multi-line syntax errors: position and problem.
    static func syntaxMessage(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { "\($0.text): " } ?? ""
            return "not valid YAML at line \(mark.line), column \(mark.column): \(ctx)\(problem)"
        default:
            return "not valid YAML: \(error)"
        }
    }
}
