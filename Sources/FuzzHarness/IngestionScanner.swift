// ingestionScanner: the raw-run reader of `ttcg profiles ingest` (`RunReader.read`: the
// line reader and the byte-level JSON record scanner, answer extraction), then the curves
// computed from what it kept (`Curves`); or the price table of `--price-table` (`PriceTable`).

import Profiles

extension FuzzTargets {
    static let runFile = ScratchFile("run.jsonl")

    /// The file name every input is read under: 8 samples per question, at most 4,096 tokens.
    static let runName = RunFileName(model: "fuzz", temperature: "0.6", samples: 8, maxTokens: 4096)

    /// Input: byte 0 chooses the reading, the rest is the run file (JSONL):
    /// - byte 0 mod 3: majority vote, best-of-n, chain-of-thought (what the scanner keeps);
    /// - bit 2: option letters instead of boxed numbers (majority vote);
    /// - bit 3: lines above 64 bytes are too long (the reader's skip path) instead of 256 MiB;
    /// - bit 4: the rest is a price table (`--price-table`, `PriceTable.parse`) instead.
    /// The summary must add up (questions + skipped + duplicates = lines); a table with
    /// questions then goes through the curves of its method, with 3 repeats, and they must
    /// be accuracies in [0, 1] and token counts >= 0.
    public static func ingestionScanner(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        if mode & 16 != 0 {
            priceTable(UnsafeRawBufferPointer(rebasing: data.dropFirst()))
            return
        }
        runFile.write(UnsafeRawBufferPointer(rebasing: data.dropFirst()))
        defer { runFile.remove() }
        let method = IngestMethod.allCases[Int(mode % 3)]
        let format: AnswerFormat = mode & 4 != 0 ? .optionLetter : .boxedNumber
        let table: RunTable, summary: RunFileSummary
        do {
            (table, summary) = try RunReader.read(path: runFile.path, name: runName, method: method,
                                                  answerFormat: format, maxLineBytes: mode & 8 != 0 ? 64 : 256 << 20)
        } catch {
            return
        }
        fuzzCheck(summary.bytes == data.count - 1, "the summary says \(summary.bytes) bytes, the file has \(data.count - 1)")
        fuzzCheck(summary.questions + summary.skippedLines + summary.duplicateQids == summary.lines,
                  "\(summary.questions) questions + \(summary.skippedLines) skipped + \(summary.duplicateQids) duplicates != \(summary.lines) lines")
        fuzzCheck(table.questionCount == summary.questions, "\(table.questionCount) questions kept, \(summary.questions) counted")
        fuzzCheck(table.tokens.count == table.sampleCount, "\(table.tokens.count) token counts for \(table.sampleCount) samples")
        guard table.questionCount > 0, let fewest = table.fewestSamples else { return }
        fuzzCheck(fewest.count >= 1, "question '\(fewest.qid)' kept with no samples")
        let estimates: [LevelEstimate]
        switch method {
        case .majority:
            estimates = Curves.majority(table, levels: Curves.defaultLevels(samples: fewest.count), repeats: 3, seed: 1)
        case .bestOfN:
            estimates = Curves.bestOfN(table, levels: Curves.defaultLevels(samples: fewest.count), repeats: 3, seed: 1)
        case .chainOfThought:
            estimates = Curves.chainOfThought(table, bootstrap: 3, seed: 1).levels
        }
        for e in estimates {
            fuzzCheck(0 <= e.accuracyLow && e.accuracyLow <= e.accuracyHigh && e.accuracyHigh <= 1 && (0...1).contains(e.accuracy),
                      "level \(e.level): accuracy \(e.accuracy) in [\(e.accuracyLow), \(e.accuracyHigh)], not within [0, 1]")
            fuzzCheck(e.tokens.isFinite && e.tokens >= 0 && e.tokensLow <= e.tokensHigh, "level \(e.level): tokens \(e.tokens) in [\(e.tokensLow), \(e.tokensHigh)]")
        }
    }

    /// A price table's prices: one per model named, each a finite number >= 0.
    static func priceTable(_ data: UnsafeRawBufferPointer) {
        guard let text = String(validating: data, as: UTF8.self) else { return }
        guard let prices = try? PriceTable.parse(csv: text, source: "prices.csv") else { return }
        for (model, price) in prices {
            fuzzCheck(!model.isEmpty && price.isFinite && price >= 0, "price table: model '\(model)' at \(price)")
        }
    }
}
