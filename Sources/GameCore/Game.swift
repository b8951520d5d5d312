// A market prepared for play: the derived quantities of model.md §1 as flat arrays,
// computed once, indexed `i * levelCount + k` (provider i, level k).

import Foundation

/// Something about a market that the paper assumes but the inputs do not satisfy.
/// The game still runs; reports show these lines (model.md §2: "reported, not silently accepted").
public struct ModelWarning: Sendable, Hashable, CustomStringConvertible {
    public var provider: String
    public var message: String
    public var description: String { "provider '\(provider)': \(message)" }
}

/// A test-time compute game: one market under one set of settings and one rationality.
public struct Game: Sendable {
    public let marketName: String
    public let providerNames: [String]
    public let levelLabels: [String]
    public let providerCount: Int
    public let levelCount: Int
    public let settings: MarketSettings
    public let rationality: Rationality
    /// Abstention value `V0`.
    public let v0: Double

    /// Quality `q_i(k)`.
    public let quality: [Double]
    /// Price per query `p_i(k)`.
    public let price: [Double]
    /// Generation cost per query `c_i(k)`.
    public let cost: [Double]
    /// Profit per query `rho_i(k) = p - c` (Eq. 2 wants it positive and increasing).
    public let profit: [Double]
    /// User value `V_i(k) = q - p` (Eq. 3).
    public let value: [Double]
    /// Welfare contribution `W_i(k) = q - c` (Eq. 5).
    public let welfareContribution: [Double]
    /// `beta * V_i(k)` for bounded rationality; zero-filled for perfect rationality.
    public let scaledValue: [Double]
    /// `beta * V0` (zero for perfect rationality).
    public let scaledV0: Double

    /// Violations of the paper's assumptions (Eq. 2), one line each.
    public let warnings: [ModelWarning]
    /// Whether every profit is positive, so both potentials of Eq. 7 are defined.
    public let profitsPositive: Bool

    /// Prepares `market` under `settings` (defaults: the market's own) and `rationality`.
    /// Throws the first input that breaks model.md §1.
    public init(market: Market, settings: MarketSettings? = nil, rationality: Rationality) throws(MarketError) {
        var m = market
        if let settings { m.settings = settings }
        try m.validate()
        if case .bounded(let beta) = rationality, !(beta.isFinite && beta > 0) {
            throw MarketError(provider: nil, field: "beta", expected: "a finite number > 0 or inf", got: beta)
        }
        let s = m.settings
        let n = m.providers.count, k = m.levels.count
        var q = [Double](repeating: 0, count: n * k)
        var p = q, c = q
        for (i, prov) in m.providers.enumerated() {
            let margin = prov.margin ?? s.margin
            for l in 0..<k {
                let idx = i * k + l
                q[idx] = s.alpha * (s.baseline + (1 - s.baseline) * s.valueCurve(prov.accuracy[l]))
                switch prov.pricing {
                case .tokens(let tokens, let pricePerMillionTokens):
                    p[idx] = tokens[l] * pricePerMillionTokens / 1e6
                    c[idx] = p[idx] / (1 + margin)
                case .costs(let costs):
                    c[idx] = costs[l]
                    p[idx] = (1 + margin) * costs[l]
                }
            }
        }
        self.init(name: m.name, providers: m.providers.map(\.name), levels: m.levels,
                  settings: s, rationality: rationality, quality: q, price: p, cost: c)
    }

    /// Prepares a game from per-level quality, price and cost arrays (flat, `i * K + k`).
    /// Used by tests and by the sweep engine, which has already validated its inputs.
    public init(name: String, providers: [String], levels: [String], settings: MarketSettings,
                rationality: Rationality, quality: [Double], price: [Double], cost: [Double]) {
        let n = providers.count, k = levels.count
        precondition(quality.count == n * k && price.count == n * k && cost.count == n * k)
        self.marketName = name
        self.providerNames = providers
        self.levelLabels = levels
        self.providerCount = n
        self.levelCount = k
        self.settings = settings
        self.rationality = rationality
        self.v0 = settings.v0
        self.quality = quality
        self.price = price
        self.cost = cost
        var rho = [Double](repeating: 0, count: n * k)
        var v = rho, w = rho, x = rho
        let beta = rationality.beta
        for idx in 0..<(n * k) {
            rho[idx] = price[idx] - cost[idx]
            v[idx] = quality[idx] - price[idx]
            w[idx] = quality[idx] - cost[idx]
            x[idx] = beta.isFinite ? beta * v[idx] : 0
        }
        self.profit = rho
        self.value = v
        self.welfareContribution = w
        self.scaledValue = x
        self.scaledV0 = beta.isFinite ? beta * settings.v0 : 0

        var warnings: [ModelWarning] = []
        var positive = true
        for i in 0..<n {
            let row = rho[(i * k)..<(i * k + k)]
            if let bad = row.firstIndex(where: { !($0 > 0) }) {
                positive = false
                warnings.append(ModelWarning(provider: providers[i],
                    message: "profit p - c is \(formatNumber(rho[bad])) at level \(bad - i * k); Eq. 2 needs it positive (potentials undefined)"))
            } else if k > 1, let l = (1..<k).first(where: { !(rho[i * k + $0] > rho[i * k + $0 - 1]) }) {
                warnings.append(ModelWarning(provider: providers[i],
                    message: "profit does not increase from level \(l - 1) to \(l) (Eq. 2)"))
            }
        }
        self.warnings = warnings
        self.profitsPositive = positive
    }

    /// The same market under another rationality (arrays are re-derived, inputs shared).
    public func with(rationality: Rationality) -> Game {
        Game(name: marketName, providers: providerNames, levels: levelLabels, settings: settings,
             rationality: rationality, quality: quality, price: price, cost: cost)
    }

    @inlinable public var isPerfect: Bool { if case .perfect = rationality { return true } else { return false } }

    /// Flat index of provider `i` at level `k`.
    @inlinable public func index(_ i: Int, _ k: Int) -> Int { i * levelCount + k }

    /// Number of pure profiles K^N, saturating at `Int.max`.
    public var profileCount: Int {
        var total = 1
        for _ in 0..<providerCount {
            let (r, o) = total.multipliedReportingOverflow(by: levelCount)
            if o { return .max }
            total = r
        }
        return total
    }
}
