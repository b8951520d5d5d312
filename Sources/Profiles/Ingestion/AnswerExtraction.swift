// Answer extraction for majority vote (docs/ingestion.md, "Answers"), on the raw bytes
// of a JSON string: no Swift String is built for the explanation texts.
//
// In JSON text the backslash of `\boxed{42}` is itself escaped, so the scanner looks for
// the escape `\\` (or `\u005c`) followed by the literal bytes `boxed{`, and remembers where
// the last one's content starts. Only that content is decoded, into a small buffer.

/// How the answer of a sample is read from its explanation.
public enum AnswerFormat: String, Sendable, CaseIterable {
    /// The content of the last `\boxed{...}`, normalised as a number when it is one
    /// (math datasets: gsm8k, aime).
    case boxedNumber = "boxed-number"
    /// The chosen option letter A-J (multiple choice: gpqa).
    case optionLetter = "option-letter"

    /// The extraction a dataset uses: `gpqa` is multiple choice, `gsm8k` and `aime` are
    /// boxed numbers; nil for a dataset ttcg does not know (give the format explicitly).
    public static func forDataset(_ dataset: String) -> AnswerFormat? {
        switch dataset.lowercased() {
        case "gpqa", "gpqa-diamond", "gpqa_diamond": return .optionLetter
        case "gsm8k", "aime", "aime24", "aime25", "aime2024", "aime2025", "math", "math500": return .boxedNumber
        default: return nil
        }
    }

    /// The answer of one explanation, normalised, or nil when none can be read (such an
    /// answer never wins a vote). `text` is the explanation as plain (already decoded) UTF-8.
    ///
    /// This is the same extraction ingestion applies to the JSON bytes, for tests and tools.
    public func answer(in text: String) -> String? {
        var json: [UInt8] = []
        json.reserveCapacity(text.utf8.count + 16)
        // Encode as a JSON string body (escape backslash, quote and control bytes).
        for b in text.utf8 {
            switch b {
            case 0x5C: json += [0x5C, 0x5C]
            case 0x22: json += [0x5C, 0x22]
            case 0x0A: json += [0x5C, 0x6E]
            case ..<0x20: json += Array("\\u00\(b < 16 ? "0" : "")\(String(b, radix: 16))".utf8)
            default: json.append(b)
            }
        }
        var extractor = AnswerExtractor(format: self)
        return json.withUnsafeBufferPointer { raw -> String? in
            // Find the last `\\boxed{` the way the scanner does.
            var lastBoxed = -1
            var i = 0
            let n = raw.count
            while i < n {
                if raw[i] == 0x5C {
                    if i + 1 < n, raw[i + 1] == 0x5C, AnswerExtractor.hasBoxedOpen(raw.baseAddress!, i + 2, n) {
                        lastBoxed = i + 8
                    }
                    i += i + 1 < n && raw[i + 1] == 0x75 ? 6 : 2
                    continue
                }
                i += 1
            }
            guard extractor.extract(raw.baseAddress!, start: 0, end: n, lastBoxed: lastBoxed) else { return nil }
            return String(decoding: extractor.answer, as: UTF8.self)
        }
    }
}

/// Reads one answer from a raw JSON string body into `answer` (reused between calls).
struct AnswerExtractor {
    let format: AnswerFormat
    /// The last answer extracted (valid after `extract` returned true).
    private(set) var answer: [UInt8] = []
    /// Decoded `\boxed{}` content.
    private var content: [UInt8] = []
    /// Boxed content longer than this is not an answer.
    static let maxContent = 512

    init(format: AnswerFormat) {
        self.format = format
        answer.reserveCapacity(64)
        content.reserveCapacity(AnswerExtractor.maxContent)
    }

    /// True when raw[at..<at+6] is `boxed{`.
    @inline(__always)
    static func hasBoxedOpen(_ raw: UnsafePointer<UInt8>, _ at: Int, _ end: Int) -> Bool {
        at + 6 <= end && raw[at] == 0x62 && raw[at + 1] == 0x6F && raw[at + 2] == 0x78
            && raw[at + 3] == 0x65 && raw[at + 4] == 0x64 && raw[at + 5] == 0x7B
    }

    /// Extracts the answer of the JSON string body raw[start..<end]; `lastBoxed` is where
    /// the content of its last `\boxed{` starts, or -1. False when there is no answer.
    mutating func extract(_ raw: UnsafePointer<UInt8>, start: Int, end: Int, lastBoxed: Int) -> Bool {
        answer.removeAll(keepingCapacity: true)
        switch format {
        case .boxedNumber:
            guard lastBoxed >= 0, decodeBraced(raw, from: lastBoxed, end: end) else { return false }
            normaliseNumber()
            return !answer.isEmpty
        case .optionLetter:
            var boxedLetter: UInt8? = nil
            if lastBoxed >= 0, decodeBraced(raw, from: lastBoxed, end: end) {
                boxedLetter = letterInBox()
            }
            // A stated answer ("answer is (C)") after the last box wins over the box.
            if let (letter, at) = statedLetter(raw, start: start, end: end), boxedLetter == nil || at > lastBoxed {
                answer.append(letter)
                return true
            }
            if let boxedLetter {
                answer.append(boxedLetter)
                return true
            }
            return false
        }
    }

