// A small, fully specified random number generator, so that seeded dynamics give the
// same numbers on every platform and Swift version (the standard library's
// `SystemRandomNumberGenerator` is not seedable and its range algorithms may change).

/// xoshiro256** seeded through SplitMix64 (Blackman and Vigna, 2018).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
    }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SeededGenerator.rotl(s3, 45)
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection).
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Fisher-Yates shuffle of `buffer` in place.
    public mutating func shuffle(_ buffer: UnsafeMutableBufferPointer<Int>) {
        var i = buffer.count - 1
        while i > 0 {
            let j = uniform(below: i + 1)
            buffer.swapAt(i, j)
            i -= 1
        }
    }

    /// A seed for game `index` of a sweep seeded with `seed`: the two are mixed so that
    /// neighbouring grid points get unrelated streams.
    public static func derive(seed: UInt64, index: UInt64) -> UInt64 {
        var g = SeededGenerator(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03))
        return g.next()
    }
}
