// Raw-run files of a known model, for tests, benchmarks and trying `ttcg profiles ingest`
// without the paper's data. Every sample is drawn independently from a simple model whose
// true curves have closed forms (docs/ingestion.md, "Synthetic runs").

import Foundation
import GameCore

/// A generator of raw-run JSONL (model.md §8) from a known model of one LLM.
///
/// Per sample, independently: with probability `accuracy[q % accuracy.count]` the answer is
/// correct; else, with probability `unparseable / (1 - p)`, no answer can be read; else it
/// is one of `wrongAnswers` wrong answers, uniformly. So a sample is correct with p,
/// unreadable with `unparseable`, and each wrong answer has (1 - p - unparseable) / W.
/// Rewards: null with `nullRewards`; otherwise uniform in [1, 2) for a correct sample or a
/// wrong one that fools the verifier (probability `fooledVerifier`), uniform in [0, 1)
/// for other wrong samples. Tokens: uniform in `tokens`; reasoning models write
/// `[thinking, thinking + answer]` with thinking uniform in `thinking`.
public struct SyntheticRun: Sendable {
    public var name: RunFileName
    /// Probability that a sample is correct, per question (cycled over questions).
    public var accuracy: [Double]
    public var unparseable: Double
    public var wrongAnswers: Int
    public var nullRewards: Double
    public var fooledVerifier: Double
    public var tokens: ClosedRange<Int>
    /// Thinking tokens of a reasoning model; nil writes plain token counts.
    public var thinking: ClosedRange<Int>?
    public var answerFormat: AnswerFormat
    /// Approximate length of one explanation in bytes.
    public var textBytes: Int
    public var seed: UInt64

    public init(name: RunFileName, accuracy: [Double], unparseable: Double = 0.05, wrongAnswers: Int = 3,
                nullRewards: Double = 0.1, fooledVerifier: Double = 0.3, tokens: ClosedRange<Int> = 150...250,
                thinking: ClosedRange<Int>? = nil, answerFormat: AnswerFormat = .boxedNumber,
                textBytes: Int = 600, seed: UInt64 = 1) {
        precondition(!accuracy.isEmpty && wrongAnswers >= 1)
        precondition(answerFormat == .boxedNumber || wrongAnswers <= 3, "option letters: at most 3 wrong answers (A-D)")
        self.name = name
        self.accuracy = accuracy
        self.unparseable = unparseable
        self.wrongAnswers = wrongAnswers
        self.nullRewards = nullRewards
        self.fooledVerifier = fooledVerifier
        self.tokens = tokens
        self.thinking = thinking
        self.answerFormat = answerFormat
        self.textBytes = textBytes
        self.seed = seed
    }

    /// `questions` records (qids `q<first>`, `q<first+1>`, ...), one line each.
    public func jsonl(questions: Int, firstQid: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        var g = SeededGenerator(seed: SeededGenerator.derive(seed: seed, index: UInt64(firstQid)))
        for q in firstQid ..< firstQid + questions {
            appendRecord(q, qid: "q\(q)", to: &out, &g)
        }
        return out
    }

