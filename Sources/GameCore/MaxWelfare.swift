// Exact maximum social welfare over all K^N profiles without enumerating them (model.md §4).

import Foundation

/// The welfare-maximising profile and its welfare.
public struct WelfareOptimum: Sendable, Equatable {
    public var welfare: Double
    /// One maximising profile (level index per provider).
    public var profile: [Int]
    /// Parametric iterations used (bounded rationality; 0 for perfect rationality).
    public var iterations: Int
}

extension Game {
    /// `max_theta W(theta)`, exact in double precision for both rationalities.
    public func maximumWelfare() -> WelfareOptimum {
        isPerfect ? perfectMaximumWelfare() : boundedMaximumWelfare()
    }

    /// Bounded rationality: `W(theta) = (V0 e^{beta V0} + sum_i e^{beta V_i} W_i) / (e^{beta V0} + sum_i e^{beta V_i})`
    /// is a ratio of sums that separate by provider. With
    /// `F(lambda) = max_theta sum_i e^{beta V_i}(W_i - lambda) + e^{beta V0}(V0 - lambda)`,
    /// `lambda* = max W` is the unique root of the decreasing function F, and the maximiser
    /// of F separates: each provider maximises `e^{beta V_i(k)} (W_i(k) - lambda)` alone.
    ///
    /// Dinkelbach's step (`lambda <- W(argmax)`) converges fast, but at large beta it can
    /// stall: when the best profile needs a different top provider, the step's gain is
    /// suppressed by `e^{-beta (V_top - V_new)}` and rounds to zero. So every step also
    /// decides the sign of `F(lambda)` exactly: each provider's term is kept as a sign and a
    /// log-magnitude (no exponential is formed), positive and negative parts are summed
    /// with log-sum-exp and compared. When a step stalls while `F > 0`, the root is
    /// bracketed by `[lambda, max W_i(k)]` and bisected; each bisection point also yields a
    /// real profile, whose welfare raises the lower bound.
    func boundedMaximumWelfare() -> WelfareOptimum {
        let n = providerCount, k = levelCount
        var best = (0..<n).map { i in
            var b = 0
            for l in 1..<k where welfareContribution[i * k + l] > welfareContribution[i * k + b] { b = l }
            return b
        }
        var bestW = welfare(of: best)
        var low = bestW                                          // F(low) >= 0
        var high = Swift.max(welfareContribution.max()!, v0)     // F(high) <= 0: W is an average
        var lambda = bestW
        var candidate = best
        var iterations = 0
        while iterations < 300 {
            iterations += 1
            let positive = parametricStep(lambda, into: &candidate)
            if !positive {
                // No profile beats lambda.
                if lambda <= low { break }
                high = lambda
            } else {
                low = Swift.max(low, lambda)
                let w = welfare(of: candidate)
                if w > bestW { bestW = w; best = candidate }
                low = Swift.max(low, bestW)
                if w > lambda {          // Dinkelbach progress
                    lambda = w
                    continue
                }
            }
            if high - low <= 2e-15 * Swift.max(Swift.abs(high), Swift.abs(low)) { break }
            lambda = low + (high - low) / 2   // stalled or overshot: bisect
            if lambda <= low || lambda >= high { break }
        }
        return WelfareOptimum(welfare: bestW, profile: best, iterations: iterations)
    }

