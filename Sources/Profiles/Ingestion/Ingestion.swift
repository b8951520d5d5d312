// `ttcg profiles ingest` as a library call: a directory of raw-run files in, one curve per
// model out (docs/ingestion.md). Files are read one at a time, a line at a time; only
// compact per-question data of the current file is kept.

import Foundation

/// What to ingest and how.
public struct IngestOptions: Sendable {
    /// The `dataset` column; also decides answer extraction for majority vote.
    public var dataset: String
    public var method: IngestMethod
    /// theta values (majority, best-of-n), strictly increasing, >= 1. Nil: 1, 4, 8, ... up to
    /// the smallest `samples-S` among the files. Not used by chain-of-thought.
    public var levels: [Int]?
    /// Draws per question and level (majority, best-of-n).
    public var repeats: Int
    /// Seed of every random draw (draws and bootstrap).
    public var seed: UInt64
    /// Bootstrap resamples for chain-of-thought intervals.
    public var bootstrap: Int
    /// Answer extraction for majority vote; nil: by dataset (`AnswerFormat.forDataset`).
    public var answerFormat: AnswerFormat?
    /// Dollars per 1M tokens by model (`--price-table`); nil leaves `price_per_mtok` empty.
    public var prices: [String: Double]?

    public init(dataset: String, method: IngestMethod, levels: [Int]? = nil, repeats: Int = 50, seed: UInt64 = 0,
                bootstrap: Int = 1000, answerFormat: AnswerFormat? = nil, prices: [String: Double]? = nil) {
        self.dataset = dataset
        self.method = method
        self.levels = levels
        self.repeats = repeats
        self.seed = seed
        self.bootstrap = bootstrap
        self.answerFormat = answerFormat
        self.prices = prices
    }
}

/// One row of the output table.
public struct CurvePoint: Sendable, Equatable {
    public var dataset: String
    public var method: IngestMethod
    public var model: String
    /// 0, 1, 2, ... within the model's curve.
    public var levelIndex: Int
    public var estimate: LevelEstimate
    /// Dollars per 1M tokens, when a price table gave one.
    public var pricePerMillionTokens: Double?
}

/// A run file found in the directory.
public struct RunFile: Sendable, Equatable {
    public var path: String
    public var name: RunFileName
    public var bytes: Int
}

/// What ingestion tells its caller while it runs.
public enum IngestionEvent: Sendable {
    /// A file was read (one summary line).
    case file(RunFileSummary)
    /// Something the user should know that does not stop the run.
    case warning(String)
}

/// What ingestion produced.
public struct IngestionResult: Sendable {
    /// The rows, by model (file name order), then level.
    public var points: [CurvePoint]
    public var files: [RunFileSummary]
    /// Models with no usable questions (warned about, not in `points`).
    public var skippedModels: [String]
}