    /// Writes `questions` records to `directory/<name.fileName>` and returns the path.
    @discardableResult
    public func write(questions: Int, to directory: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name.fileName)
        try Data(jsonl(questions: questions)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes a large file fast: a block of `blockQuestions` records is built once, then
    /// repeated with fresh qids (`q0000000000`, ... fixed width, patched in place) until the
    /// file holds at least `bytes` bytes. Returns the number of questions and bytes written.
    @discardableResult
    public func writeRepeated(to path: String, bytes: Int, blockQuestions: Int = 200) throws -> (questions: Int, bytes: Int) {
        var block: [UInt8] = []
        var qidAt: [Int] = []
        var g = SeededGenerator(seed: seed)
        for q in 0..<blockQuestions {
            let before = block.count
            appendRecord(q, qid: "q0000000000", to: &block, &g)
            // The qid's digits start after `{"qid": "q`.
            qidAt.append(before + 10)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var written = 0, questions = 0
        var chunk: [UInt8] = []
        chunk.reserveCapacity(8 << 20)
        while written < bytes {
            for k in 0..<blockQuestions {
                var n = questions + k
                var at = qidAt[k] + 9
                while at >= qidAt[k] {
                    block[at] = 0x30 + UInt8(n % 10)
                    n /= 10
                    at -= 1
                }
            }
            chunk += block
            questions += blockQuestions
            written += block.count
            if chunk.count >= 8 << 20 || written >= bytes {
                try handle.write(contentsOf: chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        return (questions, written)
    }

    // MARK: records

    private func uniform(_ g: inout SeededGenerator) -> Double {
        Double(g.next() >> 11) * 0x1.0p-53
    }

    private func appendRecord(_ q: Int, qid: String, to out: inout [UInt8], _ g: inout SeededGenerator) {
        let p = accuracy[q % accuracy.count]
        let n = name.samples
        var explanations: [String] = [], correct: [Bool] = [], rewards: [String] = [], tokenCells: [String] = []
        for _ in 0..<n {
            let u = uniform(&g)
            let outcome: Int   // 0 correct, -1 unreadable, 1...W wrong answer
            if u < p { outcome = 0 } else if u < p + unparseable { outcome = -1 } else {
                outcome = 1 + min(wrongAnswers - 1, Int((u - p - unparseable) / (1 - p - unparseable) * Double(wrongAnswers)))
            }
            explanations.append(explanation(question: q, outcome: outcome, &g))
            correct.append(outcome == 0)
            if uniform(&g) < nullRewards {
                rewards.append("null")
            } else {
                let high = outcome == 0 || uniform(&g) < fooledVerifier
                rewards.append(String(format: "%.6f", (high ? 1 : 0) + uniform(&g) * 0.999999))
            }
            let answerTokens = tokens.lowerBound + g.uniform(below: tokens.count)
            if let thinking {
                let t = thinking.lowerBound + g.uniform(below: thinking.count)
                tokenCells.append("[\(t), \(t + answerTokens)]")
            } else {
                tokenCells.append(String(answerTokens))
            }
        }
        var line = "{\"qid\": \"\(qid)\", \"explanations\": ["
        line += explanations.map { "\"\($0)\"" }.joined(separator: ", ")
        line += "], \"correct\": [" + correct.map { $0 ? "true" : "false" }.joined(separator: ", ")
        line += "], \"rewards\": [" + rewards.joined(separator: ", ")
        line += "], \"num_tokens\": [" + tokenCells.joined(separator: ", ") + "], \"source\": {\"split\": \"test\"}}\n"
        out += Array(line.utf8)
    }

    /// One explanation as a JSON string body (already escaped).
    private func explanation(question q: Int, outcome: Int, _ g: inout SeededGenerator) -> String {
        let filler = "Let's think step by step.\\nWe compute \\\\frac{a}{b} and check the \\\"units\\\" first. "
        var text = ""
        while text.utf8.count < textBytes - 60 { text += filler }
        switch answerFormat {
        case .boxedNumber:
            let truth = 1000 + q % 9000
            // Draft answers and a wrong box earlier in the text: only the last box counts.
            text += "A first guess was \\\\boxed{\(truth + 17)}, but that is off. "
            switch outcome {
            case -1:
                text += "I cannot finish this one."
            case 0:
                // The same number, written several ways (all normalise to the same answer).
                let forms = ["\(truth)", "\(truth / 1000),\(String(format: "%03d", truth % 1000))", "\\\\$\(truth).00", "\(truth).0", " \(truth) "]
                text += "So the answer is \\\\boxed{\(forms[g.uniform(below: forms.count)])}."
            default:
                text += "So the answer is \\\\boxed{\(truth + 100 * outcome)}."
            }
        case .optionLetter:
            let letters = ["A", "B", "C", "D"]
            let truth = q % 4
            switch outcome {
            case -1:
                text += "None of the options seems right."
            case 0:
                text += g.uniform(below: 2) == 0 ? "The answer is (\(letters[truth]))." : "\\n**Answer:** \\\\boxed{\(letters[truth])}"
            default:
                text += "The answer is (\(letters[(truth + outcome) % 4]))."
            }
        }
        return text
    }
}
