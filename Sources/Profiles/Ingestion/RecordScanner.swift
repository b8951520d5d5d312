// A strict, byte-level JSON scanner for one raw-run record (model.md §8):
//
//   {"qid": "q1" | 17, "explanations": ["...", ...], "correct": [true, ...],
//    "rewards": [0.91, null, ...], "num_tokens": [312, ...] | [[120, 312], ...], ...}
//
// It works on the bytes of one line and builds no Strings for the texts: explanation
// strings are validated (escapes, control bytes) and, for majority vote, searched for the
// last `\boxed{` in one pass. Other keys are allowed and skipped (any valid JSON value).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why one line was skipped (the first one per file is shown to the user).
struct LineProblem: Error {
    var text: String
    static func syntax(_ what: String, at offset: Int) -> LineProblem {
        LineProblem(text: "not JSON: \(what) at byte \(offset + 1)")
    }
    static func field(_ name: String, _ expected: String) -> LineProblem {
        LineProblem(text: "field '\(name)': expected \(expected)")
    }
}

/// The fields a record must have, from the method ingested.
struct RecordNeeds {
    var answers: AnswerFormat?      // majority: explanations are parsed for answers
    var rewards: Bool               // best-of-n
    var thinking: Bool              // chain-of-thought: num_tokens must be [thinking, total]
}

/// Parses records one line at a time into reusable per-record buffers.
struct RecordScanner {
    let needs: RecordNeeds

    // The record just parsed.
    private(set) var qidStart = 0, qidEnd = 0
    private(set) var correct: [Bool] = []
    private(set) var rewards: [Double] = []
    private(set) var tokens: [Int32] = []
    private(set) var thinking: [Int32] = []
    private(set) var answers: [Int32] = []
    private(set) var distinctAnswers: Int32 = 0
    private var explanationCount = 0
    private var seen: UInt8 = 0   // bit per known key

    private var extractor: AnswerExtractor?
    private var interner = AnswerInterner()

    // The line.
    private var p: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var n = 0
    private var i = 0

    init(needs: RecordNeeds) {
        self.needs = needs
        if let f = needs.answers { extractor = AnswerExtractor(format: f) }
    }

    private static let qidBit: UInt8 = 1, explanationsBit: UInt8 = 2, correctBit: UInt8 = 4,
                       rewardsBit: UInt8 = 8, tokensBit: UInt8 = 16

