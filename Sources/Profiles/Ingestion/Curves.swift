// From per-question samples to one provider curve (model.md §8, docs/ingestion.md):
// majority vote and best-of-n at theta samples, and chain-of-thought effort bins.
// Everything random is drawn from GameCore's SeededGenerator, seeded per model and level,
// so the numbers do not depend on the order of files or levels.

import GameCore

/// How test-time compute is spent (the `method` column).
public enum IngestMethod: String, Sendable, CaseIterable {
    case majority
    case bestOfN = "best-of-n"
    case chainOfThought = "chain-of-thought"
}

/// One level of one model's curve, with 95% intervals.
public struct LevelEstimate: Sendable, Equatable {
    /// theta (samples per query) for majority and best-of-n; the effort bin 1...5 for
    /// chain-of-thought.
    public var level: Int
    public var accuracy: Double
    public var accuracyLow: Double
    public var accuracyHigh: Double
    /// Mean tokens per query at this level.
    public var tokens: Double
    public var tokensLow: Double
    public var tokensHigh: Double
    /// Questions the estimate is over.
    public var questions: Int
    /// Samples behind the estimate: questions x theta, or the samples of the effort bin.
    public var samples: Int
}

/// The estimators. All take a `RunTable` read for the same method.
public enum Curves {
    /// The normal quantile of a two-sided 95% interval.
    public static let z95 = 1.959963984540054
    /// Chain-of-thought effort levels: quantile bins of the thinking tokens per question.
    public static let effortBins = 5
    /// Chain-of-thought keeps samples with more thinking tokens than this.
    public static let minimumThinkingTokens = 5

    /// The default levels: 1, then the powers of two from 4 up to `samples`
    /// (with 64 samples: 1, 4, 8, 16, 32, 64, the published levels).
    public static func defaultLevels(samples: Int) -> [Int] {
        var levels = [1]
        var theta = 4
        while theta <= samples {
            levels.append(theta)
            theta *= 2
        }
        return levels
    }

    /// The seed of one random stream: the user's seed, the model and a tag (theta, or a
    /// constant for the bootstrap).
    public static func streamSeed(_ seed: UInt64, model: String, tag: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325            // FNV-1a
        for b in model.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return SeededGenerator.derive(seed: seed, index: h ^ (tag &* 0x9E37_79B9_7F4A_7C15))
    }

    /// Majority vote at each theta: per question, `repeats` draws of theta samples without
    /// replacement; the most frequent readable answer wins (a tie goes to the answer drawn
    /// first, i.e. uniformly at random among the tied ones); the draw is correct when the
    /// first drawn sample carrying that answer is. No readable answer: wrong.
    ///
    /// Every question must have at least `levels.max()` samples.
    public static func majority(_ table: RunTable, levels: [Int], repeats: Int, seed: UInt64) -> [LevelEstimate] {
        precondition(table.answers.count == table.sampleCount, "the table was not read for majority vote")
        let maxAnswers = Int(table.distinctAnswers.max() ?? 0)
        var counts = [Int32](repeating: 0, count: max(maxAnswers, 1))
        return table.answers.withUnsafeBufferPointer { answers in
            table.correct.withUnsafeBufferPointer { correct in
                counts.withUnsafeMutableBufferPointer { counts in
                    levels.map { theta in
                        let acc = drawnAccuracy(table, theta: theta, repeats: repeats,
                                                seed: streamSeed(seed, model: table.name.model, tag: UInt64(theta))) { base, drawn in
                            for k in 0..<theta {
                                let a = answers[base + Int(drawn[k])]
                                if a >= 0 { counts[Int(a)] &+= 1 }
                            }
                            var best = -1
                            var bestCount: Int32 = 0
                            for k in 0..<theta {
                                let a = answers[base + Int(drawn[k])]
                                if a >= 0, counts[Int(a)] > bestCount {
                                    bestCount = counts[Int(a)]
                                    best = k
                                }
                            }
                            for k in 0..<theta {
                                let a = answers[base + Int(drawn[k])]
                                if a >= 0 { counts[Int(a)] = 0 }
                            }
                            return best >= 0 && correct[base + Int(drawn[best])]
                        }
                        return estimate(table, theta: theta, accuracy: acc)
                    }
                }
            }
        }
    }