    /// Decodes the JSON-escaped text from raw[from...] up to the `}` that closes the box
    /// (nested braces counted) into `content`. False if the box is not closed inside the
    /// string or its content is longer than `maxContent`.
    private mutating func decodeBraced(_ raw: UnsafePointer<UInt8>, from: Int, end: Int) -> Bool {
        content.removeAll(keepingCapacity: true)
        var depth = 0
        var i = from
        while i < end {
            var c = raw[i]
            if c == 0x5C, i + 1 < end {
                let e = raw[i + 1]
                i += 2
                switch e {
                case 0x6E, 0x72, 0x74: c = 0x20              // \n \r \t: whitespace
                case 0x62, 0x66: c = 0x20                    // \b \f
                case 0x75:                                   // \uXXXX
                    guard i + 4 <= end, let u = hex4(raw, i) else { return false }
                    i += 4
                    if u < 0x80 {
                        c = UInt8(u)
                    } else {
                        // Non-ASCII: keep its UTF-8 bytes (surrogate halves kept as is).
                        if u < 0x800 {
                            content.append(UInt8(0xC0 | (u >> 6))); c = UInt8(0x80 | (u & 0x3F))
                        } else {
                            content.append(UInt8(0xE0 | (u >> 12))); content.append(UInt8(0x80 | ((u >> 6) & 0x3F)))
                            c = UInt8(0x80 | (u & 0x3F))
                        }
                    }
                default: c = e                               // \\ \" \/
                }
            } else {
                i += 1
            }
            if c == 0x7B { depth += 1 } else if c == 0x7D {
                if depth == 0 { return true }
                depth -= 1
            }
            content.append(c)
            if content.count > AnswerExtractor.maxContent { return false }
        }
        return false
    }

