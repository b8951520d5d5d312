// Exhaustive enumeration of all pure Nash equilibria (model.md §4).
//
// Profiles are visited in lexicographic order (provider 0 most significant). The last
// provider is never enumerated blindly: for each prefix of the others its rivals are fixed,
// so only its best responses can complete an equilibrium. Candidates are then checked
// provider by provider with early exit. For bounded rationality whose exponents span less
// than `safeExponentRange`, every `e^{beta V - G}` is computed once with one global shift G and
// the hot loop does only additions and divisions; otherwise (large beta, or beta = inf)
// the stable per-provider formulas of `Shares.swift` are used.

import Dispatch
import Foundation

/// Settings of the enumeration.
public struct EnumerationOptions: Sendable, Hashable {
    /// The Nash threshold (model.md §3).
    public var tolerance: Double = 1e-8
    /// Refuse markets with more profiles than this.
    public var profileBudget: Int = 100_000_000
    /// Worker threads (Dispatch); 1 runs on the calling thread, 0 means every core.
    public var threads: Int = 0
    /// How many equilibria to return as examples (the first ones in lexicographic order).
    public var exampleLimit: Int = 32

    public init(tolerance: Double = 1e-8, profileBudget: Int = 100_000_000,
                threads: Int = 0, exampleLimit: Int = 32) {
        self.tolerance = tolerance
        self.profileBudget = profileBudget
        self.threads = threads
        self.exampleLimit = exampleLimit
    }
}

/// The enumeration was refused.
public enum EquilibriumError: Error, Sendable, Equatable, CustomStringConvertible {
    case overBudget(profiles: Int, budget: Int)

    public var description: String {
        switch self {
        case .overBudget(let profiles, let budget):
            let p = profiles == .max ? "more than 9.2e18" : "\(profiles)"
            return "all-equilibria enumeration needs \(p) profiles, over the budget of \(budget); raise the budget or use fewer providers or levels"
        }
    }
}

/// Every pure Nash equilibrium of a game, summarised.
public struct EquilibriumSummary: Sendable, Equatable {
    public var count: Int
    public var profilesExamined: Int
    /// Welfare of the best and worst equilibria (NaN when there are none).
    public var bestWelfare: Double
    public var worstWelfare: Double
    /// The lexicographically first equilibrium with the best / worst welfare.
    public var bestProfile: [Int]?
    public var worstProfile: [Int]?
    public var maxWelfare: Double
    /// `max W / W(worst equilibrium)` (Eq. 9 over the worst equilibrium).
    public var priceOfAnarchyWorst: PriceOfAnarchy
    /// `max W / W(best equilibrium)`.
    public var priceOfStability: PriceOfAnarchy
    /// The first equilibria in lexicographic order, up to `exampleLimit`.
    public var examples: [[Int]]
}

/// What one chunk of the enumeration found.
struct EquilibriumTally {
    var count = 0
    var best = -Double.infinity, worst = Double.infinity
    var bestProfile: [Int]? = nil, worstProfile: [Int]? = nil
    var examples: [[Int]] = []

    mutating func add(_ profile: UnsafeMutableBufferPointer<Int>, welfare w: Double, exampleLimit: Int) {
        count += 1
        if w > best { best = w; bestProfile = Array(profile) }
        if w < worst { worst = w; worstProfile = Array(profile) }
        if examples.count < exampleLimit { examples.append(Array(profile)) }
    }

    /// Merges a later chunk: strict comparisons keep the lexicographically first profile.
    mutating func merge(_ other: EquilibriumTally, exampleLimit: Int) {
        count += other.count
        if other.best > best { best = other.best; bestProfile = other.bestProfile }
        if other.worst < worst { worst = other.worst; worstProfile = other.worstProfile }
        for e in other.examples where examples.count < exampleLimit { examples.append(e) }
    }
}

/// Results written by concurrent chunks, one slot each.
private final class TallySlots: @unchecked Sendable {
    var slots: [EquilibriumTally]
    init(count: Int) { slots = Array(repeating: EquilibriumTally(), count: count) }
}