    /// Best-of-n at each theta: per question, `repeats` draws of theta samples without
    /// replacement; the drawn sample with the highest reward is the answer (null rewards
    /// are -infinity; a tie goes to the sample drawn first, i.e. uniformly at random among
    /// the tied ones, so a draw of only null rewards picks a random sample).
    public static func bestOfN(_ table: RunTable, levels: [Int], repeats: Int, seed: UInt64) -> [LevelEstimate] {
        precondition(table.rewards.count == table.sampleCount, "the table was not read for best-of-n")
        return table.rewards.withUnsafeBufferPointer { rewards in
            table.correct.withUnsafeBufferPointer { correct in
                levels.map { theta in
                    let acc = drawnAccuracy(table, theta: theta, repeats: repeats,
                                            seed: streamSeed(seed, model: table.name.model, tag: UInt64(theta))) { base, drawn in
                        var best = base + Int(drawn[0])
                        var bestReward = rewards[best]
                        for k in 1..<theta {
                            let s = base + Int(drawn[k])
                            if rewards[s] > bestReward {
                                bestReward = rewards[s]
                                best = s
                            }
                        }
                        return correct[best]
                    }
                    return estimate(table, theta: theta, accuracy: acc)
                }
            }
        }
    }

    /// Per question, the fraction of `repeats` random theta-subsets that `judge` calls
    /// correct. `judge(base, drawn)` sees the drawn sample indices (relative to `base`, the
    /// question's first sample) in the order they were drawn.
    private static func drawnAccuracy(_ table: RunTable, theta: Int, repeats: Int, seed: UInt64,
                                      _ judge: (Int, UnsafeMutableBufferPointer<Int32>) -> Bool) -> [Double] {
        var g = SeededGenerator(seed: seed)
        var maxSamples = 1
        for q in 0..<table.questionCount { maxSamples = max(maxSamples, table.samples(of: q).count) }
        var perm = [Int32](repeating: 0, count: maxSamples)
        var accuracy = [Double](repeating: 0, count: table.questionCount)
        perm.withUnsafeMutableBufferPointer { perm in
            for q in 0..<table.questionCount {
                let range = table.samples(of: q)
                let n = range.count
                precondition(n >= theta, "question \(q) has \(n) samples, fewer than theta = \(theta)")
                for k in 0..<n { perm[k] = Int32(k) }
                var wins = 0
                for _ in 0..<repeats {
                    // Partial Fisher-Yates: perm[0..<theta] becomes a uniform random
                    // theta-subset in random order (from any starting arrangement).
                    for k in 0..<theta {
                        let j = k + g.uniform(below: n - k)
                        perm.swapAt(k, j)
                    }
                    if judge(range.lowerBound, perm) { wins += 1 }
                }
                accuracy[q] = Double(wins) / Double(repeats)
            }
        }
        return accuracy
    }

    /// Mean and 95% normal interval over questions, for accuracy (per-question values given)
    /// and tokens (exactly theta times the question's mean tokens: the expectation of the
    /// total tokens of theta samples drawn without replacement).
    private static func estimate(_ table: RunTable, theta: Int, accuracy: [Double]) -> LevelEstimate {
        var meanTokens = [Double](repeating: 0, count: table.questionCount)
        for q in 0..<table.questionCount {
            let r = table.samples(of: q)
            var sum = 0.0
            for s in r { sum += Double(table.tokens[s]) }
            meanTokens[q] = Double(theta) * sum / Double(r.count)
        }
        let (a, aHalf) = meanAndHalfWidth(accuracy)
        let (t, tHalf) = meanAndHalfWidth(meanTokens)
        return LevelEstimate(level: theta, accuracy: a, accuracyLow: max(0, a - aHalf), accuracyHigh: min(1, a + aHalf),
                             tokens: t, tokensLow: max(0, t - tHalf), tokensHigh: t + tHalf,
                             questions: table.questionCount, samples: table.questionCount * theta)
    }

