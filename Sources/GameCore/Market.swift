// The inputs of a test-time compute market (model.md §1).
//
// A market is one (dataset, method) pair served by N providers, each with the same
// ordered list of K compute levels (index 0 = cheapest). Everything here is plain data
// with strict validation; `Game` turns it into the flat arrays the algorithms use.

import Foundation

/// How accuracy becomes quality: `q = alpha * (b + (1 - b) * f(a))` (model.md §1).
public enum ValueCurve: Sendable, Hashable {
    /// `f(a) = a`, the paper's choice.
    case linear
    /// `f(a) = a^gamma`.
    case power(gamma: Double)
    /// `f(a) = (e^(kappa a) - 1) / (e^kappa - 1)`.
    case exponential(kappa: Double)

    /// `f(a)` for an accuracy fraction `a` in [0, 1].
    @inlinable
    public func callAsFunction(_ accuracy: Double) -> Double {
        switch self {
        case .linear:
            return accuracy
        case .power(let gamma):
            return Foundation.pow(accuracy, gamma)
        case .exponential(let kappa):
            // expm1 keeps the small-kappa limit (f -> a) accurate.
            return Foundation.expm1(kappa * accuracy) / Foundation.expm1(kappa)
        }
    }

    /// A short name for reports: `linear`, `power(2)`, `exp(3)`.
    public var description: String {
        switch self {
        case .linear: return "linear"
        case .power(let gamma): return "power(\(gamma))"
        case .exponential(let kappa): return "exp(\(kappa))"
        }
    }
}

/// User rationality: the logit of Table 1 with inverse temperature beta, or its limit.
public enum Rationality: Sendable, Hashable {
    /// Boundedly rational users, finite `beta > 0`.
    case bounded(beta: Double)
    /// Perfectly rational users (`beta = inf`): all demand to the highest value.
    case perfect

    /// Parses `inf` / `infinity` or a positive finite number.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "inf" || t == "infinity" || t == "+inf" {
            self = .perfect
        } else if let b = Double(t), b.isFinite, b > 0 {
            self = .bounded(beta: b)
        } else {
            return nil
        }
    }

    /// beta as a number; `.infinity` for perfect rationality.
    public var beta: Double {
        switch self {
        case .bounded(let beta): return beta
        case .perfect: return .infinity
        }
    }

    /// `"inf"` or the number, as files and the command line write it.
    public var text: String {
        switch self {
        case .perfect: return "inf"
        case .bounded(let beta): return formatNumber(beta)
        }
    }
}

/// How a provider's per-query price and generation cost are given (model.md §1).
public enum Pricing: Sendable, Hashable {
    /// Tokens per query at each level and the catalog price in dollars per 1M tokens:
    /// `p = T * pi / 1e6`, `c = p / (1 + m)`. Kept in the catalog's unit so a market
    /// written to a file and read back is bit-for-bit the same market.
    case tokens(perQuery: [Double], pricePerMillionTokens: Double)
    /// Generation cost per query in dollars at each level (Appendix A): `p = (1 + m) * c`.
    case costs([Double])
}

/// One provider: a model served at K compute levels.
public struct Provider: Sendable, Hashable {
    public var name: String
    /// Average accuracy per level, a fraction in [0, 1].
    public var accuracy: [Double]
    public var pricing: Pricing
    /// Overrides the market's margin for this provider when set.
    public var margin: Double?

    public init(name: String, accuracy: [Double], pricing: Pricing, margin: Double? = nil) {
        self.name = name
        self.accuracy = accuracy
        self.pricing = pricing
        self.margin = margin
    }
}

/// The economic settings that turn curves into a game; every field can be swept.
public struct MarketSettings: Sendable, Hashable {
    /// Dollars per unit of accuracy (accuracy is a fraction).
    public var alpha: Double
    /// Quality baseline `b` in [0, 1).
    public var baseline: Double
    public var valueCurve: ValueCurve
    /// Profit margin: price = (1 + m) x cost; must exceed -1.
    public var margin: Double
    /// Abstention value `V0`.
    public var v0: Double

    public init(alpha: Double = 1, baseline: Double = 0, valueCurve: ValueCurve = .linear,
                margin: Double = 0.25, v0: Double = 0) {
        self.alpha = alpha
        self.baseline = baseline
        self.valueCurve = valueCurve
        self.margin = margin
        self.v0 = v0
    }
}

/// A market: providers over a shared list of compute levels, with default settings.
public struct Market: Sendable, Hashable {
    public var name: String
    /// Labels of the K levels, cheapest first (e.g. "1", "4", ... samples).
    public var levels: [String]
    public var providers: [Provider]
    public var settings: MarketSettings
    /// The benchmark dataset the curves were measured on (`gsm8k`), when known.
    public var dataset: String?
    /// The test-time compute method (`best-of-n`), when known.
    public var method: String?

    public init(name: String, levels: [String], providers: [Provider], settings: MarketSettings,
                dataset: String? = nil, method: String? = nil) {
        self.name = name
        self.levels = levels
        self.providers = providers
        self.settings = settings
        self.dataset = dataset
        self.method = method
    }