    /// Maximises `e^{beta V_j(k)} (W_j(k) - lambda)` for every provider j (writing the levels
    /// into `profile`) and returns whether `F(lambda) > 0`, decided in the log domain.
    private func parametricStep(_ lambda: Double, into profile: inout [Int]) -> Bool {
        let n = providerCount, k = levelCount
        // log-sum-exp accumulators of the positive and negative terms of F(lambda).
        var posTop = -Double.infinity, posSum = 0.0
        var negTop = -Double.infinity, negSum = 0.0
        func accumulate(_ sign: Int, _ logMagnitude: Double) {
            if sign > 0 {
                if logMagnitude > posTop { posSum = posSum * Foundation.exp(posTop - logMagnitude) + 1; posTop = logMagnitude }
                else { posSum += Foundation.exp(logMagnitude - posTop) }
            } else if sign < 0 {
                if logMagnitude > negTop { negSum = negSum * Foundation.exp(negTop - logMagnitude) + 1; negTop = logMagnitude }
                else { negSum += Foundation.exp(logMagnitude - negTop) }
            }
        }
        welfareContribution.withUnsafeBufferPointer { w in
            scaledValue.withUnsafeBufferPointer { x in
                for j in 0..<n {
                    // Order: positive terms by larger log-magnitude, then zero, then negative
                    // terms by smaller log-magnitude.
                    var bestSign = -2, bestLog = 0.0, bestLevel = 0
                    for l in 0..<k {
                        let idx = j * k + l
                        let diff = w[idx] - lambda
                        let sign = diff > 0 ? 1 : (diff < 0 ? -1 : 0)
                        let logMagnitude = sign == 0 ? 0 : x[idx] + Foundation.log(Swift.abs(diff))
                        let better: Bool
                        if sign != bestSign { better = sign > bestSign }
                        else if sign > 0 { better = logMagnitude > bestLog }
                        else if sign < 0 { better = logMagnitude < bestLog }
                        else { better = false }
                        if better { bestSign = sign; bestLog = logMagnitude; bestLevel = l }
                    }
                    profile[j] = bestLevel
                    accumulate(bestSign, bestLog)
                }
            }
        }
        let d0 = v0 - lambda
        if d0 != 0 { accumulate(d0 > 0 ? 1 : -1, scaledV0 + Foundation.log(Swift.abs(d0))) }
        if posTop == -.infinity { return false }
        if negTop == -.infinity { return true }
        // F > 0 iff log(positive part) exceeds log(negative part). The margin is the
        // rounding noise of the comparison: each side carries the ulps of its top
        // log-magnitude (beta * V can be large) plus one rounding per summed term. Without
        // it, noise at the root reads as progress and costs ~50 useless bisections.
        let noise = 4 * Double.ulpOfOne * (Swift.abs(posTop) + Swift.abs(negTop) + Double(2 * (n + 1)))
        return (posTop + Foundation.log(posSum)) - (negTop + Foundation.log(negSum)) > noise
    }

    /// Perfect rationality: the demand goes to the top value among {V0, V_1..V_N}, split
    /// equally on ties, so `W` is the average of the `W_i` (and V0) of the tied top.
    ///
    /// Let `L = max_j min_k V_j(k)`: no top value below `max(L, V0)` is reachable. Any
    /// provider-level with `V_i(k) > max(L, V0)` can win alone (everyone else can go below it),
    /// giving `W_i(k)`; ties at such a value can only average it down. At the floor
    /// `T = max(L, V0)` some members are forced into the tie (V0 if `T = V0`, providers whose
    /// lowest value is `T`); optional members join while they raise the average.
    func perfectMaximumWelfare() -> WelfareOptimum {
        let n = providerCount, k = levelCount
        var minLevel = [Int](repeating: 0, count: n)
        var lowest = -Double.infinity
        for j in 0..<n {
            var m = 0
            for l in 1..<k where value[j * k + l] < value[j * k + m] { m = l }
            minLevel[j] = m
            lowest = Swift.max(lowest, value[j * k + m])
        }
        let floor = Swift.max(lowest, v0)
        var best = -Double.infinity
        var profile = minLevel
        for i in 0..<n {
            for l in 0..<k where value[i * k + l] > floor && welfareContribution[i * k + l] > best {
                best = welfareContribution[i * k + l]
                profile = minLevel
                profile[i] = l
            }
        }
        // The floor itself as the top value.
        var sum = 0.0, count = 0.0
        if v0 == floor { sum = v0; count = 1 }
        var atFloor = minLevel
        var optional: [(w: Double, provider: Int, level: Int)] = []
        for j in 0..<n {
            var bestLevel = -1
            for l in 0..<k where value[j * k + l] == floor {
                if bestLevel < 0 || welfareContribution[j * k + l] > welfareContribution[j * k + bestLevel] { bestLevel = l }
            }
            guard bestLevel >= 0 else { continue }
            if value[j * k + minLevel[j]] == floor {   // cannot go below the floor: forced into the tie
                sum += welfareContribution[j * k + bestLevel]; count += 1
                atFloor[j] = bestLevel
            } else {
                optional.append((welfareContribution[j * k + bestLevel], j, bestLevel))
            }
        }
        optional.sort { $0.w > $1.w || ($0.w == $1.w && $0.provider < $1.provider) }
        for o in optional where count == 0 || o.w > sum / count {
            sum += o.w; count += 1
            atFloor[o.provider] = o.level
        }
        if count > 0, sum / count > best {
            best = sum / count
            profile = atFloor
        }
        return WelfareOptimum(welfare: best, profile: profile, iterations: 0)
    }
}