    /// The mean and the half-width z95 * s / sqrt(n) (0 for fewer than two values).
    static func meanAndHalfWidth(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 0) }
        let n = Double(values.count)
        var sum = 0.0
        for v in values { sum += v }
        let mean = sum / n
        guard values.count > 1 else { return (mean, 0) }
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        return (mean, z95 * (ss / (n - 1)).squareRoot() / n.squareRoot())
    }

    /// The result of chain-of-thought binning.
    public struct EffortCurve: Sendable, Equatable {
        /// One estimate per effort bin (levels 1...5); empty when no question is usable.
        public var levels: [LevelEstimate]
        /// Samples dropped by the filter 5 < thinking and total < the generation limit.
        public var samplesFiltered: Int
        /// Questions left out because fewer than 5 samples passed the filter.
        public var questionsLeftOut: Int
    }

    /// Chain-of-thought effort levels. Keep samples with 5 < thinking tokens and total <
    /// the generation limit M of the file name. Per question, sort the kept samples by
    /// thinking tokens (ties by position in the file) and cut them into 5 bins of equal
    /// size up to one (rank r of m goes to bin floor(5 r / m)); a question with fewer than
    /// 5 kept samples is left out. Level k pools bin k of every question: accuracy = mean
    /// correct, tokens = mean total tokens, with 95% percentile intervals from
    /// `bootstrap` resamples of the questions (cluster bootstrap, seeded).
    public static func chainOfThought(_ table: RunTable, bootstrap: Int, seed: UInt64) -> EffortCurve {
        precondition(table.thinking.count == table.sampleCount, "the table was not read for chain-of-thought")
        let bins = effortBins
        let limit = Int32(clamping: table.name.maxTokens)
        var filtered = 0, leftOut = 0
        // Per used question and bin: sample count, correct count, token sum.
        var count: [Int] = [], right: [Int] = [], tokenSum: [Double] = []
        var kept: [Int] = []
        for q in 0..<table.questionCount {
            kept.removeAll(keepingCapacity: true)
            for s in table.samples(of: q) {
                if table.thinking[s] > Int32(minimumThinkingTokens) && table.tokens[s] < limit { kept.append(s) } else { filtered += 1 }
            }
            let m = kept.count
            guard m >= bins else { leftOut += 1; continue }
            kept.sort { (table.thinking[$0], $0) < (table.thinking[$1], $1) }
            let at = count.count
            count += repeatElement(0, count: bins)
            right += repeatElement(0, count: bins)
            tokenSum += repeatElement(0, count: bins)
            for (r, s) in kept.enumerated() {
                let b = at + r * bins / m
                count[b] += 1
                if table.correct[s] { right[b] += 1 }
                tokenSum[b] += Double(table.tokens[s])
            }
        }
        let used = count.count / bins
        guard used > 0 else { return EffortCurve(levels: [], samplesFiltered: filtered, questionsLeftOut: leftOut) }

        // Bootstrap over questions: the same resample for every bin.
        var g = SeededGenerator(seed: streamSeed(seed, model: table.name.model, tag: 0xC07_B007))
        var bootAcc = [[Double]](repeating: [], count: bins), bootTok = [[Double]](repeating: [], count: bins)
        var c = [Int](repeating: 0, count: bins), w = [Int](repeating: 0, count: bins), t = [Double](repeating: 0, count: bins)
        for _ in 0..<max(bootstrap, 0) {
            for b in 0..<bins { c[b] = 0; w[b] = 0; t[b] = 0 }
            for _ in 0..<used {
                let q = g.uniform(below: used) * bins
                for b in 0..<bins {
                    c[b] += count[q + b]; w[b] += right[q + b]; t[b] += tokenSum[q + b]
                }
            }
            for b in 0..<bins {
                bootAcc[b].append(Double(w[b]) / Double(c[b]))
                bootTok[b].append(t[b] / Double(c[b]))
            }
        }
        var levels: [LevelEstimate] = []
        for b in 0..<bins {
            var n = 0, k = 0, tok = 0.0
            for q in 0..<used {
                n += count[q * bins + b]; k += right[q * bins + b]; tok += tokenSum[q * bins + b]
            }
            let a = Double(k) / Double(n), tm = tok / Double(n)
            let (aLo, aHi) = bootstrap > 0 ? percentileInterval(&bootAcc[b]) : (a, a)
            let (tLo, tHi) = bootstrap > 0 ? percentileInterval(&bootTok[b]) : (tm, tm)
            levels.append(LevelEstimate(level: b + 1, accuracy: a, accuracyLow: aLo, accuracyHigh: aHi,
                                        tokens: tm, tokensLow: tLo, tokensHigh: tHi, questions: used, samples: n))
        }
        return EffortCurve(levels: levels, samplesFiltered: filtered, questionsLeftOut: leftOut)
    }

    /// The 2.5% and 97.5% percentiles (linear interpolation between order statistics).
    static func percentileInterval(_ values: inout [Double]) -> (Double, Double) {
        values.sort()
        func q(_ p: Double) -> Double {
            let h = Double(values.count - 1) * p
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, values.count - 1)
            return values[lo] + (h - Double(lo)) * (values[hi] - values[lo])
        }
        return (q(0.025), q(0.975))
    }
}
