// `ttcg profiles ingest RUNS_DIR`: raw LLM generation logs in, provider curves out
// (docs/ingestion.md). Parsing, the progress bar and messages only; the work is
// `Ingestion.run` in Profiles.

import ArgumentParser
import Foundation
import Profiles

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension IngestMethod: ExpressibleByArgument {}
extension AnswerFormat: ExpressibleByArgument {}

/// Turns a directory of raw-run JSONL files into a profile table (CSV).
struct ProfilesIngest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Turn raw generation runs (JSONL, one file per model) into provider curves (CSV).",
        discussion: """
        RUNS_DIR holds one file per model named MODEL--temp-T--samples-S--max-M.jsonl, one \
        JSON object per question (qid, explanations, correct, rewards, num_tokens). Lines that \
        cannot be used are skipped and counted; each file gets one summary line on stderr. \
        The output has the catalog's columns plus 95% intervals and the question count, and \
        is read by every command that takes a market (FILE.csv). See docs/ingestion.md.
        """)

    @Argument(help: ArgumentHelp("Directory of run files.", valueName: "RUNS_DIR"))
    var runsDirectory: String

    @Option(help: ArgumentHelp("The dataset column (gsm8k, aime, gpqa, ...); also picks answer extraction.", valueName: "D"))
    var dataset: String

    @Option(help: ArgumentHelp("majority, best-of-n or chain-of-thought.", valueName: "METHOD"),
            transform: ProfilesIngest.method)
    var method: IngestMethod

    @Option(help: ArgumentHelp("Samples per query, strictly increasing (default: 1,4,8,... up to the samples in the files).",
                               valueName: "1,4,8"),
            transform: ProfilesIngest.levels)
    var levels: [Int]?

    @Option(help: ArgumentHelp("Random draws per question and level (majority, best-of-n). (default: 50)", valueName: "R"),
            transform: ProfilesIngest.positive)
    var repeats: Int = 50

    @Option(help: ArgumentHelp("Bootstrap resamples for chain-of-thought intervals. (default: 1000)", valueName: "B"),
            transform: ProfilesIngest.positive)
    var bootstrap: Int = 1000

    @Option(help: ArgumentHelp("Seed of the draws and the bootstrap.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .customLong("answer-format"),
            help: ArgumentHelp("Answer extraction for majority vote (default: by dataset: gpqa option-letter, gsm8k/aime boxed-number).",
                               valueName: "boxed-number|option-letter"),
            transform: ProfilesIngest.answerFormat)
    var answerFormat: AnswerFormat?

    @Option(name: .customLong("price-table"),
            help: ArgumentHelp("CSV with columns model,price_per_mtok (dollars per 1M tokens).", valueName: "FILE"))
    var priceTable: String?

    @Option(help: ArgumentHelp("The CSV to write (refused if it exists, unless --force).", valueName: "FILE.csv"))
    var out: String

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @Flag(help: "At the end, print one line on stderr: bytes read, time, MB/s and peak memory (RSS).")
    var stats = false

    init() {}

    func run() throws {
        try ingest()
    }

    func ingest() throws(CommandError) {
        if !force, FileManager.default.fileExists(atPath: out) {
            throw .badInput("\(out): refusing to overwrite an existing file (use --force)")
        }
        // Refuse before the work, not after: the directory of --out must exist.
        let outDirectory = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .badInput("\(out): cannot write: the directory \(outDirectory) does not exist")
        }
        var prices: [String: Double]? = nil
        if let priceTable {
            do { prices = try PriceTable.load(path: priceTable) } catch { throw Self.commandError(error) }
        }
        let options = IngestOptions(dataset: dataset, method: method, levels: levels, repeats: repeats, seed: seed,
                                    bootstrap: bootstrap, answerFormat: answerFormat, prices: prices)
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
        let started = Date()
        let result: IngestionResult
        do {
            result = try Ingestion.run(directory: runsDirectory, options: options,
                                       progress: bar.map { b in { done, total in b.update(done: done, total: total) } },
                                       events: { event in
                                           bar?.clear()
                                           switch event {
                                           case .file(let summary): Self.stderr(summary.line)
                                           case .warning(let text): Self.stderr("warning: \(text)")
                                           }
                                       })
        } catch {
            bar?.clear()
            throw Self.commandError(error)
        }
        bar?.finish()
        do {
            try CurveCSV.write(CurveCSV.render(result.points), to: out, force: force)
        } catch {
            throw Self.commandError(error)
        }
        if stats {
            let seconds = Date().timeIntervalSince(started)
            let mb = Double(result.files.reduce(0) { $0 + $1.bytes }) / 1e6
            var line = String(format: "stats: read %.1f MB from %d file%@ in %.2f s (%.0f MB/s)",
                              mb, result.files.count, result.files.count == 1 ? "" : "s", seconds, mb / max(seconds, 1e-9))
            if let peak = peakResidentBytes() { line += String(format: ", peak RSS %.1f MB", Double(peak) / 1e6) }
            Self.stderr(line)
        }
        let models = Set(result.points.map(\.model)).count
        print("\(out): \(result.points.count) rows, \(models) model\(models == 1 ? "" : "s") (\(dataset), \(method.rawValue))")
    }

    static func commandError(_ error: IngestionError) -> CommandError {
        switch error.subject {
        case .option: return .badInput("ttcg: \(error.description)")
        case .path: return .badInput(error.description)
        }
    }

    static func stderr(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    // MARK: flag values

    static func method(_ text: String) throws -> IngestMethod {
        guard let m = IngestMethod(rawValue: text) else {
            throw ValidationError("expected majority, best-of-n or chain-of-thought")
        }
        return m
    }

    static func answerFormat(_ text: String) throws -> AnswerFormat {
        guard let f = AnswerFormat(rawValue: text) else {
            throw ValidationError("expected boxed-number or option-letter")
        }
        return f
    }

    static func positive(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 1 else { throw ValidationError("expected a whole number >= 1") }
        return n
    }

    /// `1,4,8,16`: whole numbers >= 1, strictly increasing.
    static func levels(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var levels: [Int] = []
        for p in parts {
            guard let n = Int(p) else {
                throw ValidationError("expected comma-separated whole numbers >= 1, strictly increasing (like 1,4,8,16)")
            }
            levels.append(n)
        }
        do {
            try Ingestion.checkLevels(levels)
        } catch {
            throw ValidationError(error.message)
        }
        return levels
    }
}

/// `[#########-----------]  123.4/512.0 MB  310.2 MB/s` on stderr, redrawn at most ten
/// times a second. Only used when stderr is a terminal.
final class ProgressBar {
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    func update(done: Int, total: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        draw(done: done, total: total, now: now)
    }

    private func draw(done: Int, total: Int, now: Date) {
        let width = 30
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * Double(width))
        let mb = Double(done) / 1e6, totalMB = Double(total) / 1e6
        let seconds = max(now.timeIntervalSince(start), 1e-6)
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(format: "%.1f/%.1f MB  %.1f MB/s", mb, totalMB, mb / seconds)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// Erases the bar so that a message can be printed on a clean line.
    func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
        lastDraw = .distantPast
    }

    func finish() { clear() }
}
