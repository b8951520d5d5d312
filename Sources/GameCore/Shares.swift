// Market shares, utilities, welfare and the potentials of Eq. 7 (model.md §2).
//
// Bounded rationality is computed shifted by the largest exponent so beta can reach 1e9;
// perfect rationality is exact (ties split the demand equally, V0 included).

import Foundation

/// What one provider faces from everyone else: the other providers and abstention.
///
/// Bounded rationality: `top` is the largest scaled value `beta V` among the others and
/// V0, `mass` is `sum exp(beta V - top)` over them (so `mass >= 1`).
/// Perfect rationality: `top` is the largest value among the others and V0, `mass` is
/// how many of them reach it.
public struct Rivals: Sendable, Equatable {
    public var top: Double
    public var mass: Double
    @inlinable public init(top: Double, mass: Double) {
        self.top = top
        self.mass = mass
    }
}

extension Game {
    /// The rivals of provider `i` when the others play `profile`.
    @inlinable
    public func rivals(of i: Int, in profile: UnsafeBufferPointer<Int>) -> Rivals {
        let k = levelCount
        if isPerfect {
            var top = v0, ties = 1.0
            for j in 0..<providerCount where j != i {
                let v = value[j * k + profile[j]]
                if v > top { top = v; ties = 1 } else if v == top { ties += 1 }
            }
            return Rivals(top: top, mass: ties)
        }
        var top = scaledV0
        for j in 0..<providerCount where j != i {
            top = Swift.max(top, scaledValue[j * k + profile[j]])
        }
        var mass = Foundation.exp(scaledV0 - top)
        for j in 0..<providerCount where j != i {
            mass += Foundation.exp(scaledValue[j * k + profile[j]] - top)
        }
        return Rivals(top: top, mass: mass)
    }

    /// Market share of provider-level `idx` (flat index) against `rivals` (Table 1).
    @inlinable
    public func share(at idx: Int, against rivals: Rivals) -> Double {
        if isPerfect {
            let v = value[idx]
            if v > rivals.top { return 1 }
            if v == rivals.top { return 1 / (rivals.mass + 1) }
            return 0
        }
        let d = scaledValue[idx] - rivals.top
        if d <= 0 {
            let e = Foundation.exp(d)
            return e / (rivals.mass + e)
        }
        return 1 / (1 + rivals.mass * Foundation.exp(-d))
    }

    /// Utility `U_i = s_i * rho_i` (Eq. 4) of provider `i` at level `k` against `rivals`.
    @inlinable
    public func utility(_ i: Int, level k: Int, against rivals: Rivals) -> Double {
        let idx = i * levelCount + k
        return profit[idx] * share(at: idx, against: rivals)
    }

    /// Social welfare `W(theta) = sum_i s_i W_i + s_0 V0` (Eq. 5) without allocating.
    @inlinable
    public func welfare(of profile: UnsafeBufferPointer<Int>) -> Double {
        let k = levelCount
        if isPerfect {
            var top = v0, sum = v0, count = 1.0
            for j in 0..<providerCount {
                let idx = j * k + profile[j]
                let v = value[idx]
                if v > top { top = v; sum = welfareContribution[idx]; count = 1 }
                else if v == top { sum += welfareContribution[idx]; count += 1 }
            }
            return sum / count
        }
        var top = scaledV0
        for j in 0..<providerCount { top = Swift.max(top, scaledValue[j * k + profile[j]]) }
        let e0 = Foundation.exp(scaledV0 - top)
        var num = e0 * v0, den = e0
        for j in 0..<providerCount {
            let idx = j * k + profile[j]
            let e = Foundation.exp(scaledValue[idx] - top)
            num += e * welfareContribution[idx]
            den += e
        }
        return num / den
    }

    /// Social welfare of a profile (Eq. 5).
    public func welfare(of profile: [Int]) -> Double {
        profile.withUnsafeBufferPointer { welfare(of: $0) }
    }

    /// Market shares of every provider and of abstention (last entry) at `profile`.
    public func shares(of profile: [Int]) -> (providers: [Double], abstention: Double) {
        var out = [Double](repeating: 0, count: providerCount)
        let s0 = out.withUnsafeMutableBufferPointer { shares(of: profile, into: $0) }
        return (out, s0)
    }