    /// Parses one line. On success the record's arrays hold one entry per sample and all
    /// have the same length (>= 1); `qid` is line[qidStart..<qidEnd] (raw JSON bytes).
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>) throws(LineProblem) {
        p = line.baseAddress ?? UnsafePointer(bitPattern: 1)!
        n = line.count
        i = 0
        seen = 0
        correct.removeAll(keepingCapacity: true)
        rewards.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        thinking.removeAll(keepingCapacity: true)
        answers.removeAll(keepingCapacity: true)
        explanationCount = 0
        interner.reset()

        skipSpace()
        try expect(0x7B, "'{'")
        skipSpace()
        if peek == 0x7D {
            i += 1
        } else {
            while true {
                guard peek == 0x22 else { throw .syntax("expected a key", at: i) }
                let key = try scanString(trackBoxed: false)
                skipSpace()
                try expect(0x3A, "':'")
                skipSpace()
                try value(forKey: key.start, key.end)
                skipSpace()
                if peek == 0x2C { i += 1; skipSpace(); continue }
                try expect(0x7D, "',' or '}'")
                break
            }
        }
        skipSpace()
        guard i == n else { throw .syntax("unexpected bytes after the object", at: i) }
        try checkRecord()
    }

    // MARK: record shape

    private mutating func checkRecord() throws(LineProblem) {
        func missing(_ name: String) -> LineProblem { LineProblem(text: "field '\(name)': missing") }
        guard seen & Self.qidBit != 0 else { throw missing("qid") }
        guard seen & Self.correctBit != 0 else { throw missing("correct") }
        guard seen & Self.tokensBit != 0 else { throw missing("num_tokens") }
        if needs.answers != nil, seen & Self.explanationsBit == 0 { throw missing("explanations") }
        if needs.rewards, seen & Self.rewardsBit == 0 { throw missing("rewards") }
        let count = correct.count
        guard count >= 1 else { throw .field("correct", "at least one sample") }
        func same(_ name: String, _ c: Int, _ bit: UInt8) throws(LineProblem) {
            if seen & bit != 0, c != count {
                throw .field(name, "\(count) entries like 'correct', got \(c)")
            }
        }
        try same("explanations", explanationCount, Self.explanationsBit)
        try same("rewards", rewards.count, Self.rewardsBit)
        try same("num_tokens", tokens.count, Self.tokensBit)
    }

    private mutating func value(forKey start: Int, _ end: Int) throws(LineProblem) {
        let bit: UInt8
        switch end - start {
        case 3 where keyIs(start, "qid"): bit = Self.qidBit
        case 12 where keyIs(start, "explanations"): bit = Self.explanationsBit
        case 7 where keyIs(start, "correct"): bit = Self.correctBit
        case 7 where keyIs(start, "rewards"): bit = Self.rewardsBit
        case 10 where keyIs(start, "num_tokens"): bit = Self.tokensBit
        default:
            try skipValue(depth: 0)
            return
        }
        guard seen & bit == 0 else {
            throw LineProblem(text: "field '\(String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self))': appears twice")
        }
        seen |= bit
        switch bit {
        case Self.qidBit: try qid()
        case Self.explanationsBit: try explanations()
        case Self.correctBit: try correctArray()
        case Self.rewardsBit: try rewardArray()
        default: try tokenArray()
        }
    }

    @inline(__always)
    private func keyIs(_ start: Int, _ key: StaticString) -> Bool {
        memcmp(p + start, key.utf8Start, key.utf8CodeUnitCount) == 0
    }

    private mutating func qid() throws(LineProblem) {
        if peek == 0x22 {
            let s = try scanString(trackBoxed: false)
            guard s.end > s.start else { throw .field("qid", "a non-empty string or an integer") }
            qidStart = s.start; qidEnd = s.end
        } else {
            let start = i
            guard let num = try number(), num.1, p[start] != 0x2D else {
                throw .field("qid", "a string or an integer >= 0")
            }
            qidStart = start; qidEnd = i
        }
    }

    private mutating func explanations() throws(LineProblem) {
        try array("explanations", "an array of strings") { (s: inout RecordScanner) throws(LineProblem) in
            guard s.peek == 0x22 else { throw .field("explanations", "an array of strings") }
            let track = s.extractor != nil
            let str = try s.scanString(trackBoxed: track)
            s.explanationCount += 1
            if track {
                if s.extractor!.extract(s.p, start: str.start, end: str.end, lastBoxed: str.lastBoxed) {
                    let answer = s.extractor!.answer
                    s.answers.append(s.interner.id(of: answer))
                } else {
                    s.answers.append(-1)
                }
            }
        }
        distinctAnswers = Int32(interner.count)
    }

    private mutating func correctArray() throws(LineProblem) {
        try array("correct", "an array of true/false") { (s: inout RecordScanner) throws(LineProblem) in
            if s.literal("true") { s.correct.append(true) } else if s.literal("false") { s.correct.append(false) } else {
                throw .field("correct", "an array of true/false")
            }
        }
    }

    private mutating func rewardArray() throws(LineProblem) {
        try array("rewards", "an array of numbers or null") { (s: inout RecordScanner) throws(LineProblem) in
            if s.literal("null") {
                s.rewards.append(-.infinity)
            } else {
                guard s.isNumberStart, let num = try s.number(parse: true) else {
                    throw .field("rewards", "an array of numbers or null")
                }
                s.rewards.append(num.0)
            }
        }
    }

    private mutating func tokenArray() throws(LineProblem) {
        let expected = needs.thinking ? "an array of [thinking, total] pairs of integers >= 0"
                                      : "an array of integers >= 0 or [thinking, total] pairs"
        try array("num_tokens", expected) { (s: inout RecordScanner) throws(LineProblem) in
            if s.peek == 0x5B {
                s.i += 1
                s.skipSpace()
                let a = try s.count(expected)
                s.skipSpace()
                try s.expectField(0x2C, "num_tokens", expected)
                s.skipSpace()
                let b = try s.count(expected)
                s.skipSpace()
                try s.expectField(0x5D, "num_tokens", expected)
                s.thinking.append(a)
                s.tokens.append(b)
            } else {
                guard !s.needs.thinking else { throw .field("num_tokens", expected) }
                s.tokens.append(try s.count(expected))
            }
        }
    }

    /// An integer >= 0 that fits in Int32 (written as an integer, or as a number with an
    /// integral value like 312.0).
    private mutating func count(_ expected: String) throws(LineProblem) -> Int32 {
        guard isNumberStart, p[i] != 0x2D else { throw .field("num_tokens", expected) }
        let start = i
        var v: Int64 = 0
        while i < n, p[i] >= 0x30, p[i] <= 0x39, v < Int64(Int32.max) {
            v = v * 10 + Int64(p[i] - 0x30)
            i += 1
        }
        if i < n, p[i] == 0x2E || p[i] == 0x65 || p[i] == 0x45 || (p[i] >= 0x30 && p[i] <= 0x39) {
            i = start
            guard let num = try number(parse: true), num.0 >= 0, num.0 <= Double(Int32.max), num.0.rounded() == num.0 else {
                throw .field("num_tokens", expected)
            }
            return Int32(num.0)
        }
        if p[start] == 0x30, i - start > 1 { throw .syntax("a number with a leading zero", at: start) }
        guard v <= Int64(Int32.max) else { throw .field("num_tokens", expected) }
        return Int32(v)
    }

    /// `[ elem (, elem)* ]` or `[]`, with `element` parsing one element at `i`.
    @inline(__always)
    private mutating func array(_ field: String, _ expected: String,
                                _ element: (inout RecordScanner) throws(LineProblem) -> Void) throws(LineProblem) {
        guard peek == 0x5B else { throw .field(field, expected) }
        i += 1
        skipSpace()
        if peek == 0x5D { i += 1; return }
        while true {
            try element(&self)
            skipSpace()
            if peek == 0x2C { i += 1; skipSpace(); continue }
            try expect(0x5D, "',' or ']'")
            return
        }
    }

    // MARK: JSON lexing

    @inline(__always)
    private var peek: UInt8 { i < n ? p[i] : 0 }

    @inline(__always)
    private mutating func skipSpace() {
        while i < n {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    @inline(__always)
    private mutating func expect(_ c: UInt8, _ what: String) throws(LineProblem) {
        guard i < n, p[i] == c else { throw .syntax("expected \(what)", at: i) }
        i += 1
    }

    @inline(__always)
    private mutating func expectField(_ c: UInt8, _ field: String, _ expected: String) throws(LineProblem) {
        guard i < n, p[i] == c else { throw .field(field, expected) }
        i += 1
    }

    @inline(__always)
    private mutating func literal(_ word: StaticString) -> Bool {
        let m = word.utf8CodeUnitCount
        guard i + m <= n, memcmp(p + i, word.utf8Start, m) == 0 else { return false }
        i += m
        return true
    }

    private var isNumberStart: Bool {
        let c = peek
        return c == 0x2D || (c >= 0x30 && c <= 0x39)
    }

    /// Scans a string starting at its opening quote. Returns the raw body range (escapes
    /// not decoded) and, with `trackBoxed`, where the content of the last `\boxed{` starts.
    @inline(__always)
    private mutating func scanString(trackBoxed: Bool) throws(LineProblem) -> (start: Int, end: Int, lastBoxed: Int) {
        i += 1
        let start = i
        var lastBoxed = -1
        while true {
            // The common bytes, fast.
            while i < n {
                let c = p[i]
                if c == 0x22 || c == 0x5C || c < 0x20 { break }
                i += 1
            }
            guard i < n else { throw .syntax("unterminated string", at: start - 1) }
            let c = p[i]
            if c == 0x22 {
                let end = i
                i += 1
                return (start, end, lastBoxed)
            }
            if c < 0x20 { throw .syntax("control byte inside a string", at: i) }
            // An escape.
            guard i + 1 < n else { throw .syntax("unterminated string", at: start - 1) }
            switch p[i + 1] {
            case 0x22, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                i += 2
            case 0x5C:
                if trackBoxed, AnswerExtractor.hasBoxedOpen(p, i + 2, n) { lastBoxed = i + 8 }
                i += 2
            case 0x75:
                guard i + 6 <= n, isHex(p[i + 2]), isHex(p[i + 3]), isHex(p[i + 4]), isHex(p[i + 5]) else {
                    throw .syntax("bad \\u escape", at: i)
                }
                if trackBoxed, p[i + 2] == 0x30, p[i + 3] == 0x30, p[i + 4] == 0x35, p[i + 5] | 0x20 == 0x63,
                   AnswerExtractor.hasBoxedOpen(p, i + 6, n) {
                    lastBoxed = i + 12
                }
                i += 6
            default:
                throw .syntax("bad escape", at: i)
            }
        }
    }

    @inline(__always)
    private func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    /// Scans a JSON number at `i`; nil if there is none. With `parse`, also its value.
    /// Returns (value, isIntegerLiteral).
    private mutating func number(parse: Bool = false) throws(LineProblem) -> (Double, Bool)? {
        let start = i
        if peek == 0x2D { i += 1 }
        guard i < n, p[i] >= 0x30, p[i] <= 0x39 else { i = start; return nil }
        if p[i] == 0x30 {
            i += 1
            if i < n, p[i] >= 0x30, p[i] <= 0x39 { throw .syntax("a number with a leading zero", at: start) }
        } else {
            while i < n, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
        }
        var integral = true
        if i < n, p[i] == 0x2E {
            integral = false
            i += 1
            let d = i
            while i < n, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
            guard i > d else { throw .syntax("digits after '.'", at: i) }
        }
        if i < n, p[i] == 0x65 || p[i] == 0x45 {
            integral = false
            i += 1
            if i < n, p[i] == 0x2B || p[i] == 0x2D { i += 1 }
            let d = i
            while i < n, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
            guard i > d else { throw .syntax("digits in the exponent", at: i) }
        }
        guard parse else { return (0, integral) }
        let length = i - start
        // strtod needs a terminated copy; numbers are short.
        var x: Double = 0
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buf in
            for k in 0..<length { buf[k] = CChar(bitPattern: p[start + k]) }
            buf[length] = 0
            x = strtod(buf.baseAddress!, nil)
        }
        guard x.isFinite else { throw LineProblem(text: "number out of range at byte \(start + 1)") }
        return (x, integral)
    }

    /// Skips any JSON value (validating it). Nesting deeper than 64 is refused.
    private mutating func skipValue(depth: Int) throws(LineProblem) {
        guard depth < 64 else { throw .syntax("nesting deeper than 64", at: i) }
        switch peek {
        case 0x22: _ = try scanString(trackBoxed: false)
        case 0x7B:
            i += 1
            skipSpace()
            if peek == 0x7D { i += 1; return }
            while true {
                guard peek == 0x22 else { throw .syntax("expected a key", at: i) }
                _ = try scanString(trackBoxed: false)
                skipSpace()
                try expect(0x3A, "':'")
                skipSpace()
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == 0x2C { i += 1; skipSpace(); continue }
                try expect(0x7D, "',' or '}'")
                return
            }
        case 0x5B:
            i += 1
            skipSpace()
            if peek == 0x5D { i += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == 0x2C { i += 1; skipSpace(); continue }
                try expect(0x5D, "',' or ']'")
                return
            }
        default:
            if literal("true") || literal("false") || literal("null") { return }
            guard try number() != nil else { throw .syntax("expected a value", at: i) }
        }
    }
}

/// Small per-record table of distinct answers: answer bytes -> 0, 1, 2, ...
/// (a linear scan over a byte arena; a record holds at most a few hundred samples).
struct AnswerInterner {
    private var arena: [UInt8] = []
    private var bounds: [Int] = [0]
    var count: Int { bounds.count - 1 }

    mutating func reset() {
        arena.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
    }

    mutating func id(of answer: [UInt8]) -> Int32 {
        let found = answer.withUnsafeBufferPointer { a -> Int32 in
            arena.withUnsafeBufferPointer { ar -> Int32 in
                for k in 0..<(bounds.count - 1) {
                    let s = bounds[k], e = bounds[k + 1]
                    if e - s == a.count, a.count == 0 || memcmp(ar.baseAddress! + s, a.baseAddress!, a.count) == 0 {
                        return Int32(k)
                    }
                }
                return -1
            }
        }
        if found >= 0 { return found }
        arena.append(contentsOf: answer)
        bounds.append(arena.count)
        return Int32(bounds.count - 2)
    }
}