    public var providerCount: Int { providers.count }
    public var levelCount: Int { levels.count }

    /// A market restricted to the named providers, in the given order.
    public func selecting(_ names: [String]) throws(MarketError) -> Market {
        var chosen: [Provider] = []
        for name in names {
            guard let p = providers.first(where: { $0.name == name }) else {
                throw MarketError(provider: name, field: "models",
                                  expected: "a provider of market '\(self.name)' (\(providers.map(\.name).joined(separator: ", ")))")
            }
            chosen.append(p)
        }
        var copy = self
        copy.providers = chosen
        return copy
    }

    /// Checks every input against model.md §1; the first violation is thrown.
    public func validate() throws(MarketError) {
        try settings.validate()
        guard !providers.isEmpty else {
            throw MarketError(provider: nil, field: "providers", expected: "at least one provider")
        }
        guard !levels.isEmpty else {
            throw MarketError(provider: nil, field: "levels", expected: "at least one compute level")
        }
        var seen = Set<String>()
        let k = levels.count
        for p in providers {
            guard !p.name.isEmpty else {
                throw MarketError(provider: nil, field: "name", expected: "a non-empty provider name")
            }
            guard seen.insert(p.name).inserted else {
                throw MarketError(provider: p.name, field: "name", expected: "a unique provider name (it appears twice)")
            }
            guard p.accuracy.count == k else {
                throw MarketError(provider: p.name, field: "accuracy",
                                  expected: "\(k) values, one per level (got \(p.accuracy.count))")
            }
            for (level, a) in p.accuracy.enumerated() where !(a.isFinite && a >= 0 && a <= 1) {
                throw MarketError(provider: p.name, field: "accuracy", level: level,
                                  expected: "a fraction in [0, 1]", got: a)
            }
            switch p.pricing {
            case .tokens(let tokens, let price):
                guard tokens.count == k else {
                    throw MarketError(provider: p.name, field: "tokens",
                                      expected: "\(k) values, one per level (got \(tokens.count))")
                }
                for (level, t) in tokens.enumerated() where !(t.isFinite && t >= 0) {
                    throw MarketError(provider: p.name, field: "tokens", level: level,
                                      expected: "a finite number >= 0", got: t)
                }
                guard price.isFinite && price >= 0 else {
                    throw MarketError(provider: p.name, field: "price_per_mtok",
                                      expected: "a finite number >= 0", got: price)
                }
            case .costs(let costs):
                guard costs.count == k else {
                    throw MarketError(provider: p.name, field: "cost",
                                      expected: "\(k) values, one per level (got \(costs.count))")
                }
                for (level, c) in costs.enumerated() where !(c.isFinite && c >= 0) {
                    throw MarketError(provider: p.name, field: "cost", level: level,
                                      expected: "a finite number >= 0", got: c)
                }
            }
            if let m = p.margin, !(m.isFinite && m > -1) {
                throw MarketError(provider: p.name, field: "margin", expected: "a finite number > -1", got: m)
            }
        }
    }
}

extension MarketSettings {
    /// Checks the settings against model.md §1.
    public func validate() throws(MarketError) {
        guard alpha.isFinite else {
            throw MarketError(provider: nil, field: "alpha", expected: "a finite number", got: alpha)
        }
        guard baseline.isFinite && baseline >= 0 && baseline < 1 else {
            throw MarketError(provider: nil, field: "baseline", expected: "a number in [0, 1)", got: baseline)
        }
        guard margin.isFinite && margin > -1 else {
            throw MarketError(provider: nil, field: "margin", expected: "a finite number > -1", got: margin)
        }
        guard v0.isFinite else {
            throw MarketError(provider: nil, field: "v0", expected: "a finite number", got: v0)
        }
        switch valueCurve {
        case .linear: break
        case .power(let gamma):
            guard gamma.isFinite && gamma > 0 else {
                throw MarketError(provider: nil, field: "value_curve.gamma", expected: "a finite number > 0", got: gamma)
            }
        case .exponential(let kappa):
            guard kappa.isFinite && kappa != 0 else {
                throw MarketError(provider: nil, field: "value_curve.kappa", expected: "a finite non-zero number", got: kappa)
            }
        }
    }
}

/// A market input that breaks the contract of model.md §1: which provider, which field,
/// what was expected. Front ends prefix the file name.
public struct MarketError: Error, Sendable, Equatable, CustomStringConvertible {
    public var provider: String?
    public var field: String
    public var level: Int?
    public var expected: String
    public var got: String?

    public init(provider: String?, field: String, level: Int? = nil, expected: String, got: Double? = nil) {
        self.provider = provider
        self.field = field
        self.level = level
        self.expected = expected
        self.got = got.map(formatNumber)
    }

    public var description: String {
        var s = ""
        if let provider { s += "provider '\(provider)': " }
        s += "field '\(field)'"
        if let level { s += " (level \(level))" }
        s += ": expected \(expected)"
        if let got { s += ", got \(got)" }
        return s
    }
}

/// Shortest round-trip text of a double; `nan`, `inf`, `-inf` for the special values.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}