    /// Writes provider shares into `out` and returns the abstention share.
    @inlinable
    public func shares(of profile: [Int], into out: UnsafeMutableBufferPointer<Double>) -> Double {
        let k = levelCount
        if isPerfect {
            var top = v0, count = 1.0
            for j in 0..<providerCount {
                let v = value[j * k + profile[j]]
                if v > top { top = v; count = 1 } else if v == top { count += 1 }
            }
            for j in 0..<providerCount { out[j] = value[j * k + profile[j]] == top ? 1 / count : 0 }
            return v0 == top ? 1 / count : 0
        }
        var top = scaledV0
        for j in 0..<providerCount { top = Swift.max(top, scaledValue[j * k + profile[j]]) }
        var den = Foundation.exp(scaledV0 - top)
        for j in 0..<providerCount {
            let e = Foundation.exp(scaledValue[j * k + profile[j]] - top)
            out[j] = e
            den += e
        }
        for j in 0..<providerCount { out[j] /= den }
        return Foundation.exp(scaledV0 - top) / den
    }

    /// Utilities `U_i` (Eq. 4) of every provider at `profile`.
    public func utilities(of profile: [Int]) -> [Double] {
        let (s, _) = shares(of: profile)
        return (0..<providerCount).map { s[$0] * profit[index($0, profile[$0])] }
    }

    // MARK: Potentials (Eq. 7)

    /// The constant `C` of the perfect-rationality potential (Appendix B.1).
    ///
    /// The paper's proof needs `C (V_top - V_second) > log rho_max - log rho_min` for every
    /// move that takes the lead. With `delta` the smallest positive gap between any two
    /// values in {V0} and all `V_i(k)`, `C = (log rho_max - log rho_min + 1) / delta` does it.
    /// NaN when a profit is not positive (the potential is undefined).
    public func perfectPotentialConstant() -> Double {
        guard profitsPositive else { return .nan }
        var logs = profit.map { Foundation.log($0) }
        logs.sort()
        var values = value + [v0]
        values.sort()
        var delta = Double.infinity
        for j in 1..<values.count where values[j] > values[j - 1] {
            delta = Swift.min(delta, values[j] - values[j - 1])
        }
        if !delta.isFinite { return 1 }  // every value equal: any C works
        return (logs.last! - logs.first! + 1) / delta
    }

    /// The potential `Phi` of Eq. 7 at `profile`. For perfect rationality pass `constant`
    /// from `perfectPotentialConstant()` (computed once per game). NaN when a profit is
    /// not positive.
    ///
    /// Perfect rationality treats abstention as a pseudo-provider with log-profit
    /// `log rho_min - 1`, so that moves which take the lead from V0 also raise `Phi`:
    /// `Phi = log rho_top + C * V_second` over {V0, V_1..V_N}.
    public func potential(of profile: [Int], constant: Double = .nan) -> Double {
        guard profitsPositive else { return .nan }
        let k = levelCount
        if isPerfect {
            // Leader: highest value, ties to abstention first, then the lower index.
            var leader = -1, top = v0
            for j in 0..<providerCount where value[j * k + profile[j]] > top {
                leader = j; top = value[j * k + profile[j]]
            }
            var second = -Double.infinity
            if leader >= 0 { second = v0 }
            for j in 0..<providerCount where j != leader { second = Swift.max(second, value[j * k + profile[j]]) }
            let logLeader: Double
            if leader >= 0 {
                logLeader = Foundation.log(profit[leader * k + profile[leader]])
            } else {
                logLeader = Foundation.log(profit.min()!) - 1
            }
            if second == -.infinity { return logLeader }  // a lone provider and no rival
            return logLeader + constant * second
        }
        var sumLog = 0.0, sumX = 0.0, top = scaledV0
        for j in 0..<providerCount {
            let idx = j * k + profile[j]
            sumLog += Foundation.log(profit[idx])
            sumX += scaledValue[idx]
            top = Swift.max(top, scaledValue[idx])
        }
        var lse = Foundation.exp(scaledV0 - top)
        for j in 0..<providerCount { lse += Foundation.exp(scaledValue[j * k + profile[j]] - top) }
        return sumLog + sumX - (top + Foundation.log(lse))
    }
}