    @inline(__always)
    private func hex4(_ raw: UnsafePointer<UInt8>, _ at: Int) -> UInt32? {
        var v: UInt32 = 0
        for k in 0..<4 {
            let h = raw[at + k]
            let d: UInt8
            switch h {
            case 0x30...0x39: d = h - 0x30
            case 0x41...0x46: d = h - 0x41 + 10
            case 0x61...0x66: d = h - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    // MARK: numbers

    /// `content` -> `answer`: drop spaces, thousands separators and LaTeX decoration; a
    /// decimal number becomes canonical (`1,000.50` -> `1000.5`, `-0` -> `0`, `18.0` -> `18`);
    /// anything else is kept as the cleaned text (compared exactly).
    private mutating func normaliseNumber() {
        var t: [UInt8] = []
        t.reserveCapacity(content.count)
        var i = 0
        let c = content
        let n = c.count
        func starts(_ word: StaticString, at k: Int) -> Bool {
            let w = word.utf8Start, m = word.utf8CodeUnitCount
            guard k + m <= n else { return false }
            for j in 0..<m where c[k + j] != w[j] { return false }
            return true
        }
        while i < n {
            let b = c[i]
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x2C, 0x24, 0x25: // space, tab, newlines, ',', '$', '%'
                i += 1
                continue
            case 0x5C: // backslash
                if i + 1 < n, [0x21, 0x2C, 0x3B, 0x3A, 0x20, 0x24, 0x25].contains(c[i + 1]) {
                    i += 2                      // \! \, \; \: \  \$ \%
                    continue
                }
                if starts("\\dfrac", at: i) || starts("\\tfrac", at: i) {
                    t += Array("\\frac".utf8); i += 6; continue
                }
                if starts("\\left", at: i) { i += 5; continue }
                if starts("\\right", at: i) { i += 6; continue }
                var handled = false
                for wrapper in ["\\text{", "\\textbf{", "\\mathrm{", "\\mbox{"] as [StaticString] where starts(wrapper, at: i) {
                    // Units after a value are dropped; a wrapper around everything is unwrapped.
                    let open = i + wrapper.utf8CodeUnitCount
                    var depth = 0, close = open
                    while close < n {
                        if c[close] == 0x7B { depth += 1 } else if c[close] == 0x7D {
                            if depth == 0 { break }
                            depth -= 1
                        }
                        close += 1
                    }
                    if t.isEmpty {
                        i = open          // keep the inside, drop the closing brace below
                        unwrapClose.append(close)
                    } else {
                        i = close + 1     // drop the whole group
                    }
                    handled = true
                    break
                }
                if !handled {
                    t.append(b); i += 1
                }
                continue
            case 0x5E: // ^\circ or ^{\circ}
                if starts("^\\circ", at: i) { i += 6; continue }
                if starts("^{\\circ}", at: i) { i += 8; continue }
            case 0x7D:
                if let last = unwrapClose.last, last == i {
                    unwrapClose.removeLast(); i += 1; continue
                }
            case 0x7B:
                if i + 1 < n, c[i + 1] == 0x7D { i += 2; continue }                   // {}
                if i + 2 < n, c[i + 1] == 0x2C, c[i + 2] == 0x7D { i += 3; continue } // {,} as in 1{,}000
            default: break
            }
            t.append(b)
            i += 1
        }
        unwrapClose.removeAll(keepingCapacity: true)
        while let last = t.last, last == 0x2E { t.removeLast() } // a sentence's full stop
        if !canonicalNumber(t) { answer = t }
    }

    /// Closing braces of unwrapped `\text{...}` groups still to drop.
    private var unwrapClose: [Int] = []

    /// Writes the canonical decimal form of `t` to `answer` if `t` is a decimal number
    /// (`[+-]?(digits[.digits*] | .digits)`); false otherwise.
    private mutating func canonicalNumber(_ t: [UInt8]) -> Bool {
        var i = 0
        var negative = false
        if i < t.count, t[i] == 0x2D || t[i] == 0x2B { negative = t[i] == 0x2D; i += 1 }
        var intStart = i
        while i < t.count, t[i] >= 0x30 && t[i] <= 0x39 { i += 1 }
        let intEnd = i
        var fracStart = i, fracEnd = i
        if i < t.count, t[i] == 0x2E {
            i += 1
            fracStart = i
            while i < t.count, t[i] >= 0x30 && t[i] <= 0x39 { i += 1 }
            fracEnd = i
        }
        guard i == t.count, intEnd > intStart || fracEnd > fracStart else { return false }
        while intStart < intEnd - 1 && t[intStart] == 0x30 { intStart += 1 }   // leading zeros
        while fracEnd > fracStart && t[fracEnd - 1] == 0x30 { fracEnd -= 1 }   // trailing zeros
        let intIsZero = intEnd == intStart || (intEnd - intStart == 1 && t[intStart] == 0x30)
        answer.removeAll(keepingCapacity: true)
        if negative && !(intIsZero && fracEnd == fracStart) { answer.append(0x2D) }
        if intEnd == intStart { answer.append(0x30) } else { answer += t[intStart..<intEnd] }
        if fracEnd > fracStart {
            answer.append(0x2E)
            answer += t[fracStart..<fracEnd]
        }
        return true
    }

    // MARK: option letters

    @inline(__always)
    private static func isOption(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x4A } // A-J

    @inline(__always)
    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
    }

    /// The letter in a box like `\boxed{C}`, `\boxed{(c)}`, `\boxed{\text{C}}`, `\boxed{C.}`.
    private func letterInBox() -> UInt8? {
        var letters: [UInt8] = []
        var i = 0
        let c = content
        while i < c.count {
            let b = c[i]
            if b == 0x5C {                      // skip a command name like \text or \textbf
                i += 1
                while i < c.count, (c[i] >= 0x61 && c[i] <= 0x7A) || (c[i] >= 0x41 && c[i] <= 0x5A) { i += 1 }
                continue
            }
            if AnswerExtractor.isWordByte(b) { letters.append(b) }
            i += 1
        }
        guard letters.count == 1 else { return nil }
        let up = letters[0] >= 0x61 && letters[0] <= 0x7A ? letters[0] - 0x20 : letters[0]
        return AnswerExtractor.isOption(up) ? up : nil
    }

    /// The letter after the last `answer` (any case) that is followed by one: `answer is (C)`,
    /// `Answer: C`, `**Answer:** C.`, `answer is $\boxed{C}$` is left to the box. Returns the
    /// letter and the raw position of the word `answer`.
    private func statedLetter(_ raw: UnsafePointer<UInt8>, start: Int, end: Int) -> (UInt8, Int)? {
        var k = end - 6
        while k >= start {
            // "answer", case-insensitive, as a word start.
            if raw[k] | 0x20 == 0x61, raw[k + 1] | 0x20 == 0x6E, raw[k + 2] | 0x20 == 0x73,
               raw[k + 3] | 0x20 == 0x77, raw[k + 4] | 0x20 == 0x65, raw[k + 5] | 0x20 == 0x72,
               k == start || !AnswerExtractor.isWordByte(raw[k - 1]) || raw[k - 1] == 0x6E && k - 1 > start && raw[k - 2] == 0x5C,
               let letter = letterAfterAnswer(raw, k + 6, end) {
                return (letter, k)
            }
            k -= 1
        }
        return nil
    }

    private func letterAfterAnswer(_ raw: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> UInt8? {
        var i = from
        func skip(_ set: [UInt8]) { while i < end, set.contains(raw[i]) { i += 1 } }
        let spacing: [UInt8] = [0x20, 0x2A, 0x3A, 0x5F, 0x23]   // space * : _ #
        skip(spacing)
        // optional "is"
        if i + 2 <= end, raw[i] | 0x20 == 0x69, raw[i + 1] | 0x20 == 0x73, i + 2 == end || !AnswerExtractor.isWordByte(raw[i + 2]) {
            i += 2
            skip(spacing)
        }
        skip([0x28, 0x5B, 0x24, 0x20])                            // ( [ $
        guard i < end, AnswerExtractor.isOption(raw[i]) else { return nil }
        let letter = raw[i]
        if i + 1 < end, AnswerExtractor.isWordByte(raw[i + 1]) { return nil }
        return letter
    }
}