public enum Ingestion {
    /// The run files of `directory` (`*.jsonl` named `MODEL--temp-T--samples-S--max-M.jsonl`),
    /// sorted by name, and the `.jsonl` names that do not follow the pattern.
    public static func runFiles(in directory: String) throws(IngestionError) -> (files: [RunFile], ignored: [String]) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw .path(directory, "expected a directory of run files (MODEL--temp-T--samples-S--max-M.jsonl), got no such directory")
        }
        guard isDir.boolValue else {
            throw .path(directory, "expected a directory of run files (MODEL--temp-T--samples-S--max-M.jsonl), got a file")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .path(directory, "cannot list the directory: \(error.localizedDescription)")
        }
        var files: [RunFile] = [], ignored: [String] = []
        var byModel: [String: String] = [:]
        for n in names.sorted() where n.hasSuffix(".jsonl") && !n.hasPrefix(".") {
            guard let name = RunFileName(parsing: n) else { ignored.append(n); continue }
            let path = (directory as NSString).appendingPathComponent(n)
            if let other = byModel[name.model] {
                throw .path(directory, "expected one run file per model, got two for model '\(name.model)': \(other) and \(n)")
            }
            byModel[name.model] = n
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            files.append(RunFile(path: path, name: name, bytes: size))
        }
        guard !files.isEmpty else {
            let extra = ignored.isEmpty ? "" : " (\(ignored.count) .jsonl file\(ignored.count == 1 ? "" : "s") with other names, e.g. \(ignored[0]))"
            throw .path(directory, "expected run files named MODEL--temp-T--samples-S--max-M.jsonl, found none\(extra)")
        }
        return (files, ignored)
    }

    /// Checks the options that do not depend on the files.
    public static func validate(_ options: IngestOptions) throws(IngestionError) {
        guard !options.dataset.isEmpty,
              options.dataset.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) })
        else {
            throw .option("--dataset", "expected a name of letters, digits, '.', '_' or '-', got '\(options.dataset)'")
        }
        if let levels = options.levels {
            if options.method == .chainOfThought {
                throw .option("--levels", "expected no levels for chain-of-thought (its levels are the \(Curves.effortBins) effort bins)")
            }
            try checkLevels(levels)
        }
        guard options.repeats >= 1 else { throw .option("--repeats", "expected a whole number >= 1, got \(options.repeats)") }
        guard options.bootstrap >= 1 else { throw .option("--bootstrap", "expected a whole number >= 1, got \(options.bootstrap)") }
        if options.method == .majority, options.answerFormat == nil, AnswerFormat.forDataset(options.dataset) == nil {
            throw .option("--dataset", "majority vote reads answers by dataset (gpqa: option letter; gsm8k, aime: boxed number); '\(options.dataset)' is none of these, so give --answer-format")
        }
    }

    /// Levels must be whole numbers >= 1, strictly increasing.
    public static func checkLevels(_ levels: [Int]) throws(IngestionError) {
        guard !levels.isEmpty else { throw .option("--levels", "expected at least one level") }
        for (k, l) in levels.enumerated() {
            guard l >= 1 else { throw .option("--levels", "expected whole numbers >= 1, got \(l)") }
            if k > 0, l <= levels[k - 1] {
                throw .option("--levels", "expected strictly increasing levels, got \(levels[k - 1]) then \(l)")
            }
        }
    }

    /// Ingests every run file of `directory`.
    ///
    /// - `progress(done, total)`: bytes read so far over all files, after every chunk.
    /// - `events`: one `.file` summary per file as it is read, and warnings.
    /// - Throws `IngestionError` for bad options, a missing directory, no run files, a
    ///   level above a question's samples, or when no file has a usable question.
    public static func run(directory: String, options: IngestOptions,
                           progress: ((Int, Int) -> Void)? = nil,
                           events: ((IngestionEvent) -> Void)? = nil) throws(IngestionError) -> IngestionResult {
        try validate(options)
        let (files, ignored) = try runFiles(in: directory)
        for n in ignored {
            events?(.warning("\((directory as NSString).appendingPathComponent(n)): ignored: the name is not MODEL--temp-T--samples-S--max-M.jsonl"))
        }
        let format = options.method == .majority ? (options.answerFormat ?? AnswerFormat.forDataset(options.dataset)) : nil
        let levels: [Int]
        switch options.method {
        case .chainOfThought: levels = []
        default: levels = options.levels ?? Curves.defaultLevels(samples: files.map(\.name.samples).min()!)
        }
        let total = files.reduce(0) { $0 + $1.bytes }
        var done = 0
        var result = IngestionResult(points: [], files: [], skippedModels: [])
        for file in files {
            let (table, summary0) = try RunReader.read(path: file.path, name: file.name, method: options.method,
                                                       answerFormat: format) { n in
                done += n
                progress?(done, max(total, done))
            }
            var summary = summary0
            var estimates: [LevelEstimate] = []
            if table.questionCount > 0 {
                switch options.method {
                case .majority, .bestOfN:
                    if let fewest = table.fewestSamples, fewest.count < levels.last! {
                        throw .path(file.path, "level \(levels.last!) needs \(levels.last!) samples per question, but question '\(fewest.qid)' has \(fewest.count) (give --levels up to \(fewest.count))")
                    }
                    estimates = options.method == .majority
                        ? Curves.majority(table, levels: levels, repeats: options.repeats, seed: options.seed)
                        : Curves.bestOfN(table, levels: levels, repeats: options.repeats, seed: options.seed)
                case .chainOfThought:
                    let curve = Curves.chainOfThought(table, bootstrap: options.bootstrap, seed: options.seed)
                    summary.samplesFiltered = curve.samplesFiltered
                    summary.questionsLeftOut = curve.questionsLeftOut
                    estimates = curve.levels
                }
            }
            result.files.append(summary)
            events?(.file(summary))
            guard !estimates.isEmpty else {
                result.skippedModels.append(file.name.model)
                let why = summary.lines == 0 ? " (the file is empty)" : ""
                events?(.warning("\(file.path): model '\(file.name.model)' skipped: no usable questions\(why)"))
                continue
            }
            var price: Double? = nil
            if let prices = options.prices {
                price = prices[file.name.model]
                if price == nil {
                    events?(.warning("\(file.path): model '\(file.name.model)' has no price in the price table; price_per_mtok left empty"))
                }
            }
            for (k, e) in estimates.enumerated() {
                result.points.append(CurvePoint(dataset: options.dataset, method: options.method, model: file.name.model,
                                                levelIndex: k, estimate: e, pricePerMillionTokens: price))
            }
        }
        guard !result.points.isEmpty else {
            throw .path(directory, "no usable questions in any run file (\(files.count) file\(files.count == 1 ? "" : "s") read; see the summaries)")
        }
        return result
    }
}
