// Reading run files: what is kept, what is skipped and counted, duplicates, null rewards,
// empty files, bad options and price tables, and the CSV written.

import Foundation
import GameCore
import Profiles
import XCTest

final class IngestionTests: XCTestCase {
    static let name = RunFileName(model: "M", temperature: "0.7", samples: 2, maxTokens: 512)
    static let good1 = #"{"qid": "q1", "explanations": ["\\boxed{1}", "\\boxed{2}"], "correct": [true, false], "rewards": [0.5, null], "num_tokens": [10, 20]}"#
    static let good2 = #"{"qid": 2, "explanations": ["a", "b"], "correct": [false, false], "rewards": [null, null], "num_tokens": [[3, 30], [4, 40]], "extra": {"x": [1, 2.5e3, "s", null, true]}}"#

    func read(_ lines: [String], method: IngestMethod = .majority, raw: String? = nil,
              maxLineBytes: Int = 256 << 20) throws -> (RunTable, RunFileSummary) {
        let dir = try ingestionTempDirectory(self)
        let path = (dir as NSString).appendingPathComponent(Self.name.fileName)
        try Data((raw ?? lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return try RunReader.read(path: path, name: Self.name, method: method, answerFormat: .boxedNumber,
                                  maxLineBytes: maxLineBytes)
    }

    func testGoodRecords() throws {
        let (t, s) = try read([Self.good1, Self.good2])
        XCTAssertEqual(t.questionCount, 2)
        XCTAssertEqual(t.offsets, [0, 2, 4])
        XCTAssertEqual(t.correct, [true, false, false, false])
        XCTAssertEqual(t.tokens, [10, 20, 30, 40])
        XCTAssertEqual(t.answers, [0, 1, -1, -1])
        XCTAssertEqual(t.distinctAnswers, [2, 0])
        XCTAssertEqual(s.questions, 2)
        XCTAssertEqual(s.skippedLines, 0)
        XCTAssertEqual(s.duplicateQids, 0)
        XCTAssertTrue(s.line.hasSuffix("M--temp-0.7--samples-2--max-512.jsonl: 2 questions from 2 lines, 0 lines skipped, 0 duplicate qids"), s.line)
    }

    func testNullRewardsAreMinusInfinity() throws {
        let (t, _) = try read([Self.good1, Self.good2], method: .bestOfN)
        XCTAssertEqual(t.rewards, [0.5, -.infinity, -.infinity, -.infinity])
        XCTAssertTrue(t.answers.isEmpty)   // not needed for best-of-n
        // Best of 2: q1 picks the 0.5 reward (correct); q2 has only nulls: a random one.
        let e = Curves.bestOfN(t, levels: [1, 2], repeats: 200, seed: 1)
        XCTAssertEqual(e[1].accuracy, 0.5, accuracy: 1e-12)          // (1 + 0) / 2
        XCTAssertEqual(e[0].accuracy, 0.25, accuracy: 0.06)          // (0.5 + 0) / 2
        // Only null rewards: each sample is picked uniformly.
        let allNull = #"{"qid": "n", "correct": [true, false, false, false], "rewards": [null, null, null, null], "num_tokens": [1, 1, 1, 1]}"#
        let (t2, _) = try read([allNull], method: .bestOfN)
        XCTAssertEqual(Curves.bestOfN(t2, levels: [2], repeats: 4000, seed: 2)[0].accuracy, 0.25, accuracy: 0.03)
    }

    func testMajorityTiesAndUnreadableAnswers() throws {
        // 2 votes for 7 (correct), 2 for 8, 3 unreadable: a 2-2 tie, split evenly at theta = 7.
        let tie = #"{"qid": "t", "explanations": ["\\boxed{7}", "\\boxed{7.0}", "\\boxed{8}", "\\boxed{ 8 }", "x", "y", "\\boxed{"], "correct": [true, true, false, false, false, false, false], "num_tokens": [1, 1, 1, 1, 1, 1, 1]}"#
        // Nothing readable: wrong even though a sample is marked correct.
        let none = #"{"qid": "u", "explanations": ["x", "y"], "correct": [true, false], "num_tokens": [1, 1]}"#
        let (t, _) = try read([tie, none])
        XCTAssertEqual(t.answers, [0, 0, 1, 1, -1, -1, -1, -1, -1])
        let e = Curves.majority(t, levels: [1, 2], repeats: 4000, seed: 5)
        XCTAssertEqual(e.map(\.questions), [2, 2])
        let t7 = Curves.majority(try read([tie]).0, levels: [7], repeats: 4000, seed: 5)[0]
        XCTAssertEqual(t7.accuracy, 0.5, accuracy: 0.03)
        let n2 = Curves.majority(try read([none]).0, levels: [2], repeats: 100, seed: 5)[0]
        XCTAssertEqual(n2.accuracy, 0)
    }

    func testBrokenLinesAreSkippedAndCounted() throws {
        let broken: [(String, String)] = [
            ("not json at all", "not JSON: expected '{' at byte 1"),
            (#"{"qid": "a", "correct": [true], "num_tokens": [1]"#, "not JSON: expected ',' or '}'"),
            (#"{"qid": "a", "correct": [true], "num_tokens": [1]} x"#, "unexpected bytes after the object"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true]}"#, "field 'num_tokens': missing"),
            (#"{"explanations": ["x"], "correct": [true], "num_tokens": [1]}"#, "field 'qid': missing"),
            (#"{"qid": "a", "correct": [true], "num_tokens": [1]}"#, "field 'explanations': missing"),
            (#"{"qid": "a", "explanations": ["x", "y"], "correct": [true], "num_tokens": [1]}"#, "field 'explanations': expected 1 entries like 'correct', got 2"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true], "num_tokens": [1, 2]}"#, "field 'num_tokens': expected 1 entries"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [1], "num_tokens": [1]}"#, "field 'correct': expected an array of true/false"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true], "num_tokens": [-1]}"#, "field 'num_tokens'"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true], "num_tokens": [1.5]}"#, "field 'num_tokens'"),
            (#"{"qid": "a", "explanations": [3], "correct": [true], "num_tokens": [1]}"#, "field 'explanations': expected an array of strings"),
            (#"{"qid": [1], "explanations": ["x"], "correct": [true], "num_tokens": [1]}"#, "field 'qid'"),
            (#"{"qid": "a", "qid": "b", "explanations": ["x"], "correct": [true], "num_tokens": [1]}"#, "field 'qid': appears twice"),
            (#"{"qid": "a", "explanations": ["bad \q escape"], "correct": [true], "num_tokens": [1]}"#, "bad escape"),
            ("{\"qid\": \"a\", \"explanations\": [\"raw\ttab\"], \"correct\": [true], \"num_tokens\": [1]}", "control byte"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [], "num_tokens": []}"#, "field 'correct': expected at least one sample"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true], "num_tokens": [01]}"#, "leading zero"),
            (#"{"qid": "a", "explanations": ["x"], "correct": [true], "num_tokens": [1], "other": [1,]}"#, "not JSON"),
            (#"["qid", "a"]"#, "not JSON: expected '{'"),
        ]
        for (line, reason) in broken {
            let (t, s) = try read([line, Self.good1])
            XCTAssertEqual(t.questionCount, 1, line)
            XCTAssertEqual(s.skippedLines, 1, line)
            XCTAssertEqual(s.lines, 2, line)
            XCTAssertTrue(s.firstSkip?.hasPrefix("line 1: ") ?? false, "\(line): \(s.firstSkip ?? "nil")")
            XCTAssertTrue(s.firstSkip?.contains(reason) ?? false, "\(line): \(s.firstSkip ?? "nil")")
        }
        // Rewards are only required by best-of-n; when present they must be well formed.
        let (t, s) = try read([#"{"qid": "a", "correct": [true], "rewards": ["high"], "num_tokens": [1]}"#, Self.good1], method: .bestOfN)
        XCTAssertEqual(t.questionCount, 1)
        XCTAssertTrue(s.firstSkip?.contains("field 'rewards': expected an array of numbers or null") ?? false, s.firstSkip ?? "nil")
        let (t2, s2) = try read([#"{"qid": "a", "correct": [true], "num_tokens": [1]}"#], method: .bestOfN)
        XCTAssertEqual(t2.questionCount, 0)
        XCTAssertTrue(s2.firstSkip?.contains("field 'rewards': missing") ?? false, s2.firstSkip ?? "nil")
    }

    func testDuplicateQidsKeepTheFirst() throws {
        let dup = Self.good1.replacingOccurrences(of: "[true, false]", with: "[false, true]")
        let (t, s) = try read([Self.good1, Self.good2, dup, dup])
        XCTAssertEqual(t.questionCount, 2)
        XCTAssertEqual(t.correct[0 ..< 2], [true, false])
        XCTAssertEqual(s.duplicateQids, 2)
        XCTAssertEqual(s.firstDuplicate, "qid 'q1' at line 3")
        XCTAssertTrue(s.line.contains("0 lines skipped, 2 duplicate qids (first: qid 'q1' at line 3)"), s.line)
    }

    func testLineEndingsBlankLinesAndNoFinalNewline() throws {
        let (t, s) = try read([], raw: "\n" + Self.good1 + "\r\n\n   \n" + Self.good2)
        XCTAssertEqual(t.questionCount, 2)
        XCTAssertEqual(s.lines, 2)
        XCTAssertEqual(s.skippedLines, 0)
    }

    /// Escapes: the box is the last `\boxed{` of the decoded text, whether its backslash
    /// is written `\\` or `\u005c` in the JSON.
    func testEscapesInsideExplanations() throws {
        let line = #"{"qid": "e", "explanations": ["a \"\\boxed{5}\" b", "\u005cboxed{5}", "\\\\boxed{9}", "\\boxed{\"5\"}", "\\boxed{5\u00a0}"], "correct": [true, true, false, false, false], "num_tokens": [1, 1, 1, 1, 1]}"#
        let (t, _) = try read([line])
        // "\\\\boxed{9}" decodes to `\\boxed{9}`, which holds `\boxed{9}` (as a plain
        // substring search of the decoded text would find).
        XCTAssertEqual(t.answers[0], 0)
        XCTAssertEqual(t.answers[1], 0)
        XCTAssertEqual(t.answers[2], 1)
        XCTAssertEqual(t.answers[3], 2)     // "5" with quotes is other text
        XCTAssertEqual(t.answers[4], 3)     // a no-break space is not stripped
        XCTAssertEqual(t.distinctAnswers, [4])
    }

    func testLinesLongerThanTheCapAndAcrossChunks() throws {
        // A 9 MB line (longer than the 4 MB read chunk) between two good lines.
        let big = #"{"qid": "big", "explanations": [""# + String(repeating: "x", count: 9 << 20) + #"\\boxed{3}"], "correct": [true], "num_tokens": [5]}"#
        let one = Self.good1.replacingOccurrences(of: "\"q1\"", with: "\"q0\"")
        let (t, s) = try read([one, big, Self.good1])
        XCTAssertEqual(t.questionCount, 3)
        XCTAssertEqual(s.skippedLines, 0)
        XCTAssertEqual(t.answers[2], 0)
        let (t2, s2) = try read([one, big, Self.good1], maxLineBytes: 1 << 20)
        XCTAssertEqual(t2.questionCount, 2)
        XCTAssertEqual(s2.skippedLines, 1)
        XCTAssertEqual(s2.firstSkip, "line 2: longer than 1048576 bytes")
    }

    // MARK: directories and options

    func testEmptyFilesAndNothingUsable() throws {
        let dir = try ingestionTempDirectory(self)
        try Data().write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("Empty--temp-1--samples-2--max-9.jsonl")))
        try writeRunFile(dir, "Good--temp-1--samples-2--max-9.jsonl", [Self.good1])
        var warnings: [String] = [], files: [String] = []
        let result = try Ingestion.run(directory: dir, options: IngestOptions(dataset: "gsm8k", method: .bestOfN),
                                       events: { e in
                                           switch e {
                                           case .file(let s): files.append(s.line)
                                           case .warning(let w): warnings.append(w)
                                           }
                                       })
        XCTAssertEqual(result.skippedModels, ["Empty"])
        XCTAssertEqual(Set(result.points.map(\.model)), ["Good"])
        XCTAssertEqual(files.count, 2)
        XCTAssertTrue(files[0].contains("Empty--temp-1--samples-2--max-9.jsonl: 0 questions from 0 lines"), files[0])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("model 'Empty' skipped: no usable questions"), warnings[0])
        // Only the empty file: an error naming the directory.
        try FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent("Good--temp-1--samples-2--max-9.jsonl"))
        XCTAssertThrowsError(try Ingestion.run(directory: dir, options: IngestOptions(dataset: "gsm8k", method: .bestOfN))) { e in
            XCTAssertEqual((e as? IngestionError)?.subject, .path(dir))
        }
    }

    func testDirectoryErrors() throws {
        let dir = try ingestionTempDirectory(self)
        func message(_ directory: String, _ o: IngestOptions = IngestOptions(dataset: "gsm8k", method: .majority)) -> String {
            do { _ = try Ingestion.run(directory: directory, options: o); return "no error" } catch { return error.description }
        }
        XCTAssertTrue(message(dir + "/missing").contains("no such directory"))
        try writeRunFile(dir, "notes.jsonl", [Self.good1])
        XCTAssertEqual(message(dir), "\(dir): expected run files named MODEL--temp-T--samples-S--max-M.jsonl, found none (1 .jsonl file with other names, e.g. notes.jsonl)")
        try writeRunFile(dir, "A--temp-1--samples-2--max-9.jsonl", [Self.good1])
        try writeRunFile(dir, "A--temp-0.5--samples-2--max-9.jsonl", [Self.good1])
        XCTAssertTrue(message(dir).contains("got two for model 'A'"))
        XCTAssertTrue(message(dir + "/A--temp-1--samples-2--max-9.jsonl").contains("got a file"))
    }

    func testOptionErrors() {
        func message(_ o: IngestOptions) -> String {
            do { try Ingestion.validate(o); return "valid" } catch { return error.description }
        }
        XCTAssertEqual(message(IngestOptions(dataset: "gsm8k", method: .majority, levels: [1, 4, 4])),
                       "--levels: expected strictly increasing levels, got 4 then 4")
        XCTAssertEqual(message(IngestOptions(dataset: "gsm8k", method: .majority, levels: [0, 4])),
                       "--levels: expected whole numbers >= 1, got 0")
        XCTAssertTrue(message(IngestOptions(dataset: "gsm8k", method: .chainOfThought, levels: [1])).hasPrefix("--levels: expected no levels for chain-of-thought"))
        XCTAssertTrue(message(IngestOptions(dataset: "gsm8k", method: .majority, repeats: 0)).hasPrefix("--repeats:"))
        XCTAssertTrue(message(IngestOptions(dataset: "trivia", method: .majority)).hasPrefix("--dataset: majority vote reads answers by dataset"))
        XCTAssertEqual(message(IngestOptions(dataset: "trivia", method: .majority, answerFormat: .boxedNumber)), "valid")
        XCTAssertEqual(message(IngestOptions(dataset: "trivia", method: .bestOfN)), "valid")
        XCTAssertTrue(message(IngestOptions(dataset: "a,b", method: .bestOfN)).hasPrefix("--dataset: expected a name"))
    }

    func testPriceTable() throws {
        XCTAssertEqual(try PriceTable.parse(csv: "model,price_per_mtok\nA,0.1\n\"B, large\",0.25\n", source: "p.csv"),
                       ["A": 0.1, "B, large": 0.25])
        XCTAssertEqual(try PriceTable.parse(csv: "price_per_mtok,notes,model\n0.5,x,A\n", source: "p.csv"), ["A": 0.5])
        let bad: [(String, String)] = [
            ("", "p.csv: expected a CSV header 'model,price_per_mtok', got an empty file"),
            ("name,price_per_mtok\nA,1\n", "p.csv: field 'model': expected a column 'model' in the header (model,price_per_mtok)"),
            ("model,price\nA,1\n", "p.csv: field 'price_per_mtok': expected a column 'price_per_mtok' in the header (model,price_per_mtok)"),
            ("model,price_per_mtok\nA,cheap\n", "p.csv:2: field 'price_per_mtok': expected a number >= 0 (dollars per 1M tokens), got 'cheap'"),
            ("model,price_per_mtok\nA,-1\n", "p.csv:2: field 'price_per_mtok': expected a number >= 0 (dollars per 1M tokens), got '-1'"),
            ("model,price_per_mtok\nA,1\nA,2\n", "p.csv:3: field 'model': expected each model once, got 'A' again"),
            ("model,price_per_mtok\nA\n", "p.csv:2: expected 2 cells like the header, got 1"),
        ]
        for (text, expected) in bad {
            XCTAssertThrowsError(try PriceTable.parse(csv: text, source: "p.csv"), text) { e in
                XCTAssertEqual((e as? IngestionError)?.description, expected)
            }
        }
    }

    /// The CSV: the catalog's eight columns first, then intervals and questions; the
    /// profile-table loader reads it back as a market.
    func testCSVIsReadBackAsAMarket() throws {
        let dir = try ingestionTempDirectory(self)
        for (model, p) in [("Small", 0.4), ("Large", 0.7)] {
            try SyntheticRun(name: RunFileName(model: model, temperature: "0.7", samples: 8, maxTokens: 512),
                             accuracy: [p], textBytes: 80, seed: 2).write(questions: 40, to: dir)
        }
        var warnings: [String] = []
        let result = try Ingestion.run(directory: dir, options: IngestOptions(dataset: "gsm8k", method: .bestOfN, prices: ["Small": 0.1]),
                                       events: { if case .warning(let w) = $0 { warnings.append(w) } })
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("model 'Small'") == false && warnings[0].contains("model 'Large' has no price"), warnings[0])
        let text = CurveCSV.render(result.points)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(String(lines[0]), "dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok,accuracy_lo,accuracy_hi,tokens_lo,tokens_hi,questions")
        XCTAssertEqual(Array(CurveCSV.columns.prefix(8)), ProfileTable.requiredColumns)
        XCTAssertEqual(lines.count, 1 + 2 * 3)      // levels 1, 4, 8
        XCTAssertTrue(lines[1].hasPrefix("gsm8k,best-of-n,Large,0,1,"), String(lines[1]))
        XCTAssertTrue(lines[1].contains(",,"), "no price for Large: \(lines[1])")
        XCTAssertTrue(lines[4].hasPrefix("gsm8k,best-of-n,Small,0,1,"), String(lines[4]))
        XCTAssertTrue(lines[4].hasSuffix(",40"))
        // With every price known, the lead's loader turns it into one market.
        let priced = try Ingestion.run(directory: dir, options: IngestOptions(dataset: "gsm8k", method: .bestOfN, prices: ["Small": 0.1, "Large": 0.3]))
        let rows = try ProfileTable.parse(csv: CurveCSV.render(priced.points), source: "out.csv")
        let markets = try ProfileTable.markets(rows, source: "out.csv")
        XCTAssertEqual(markets.count, 1)
        XCTAssertEqual(markets[0].providers.map(\.name), ["Large", "Small"])
        XCTAssertEqual(markets[0].levels, ["1", "4", "8"])
    }

    func testAtomicWriteRefusesToOverwrite() throws {
        let dir = try ingestionTempDirectory(self)
        let path = (dir as NSString).appendingPathComponent("out.csv")
        try CurveCSV.write("a\n", to: path, force: false)
        XCTAssertThrowsError(try CurveCSV.write("b\n", to: path, force: false)) { e in
            XCTAssertEqual((e as? IngestionError)?.description, "\(path): refusing to overwrite an existing file (use --force)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "a\n")
        try CurveCSV.write("b\n", to: path, force: true)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "b\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"])   // no temp file left
        XCTAssertThrowsError(try CurveCSV.write("c\n", to: dir + "/missing/out.csv", force: false))
    }
}