extension Game {
    /// Bounded-rationality exponents spanning less than this use the fast global shift.
    public static let safeExponentRange = 600.0

    /// All pure Nash equilibria, exactly, or `overBudget` when `K^N` exceeds the budget.
    public func enumerateEquilibria(_ options: EnumerationOptions = EnumerationOptions(),
                                    maxWelfare knownMax: Double? = nil) throws(EquilibriumError) -> EquilibriumSummary {
        let total = profileCount
        guard total <= options.profileBudget else {
            throw EquilibriumError.overBudget(profiles: total, budget: options.profileBudget)
        }
        let n = providerCount, k = levelCount
        let prefixes = total / k
        // Resolved here, not in the options' initialiser: asking the system costs ~80 us.
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        let chunkCount = Swift.max(1, Swift.min(prefixes, threads * 16))
        let slots = TallySlots(count: chunkCount)

        // The fast path's exponentials, shifted once by the largest one.
        var fast: [Double] = []
        var fastV0 = 0.0
        if !isPerfect {
            let top = Swift.max(scaledValue.max()!, scaledV0)
            let bottom = Swift.min(scaledValue.min()!, scaledV0)
            if top - bottom < Game.safeExponentRange {
                fast = scaledValue.map { Foundation.exp($0 - top) }
                fastV0 = Foundation.exp(scaledV0 - top)
            }
        }
        let fastExp = fast, e0 = fastV0
        let work: @Sendable (Int) -> Void = { c in
            let lo = c * prefixes / chunkCount, hi = (c + 1) * prefixes / chunkCount
            guard lo < hi else { return }
            var tally = EquilibriumTally()
            if fastExp.isEmpty {
                self.enumerateStable(prefixes: lo..<hi, tolerance: options.tolerance,
                                     exampleLimit: options.exampleLimit, into: &tally)
            } else {
                self.enumerateFast(prefixes: lo..<hi, exps: fastExp, e0: e0, tolerance: options.tolerance,
                                   exampleLimit: options.exampleLimit, into: &tally)
            }
            slots.slots[c] = tally
        }
        if threads <= 1 || chunkCount == 1 {
            for c in 0..<chunkCount { work(c) }
        } else {
            DispatchQueue.concurrentPerform(iterations: chunkCount, execute: work)
        }
        var tally = EquilibriumTally()
        for t in slots.slots { tally.merge(t, exampleLimit: options.exampleLimit) }
        let maxW = knownMax ?? maximumWelfare().welfare
        let none = tally.count == 0
        _ = n
        return EquilibriumSummary(
            count: tally.count, profilesExamined: total,
            bestWelfare: none ? .nan : tally.best, worstWelfare: none ? .nan : tally.worst,
            bestProfile: tally.bestProfile, worstProfile: tally.worstProfile, maxWelfare: maxW,
            priceOfAnarchyWorst: none ? PriceOfAnarchy(maxWelfare: maxW, reason: "no pure equilibrium found")
                                      : PriceOfAnarchy(maxWelfare: maxW, equilibriumWelfare: tally.worst),
            priceOfStability: none ? PriceOfAnarchy(maxWelfare: maxW, reason: "no pure equilibrium found")
                                   : PriceOfAnarchy(maxWelfare: maxW, equilibriumWelfare: tally.best),
            examples: tally.examples)
    }

    /// Writes the digits of prefix number `number` (providers 0..N-2, last digit fastest).
    private func decodePrefix(_ number: Int, into digits: UnsafeMutableBufferPointer<Int>) {
        var rest = number
        var d = providerCount - 2
        while d >= 0 {
            digits[d] = rest % levelCount
            rest /= levelCount
            d -= 1
        }
    }

    /// Advances the prefix odometer; returns the most significant depth that changed.
    @inline(__always)
    private func advancePrefix(_ digits: UnsafeMutableBufferPointer<Int>) -> Int {
        var d = providerCount - 2
        while d >= 0 {
            digits[d] += 1
            if digits[d] < levelCount { return d }
            digits[d] = 0
            d -= 1
        }
        return 0
    }

