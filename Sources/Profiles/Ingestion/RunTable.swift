// One raw-run file read into compact per-question data: per sample a correct bit, a
// reward, token counts and an answer id; never the texts. This is all ingestion keeps
// of a file, so memory grows with questions x samples, not with the file's size.

import Foundation

/// The usable questions of one run file, as flat arrays indexed by sample
/// (question q's samples are `samples(of: q)`).
public struct RunTable: Sendable {
    /// What the file name says.
    public let name: RunFileName
    /// Sample ranges: question q owns `offsets[q] ..< offsets[q + 1]`.
    public private(set) var offsets: [Int] = [0]
    /// Per sample: the grader's verdict.
    public private(set) var correct: [Bool] = []
    /// Per sample: the total tokens (the int, or the total of `[thinking, total]`).
    public private(set) var tokens: [Int32] = []
    /// Per sample: the reward, -infinity for null. Filled for best-of-n only.
    public private(set) var rewards: [Double] = []
    /// Per sample: the thinking tokens. Filled for chain-of-thought only.
    public private(set) var thinking: [Int32] = []
    /// Per sample: the extracted answer, numbered 0, 1, ... within its question; -1 when
    /// none could be read. Filled for majority vote only.
    public private(set) var answers: [Int32] = []
    /// Per question: how many distinct answers it has (majority vote only).
    public private(set) var distinctAnswers: [Int32] = []
    /// The question with the fewest samples: its qid and sample count.
    public private(set) var fewestSamples: (qid: String, count: Int)? = nil

    public init(name: RunFileName) { self.name = name }

    public var questionCount: Int { offsets.count - 1 }
    public var sampleCount: Int { correct.count }
    public func samples(of question: Int) -> Range<Int> { offsets[question] ..< offsets[question + 1] }

    /// Appends the record the scanner just parsed.
    mutating func append(_ r: RecordScanner, qid: () -> String) {
        let count = r.correct.count
        correct += r.correct
        tokens += r.tokens
        if r.needs.rewards { rewards += r.rewards }
        if r.needs.thinking { thinking += r.thinking }
        if r.needs.answers != nil {
            answers += r.answers
            distinctAnswers.append(r.distinctAnswers)
        }
        offsets.append(correct.count)
        if fewestSamples == nil || count < fewestSamples!.count { fewestSamples = (qid(), count) }
    }
}

/// What reading one run file found: the one-line summary ingestion prints per file.
public struct RunFileSummary: Sendable, Equatable {
    /// The file's path.
    public var path: String
    public var model: String
    /// The generation limit of the file name (chain-of-thought keeps totals below it).
    public var maxTokens: Int
    /// Bytes in the file.
    public var bytes: Int
    /// Lines with content (blank lines are ignored and not counted).
    public var lines: Int
    /// Questions kept: valid lines with a new qid.
    public var questions: Int
    /// Lines that are not JSON, lack a required field or have arrays of different lengths.
    public var skippedLines: Int
    /// The first skipped line's number and reason.
    public var firstSkip: String?
    /// Lines whose qid was already seen (the first one is kept).
    public var duplicateQids: Int
    /// The first duplicate's qid and line.
    public var firstDuplicate: String?
    /// Chain-of-thought: questions left out because fewer than 5 of their samples pass the
    /// filter (5 < thinking tokens and total < the generation limit).
    public var questionsLeftOut: Int = 0
    /// Chain-of-thought: samples removed by that filter.
    public var samplesFiltered: Int = 0

    /// `FILE: 500 questions, 2 lines skipped (first: line 17: ...), 1 duplicate qid (first: ...)`.
    public var line: String {
        var s = "\(path): \(questions) question\(questions == 1 ? "" : "s") from \(lines) line\(lines == 1 ? "" : "s"), "
        s += "\(skippedLines) line\(skippedLines == 1 ? "" : "s") skipped"
        if let firstSkip { s += " (first: \(firstSkip))" }
        s += ", \(duplicateQids) duplicate qid\(duplicateQids == 1 ? "" : "s")"
        if let firstDuplicate { s += " (first: \(firstDuplicate))" }
        if samplesFiltered > 0 || questionsLeftOut > 0 {
            s += ", \(samplesFiltered) sample\(samplesFiltered == 1 ? "" : "s") outside 5 < thinking and total < \(maxTokens)"
            s += ", \(questionsLeftOut) question\(questionsLeftOut == 1 ? "" : "s") with fewer than 5 samples left out"
        }
        return s
    }
}

/// Reads run files into `RunTable`s, a line at a time.
public enum RunReader {
    /// Reads the run file at `path`, keeping what `method` needs. Unusable lines are
    /// skipped and counted in the summary, a repeated qid keeps its first line.
    ///
    /// - `answerFormat`: how answers are extracted (majority vote only; required then).
    /// - `maxLineBytes`: a longer line is skipped (and counted) without being kept in memory.
    /// - `onBytes`: called after each chunk read with the number of bytes it added.
    public static func read(path: String, name: RunFileName, method: IngestMethod,
                            answerFormat: AnswerFormat? = nil, maxLineBytes: Int = 256 << 20,
                            onBytes: ((Int) -> Void)? = nil) throws(IngestionError) -> (RunTable, RunFileSummary) {
        let needs: RecordNeeds
        switch method {
        case .majority:
            guard let answerFormat else {
                throw .option("--answer-format", "majority vote needs an answer format")
            }
            needs = RecordNeeds(answers: answerFormat, rewards: false, thinking: false)
        case .bestOfN: needs = RecordNeeds(answers: nil, rewards: true, thinking: false)
        case .chainOfThought: needs = RecordNeeds(answers: nil, rewards: false, thinking: true)
        }
        let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
        reader.onChunk = onBytes
        var scanner = RecordScanner(needs: needs)
        var table = RunTable(name: name)
        var summary = RunFileSummary(path: path, model: name.model, maxTokens: name.maxTokens, bytes: 0, lines: 0, questions: 0,
                                     skippedLines: 0, firstSkip: nil, duplicateQids: 0, firstDuplicate: nil)
        var qids = Set<[UInt8]>()
        var lineNumber = 0
        while let line = try reader.next(path: path) {
            lineNumber += 1
            switch line {
            case .tooLong:
                summary.lines += 1
                summary.skippedLines += 1
                if summary.firstSkip == nil {
                    summary.firstSkip = "line \(lineNumber): longer than \(reader.maxLineBytes) bytes"
                }
            case .bytes(let bytes):
                if isBlank(bytes) { continue }
                summary.lines += 1
                do {
                    try scanner.parse(bytes)
                } catch {
                    summary.skippedLines += 1
                    if summary.firstSkip == nil { summary.firstSkip = "line \(lineNumber): \(error.text)" }
                    continue
                }
                let qid = Array(UnsafeBufferPointer(rebasing: bytes[scanner.qidStart ..< scanner.qidEnd]))
                guard qids.insert(qid).inserted else {
                    summary.duplicateQids += 1
                    if summary.firstDuplicate == nil {
                        summary.firstDuplicate = "qid '\(String(decoding: qid, as: UTF8.self))' at line \(lineNumber)"
                    }
                    continue
                }
                table.append(scanner) { String(decoding: qid, as: UTF8.self) }
            }
        }
        summary.bytes = reader.bytesRead
        summary.questions = table.questionCount
        return (table, summary)
    }

    @inline(__always)
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes where !(b == 0x20 || b == 0x09 || b == 0x0D) { return false }
        return true
    }
}