    private func enumerateFast(prefixes: Range<Int>, exps: [Double], e0: Double, tolerance tol: Double,
                               exampleLimit: Int, into tally: inout EquilibriumTally) {
        let n = providerCount, k = levelCount, last = n - 1
        var digitStore = [Int](repeating: 0, count: n)
        var partialStore = [Double](repeating: 0, count: n)   // partial[d] = e0 + sum_{j<d} e_j
        var lastUtility = [Double](repeating: 0, count: k)
        exps.withUnsafeBufferPointer { e in
        profit.withUnsafeBufferPointer { rho in
        welfareContribution.withUnsafeBufferPointer { wc in
        digitStore.withUnsafeMutableBufferPointer { digits in
        partialStore.withUnsafeMutableBufferPointer { partial in
        lastUtility.withUnsafeMutableBufferPointer { ul in
            decodePrefix(prefixes.lowerBound, into: digits)
            partial[0] = e0
            var from = 0
            for number in prefixes {
                if number != prefixes.lowerBound { from = advancePrefix(digits) }
                for d in from..<last { partial[d + 1] = partial[d] + e[d * k + digits[d]] }
                let rivalsOfLast = partial[last]
                var uMax = -Double.infinity
                for l in 0..<k {
                    let idx = last * k + l
                    let u = rho[idx] * (e[idx] / (rivalsOfLast + e[idx]))
                    ul[l] = u
                    if u > uMax { uMax = u }
                }
                for l in 0..<k where !improves(uMax, on: ul[l], tolerance: tol) {
                    digits[last] = l
                    var equilibrium = true
                    for i in 0..<last {
                        var rivals = e0
                        for j in 0..<n where j != i { rivals += e[j * k + digits[j]] }
                        let cur = i * k + digits[i]
                        let u = rho[cur] * (e[cur] / (rivals + e[cur]))
                        for l2 in 0..<k where l2 != digits[i] {
                            let idx = i * k + l2
                            if improves(rho[idx] * (e[idx] / (rivals + e[idx])), on: u, tolerance: tol) {
                                equilibrium = false
                                break
                            }
                        }
                        if !equilibrium { break }
                    }
                    if equilibrium {
                        var num = e0 * v0, den = e0
                        for j in 0..<n {
                            let idx = j * k + digits[j]
                            num += e[idx] * wc[idx]
                            den += e[idx]
                        }
                        tally.add(digits, welfare: num / den, exampleLimit: exampleLimit)
                    }
                }
            }
        }}}}}}
    }

    private func enumerateStable(prefixes: Range<Int>, tolerance tol: Double,
                                 exampleLimit: Int, into tally: inout EquilibriumTally) {
        let n = providerCount, k = levelCount, last = n - 1
        var digitStore = [Int](repeating: 0, count: n)
        var lastUtility = [Double](repeating: 0, count: k)
        digitStore.withUnsafeMutableBufferPointer { digits in
        lastUtility.withUnsafeMutableBufferPointer { ul in
            decodePrefix(prefixes.lowerBound, into: digits)
            for number in prefixes {
                if number != prefixes.lowerBound { _ = advancePrefix(digits) }
                let view = UnsafeBufferPointer(digits)
                let r = rivals(of: last, in: view)
                var uMax = -Double.infinity
                for l in 0..<k {
                    let u = utility(last, level: l, against: r)
                    ul[l] = u
                    if u > uMax { uMax = u }
                }
                for l in 0..<k where !improves(uMax, on: ul[l], tolerance: tol) {
                    digits[last] = l
                    var equilibrium = true
                    for i in 0..<last where !isBestResponding(i, in: view, tolerance: tol) {
                        equilibrium = false
                        break
                    }
                    if equilibrium {
                        tally.add(digits, welfare: welfare(of: view), exampleLimit: exampleLimit)
                    }
                }
            }
        }}
    }
}
