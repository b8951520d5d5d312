// Writes the seed corpus, Fuzz/corpus/<target>/seed-*, from the repository's own fixtures
// (specs, market files, profile tables) and from the encoders and writers of the formats
// that have no text fixtures (protocol messages, journals, raw-run files). Regression inputs
// (Fuzz/corpus/<target>/regress-*) are left alone. Run with `make fuzz-seeds`.
//
//   fuzz-seeds [--out DIR]     (default: Fuzz/corpus of this checkout)

import Engine
import Foundation
import FuzzHarness
import GameCore
import Profiles
import Sweep

let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
var out = root.appendingPathComponent("Fuzz/corpus").path
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    switch a {
    case "--out" where !arguments.isEmpty: out = arguments.removeFirst()
    default:
        FileHandle.standardError.write(Data("usage: fuzz-seeds [--out DIR]\n".utf8))
        exit(2)
    }
}

@MainActor func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz-seeds: \(message)\n".utf8))
    exit(1)
}

@MainActor func repoFile(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else {
        fail("cannot read \(path)")
    }
    return Array(data)
}

@MainActor func repoFiles(_ directory: String, suffix: String, excluding: (String) -> Bool = { _ in false }) -> [(String, [UInt8])] {
    let dir = root.appendingPathComponent(directory).path
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    // Seeds stay small (libFuzzer mutates inputs of up to 4 KB by default): fixtures above
    // 64 KB, such as a generated spec over 4 MiB, are left out.
    return names.filter { $0.hasSuffix(suffix) && !excluding($0) }.map { ($0, repoFile("\(directory)/\($0)")) }
        .filter { $0.1.count <= 64 << 10 }
}

/// Seeds per target: file name (without `seed-`) and bytes.
var seeds: [String: [(String, [UInt8])]] = [:]
@MainActor func seed(_ target: String, _ name: String, _ bytes: [UInt8]) {
    precondition(FuzzTargets.named(target) != nil, "no fuzz target \(target)")
    precondition(!(seeds[target] ?? []).contains { $0.0 == name }, "two seeds named \(name)")
    seeds[target, default: []].append((name, bytes))
}

// MARK: a small real sweep: plan, results, journal

let appendix: Market
do { appendix = try MarketFile.load(path: root.appendingPathComponent("jobs/examples/appendix-a.yaml").path) } catch { fail("\(error)") }
let specText = """
    name: seeds
    markets: [appendix-a.yaml]
    axes:
      beta: [1, inf]
      seed: [1, 2]
    outputs:
      trajectories: true
      chunk: 2

    """
let plan: SweepPlan
do {
    let spec = try SweepSpec.parse(yaml: specText, source: "seeds.yaml")
    plan = try SweepPlan(spec: spec, markets: [appendix])
} catch { fail("\(error)") }
let blocks = plan.items.map { plan.evaluate($0, threads: 1) }
var blockWithError = blocks[0]
blockWithError.errors[blockWithError.start] = "the dynamics did not converge within 10000 rounds"
var blockPlain = blocks[1]
blockPlain.trajectories = []

// MARK: protocolDecoder

let tag = sweepTag(plan.spec.hash)
let messages: [(String, Message)] = [
    ("hello", .hello(Hello(host: "node-1.cluster", pid: 4242, threads: 16))),
    ("welcome", .welcome(Welcome(specHash: plan.spec.hash, specText: specText, specSource: "seeds.yaml",
                                 markets: [MarketFile.renderJSON(appendix)], heartbeatMilliseconds: 1000, timeoutMilliseconds: 10000))),
    ("refuse", .refuse(reason: "protocol version 1; this coordinator speaks version \(protocolVersion)")),
    ("ready", .ready(credit: 4)),
    ("item", .item(sweep: tag, id: 1, attempt: 2)),
    ("result-trajectories", .result(sweep: tag, id: 0, attempt: 1, seconds: 0.25, block: blocks[0])),
    ("result-error", .result(sweep: tag, id: 0, attempt: 1, seconds: 0.5, block: blockWithError)),
    ("result-plain", .result(sweep: tag, id: 1, attempt: 1, seconds: 0.125, block: blockPlain)),
    ("failed", .failed(sweep: tag, id: 1, attempt: 3, seconds: 2, error: "worker ran out of memory")),
    ("revoke", .revoke(sweep: tag, id: 1)),
    ("heartbeat", .heartbeat),
    ("done", .done),
    ("status-request", .statusRequest),
    ("status-reply", .statusReply(json: #"{"items_done": 1, "items_total": 2, "workers": [{"host": "node-1", "pid": 4242}]}"#)),
]
for (name, message) in messages {
    let frames = Codec.encode(message)
    do { _ = try Codec.decode(frames) } catch { fail("the \(name) seed does not decode: \(error)") }
    seed("protocolDecoder", name, FuzzTargets.protocolInput(frames))
}
// Near misses: another protocol version, a missing body frame, an extra frame.
var oldHeader = Codec.encode(.heartbeat)[0]
oldHeader[4] = 1; oldHeader[5] = 0
seed("protocolDecoder", "other-version", FuzzTargets.protocolInput([oldHeader, []]))
seed("protocolDecoder", "one-frame", FuzzTargets.protocolInput([Codec.encode(.ready(credit: 1))[0]]))
seed("protocolDecoder", "three-frames", FuzzTargets.protocolInput(Codec.encode(.ready(credit: 1)) + [[0]]))

// MARK: journalReader (mode byte, then the file)

let journalDir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-fuzz-seeds-\(getpid())").path
try? FileManager.default.createDirectory(atPath: journalDir, withIntermediateDirectories: true)
@MainActor func journal(_ name: String, _ records: [JournalRecord]) -> [UInt8] {
    let path = (journalDir as NSString).appendingPathComponent(name + ".journal")
    do {
        let writer = try JournalWriter.create(path: path, header: JournalHeader(plan: plan, ttcgVersion: "fuzz-seeds"), sync: .never)
        for r in records { try writer.append(r) }
        try writer.close()
        _ = try Journal.read(path: path) { _ in }
    } catch { fail("journal \(name): \(error)") }
    return repoFileAbsolute(path)
}
@MainActor func repoFileAbsolute(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return Array(data)
}
let headerOnly = journal("header-only", [])
let complete = journal("complete", [.result(item: 0, block: blocks[0]), .failure(item: 1, message: "every attempt failed")])
let plain = journal("plain", [.result(item: 1, block: blockPlain)])
let duplicate = journal("duplicate", [.failure(item: 1, message: "first"), .failure(item: 1, message: "again")])
for (name, bytes) in [("header-only", headerOnly), ("complete", complete), ("plain", plain), ("duplicate", duplicate)] {
    seed("journalReader", name + "-sealed", [1] + bytes)
    seed("journalReader", name + "-raw", [0] + bytes)
}
seed("journalReader", "torn-tail-raw", [0] + complete.dropLast(7))
var damaged = complete
damaged[headerOnly.count + 9] ^= 0x40   // inside the first item record: damage in the middle
seed("journalReader", "damaged-middle-raw", [0] + damaged)
seed("journalReader", "empty-raw", [0])
seed("journalReader", "magic-only-raw", [0] + Array("TTCGJRNL".utf8))

// MARK: specReader: every spec of the repository (the deeply nested ones excepted: issue 14, case 2)

for (name, bytes) in repoFiles("jobs", suffix: ".yaml") { seed("specReader", "jobs-" + name, bytes) }
for (name, bytes) in repoFiles("Tests/TTCGCommandsTests/Fixtures", suffix: ".yaml") { seed("specReader", "fixture-" + name, bytes) }
for (name, bytes) in repoFiles("Tests/TTCGCommandsTests/Fixtures/bad", suffix: ".yaml", excluding: { !$0.hasPrefix("spec-") || $0.contains("deep") }) {
    seed("specReader", "bad-" + name, bytes)
}
for (name, bytes) in repoFiles("Benchmarks", suffix: ".yaml") { seed("specReader", "bench-" + name, bytes) }
seed("specReader", "small-grid.yaml", Array(specText.utf8))
seed("specReader", "catalog-grid.yaml", Array("""
    name: catalog-grid
    seed: 7
    markets:
      - gsm8k/best-of-n
      - {market: gpqa/majority, models: [Llama-3-8B], name: gpqa-one}
    axes:
      beta: [{logspace: [0, 3, 4]}, inf]
      margin: [0.1, 0.25]
      alpha: {per_dataset: {gsm8k: 0.008, gpqa: 0.02}, multipliers: [0.5, 1]}
      v0: [0]
      value_curve: [linear, {power: 2}, {exp: -1}]
      seed: {range: [0, 2]}
    dynamics:
      rule: [nearest-improvement, best-response]
      order: [random, round-robin]
      start: [lowest, highest, random]
      tolerance: [1e-8]
      max_rounds: [100]
    outputs:
      trajectories: {beta: [inf]}
      all_equilibria: auto
      all_equilibria_max_profiles: 1000
      chunk: 64

    """.utf8))

// MARK: marketReader (byte 0: 0 YAML text, 1 JSON file, 2 CSV file; +4 an alpha for other datasets)

for (name, bytes) in repoFiles("jobs/examples", suffix: ".yaml") {
    seed("marketReader", "yaml-" + name, [0] + bytes)
}
for (name, bytes) in repoFiles("Tests/TTCGCommandsTests/Fixtures/bad", suffix: ".yaml", excluding: { !$0.hasPrefix("market-") }) {
    seed("marketReader", "yaml-bad-" + name, [0] + bytes)
}
for name in ["gsm8k/best-of-n", "gpqa/majority", "aime/chain-of-thought"] {
    guard let m = Catalog.market(named: name) else { fail("no catalog market \(name)") }
    let file = name.replacingOccurrences(of: "/", with: "-")
    seed("marketReader", "yaml-" + file, [0] + Array(MarketFile.render(m).utf8))
    seed("marketReader", "json-" + file, [1] + Array(MarketFile.renderJSON(m).utf8))
    do { seed("marketReader", "csv-" + file, [2] + Array(try ProfileTable.render([m]).utf8)) } catch { fail("\(error)") }
}
seed("marketReader", "json-appendix-a", [1] + Array(MarketFile.renderJSON(appendix).utf8))
var curved = appendix
curved.name = "appendix \"b\"\tcurved"
curved.settings.valueCurve = .power(gamma: 2)
curved.providers[0].margin = 0.5
seed("marketReader", "yaml-curved", [0] + Array(MarketFile.render(curved).utf8))
seed("marketReader", "json-curved", [1] + Array(MarketFile.renderJSON(curved).utf8))
// The paper's profile table (the catalog's source, data/paper-figures.csv), its first
// markets: a table of several, which a file reference must narrow down with #DATASET/METHOD.
let catalogHead = Catalog.csv.split(separator: "\n", omittingEmptySubsequences: false).prefix(25)
seed("marketReader", "csv-paper-figures-head", [2] + Array((catalogHead.joined(separator: "\n") + "\n").utf8))
for (name, bytes) in repoFiles("Tests/TTCGCommandsTests/Fixtures/bad", suffix: ".csv") {
    seed("marketReader", "csv-bad-" + name, [2] + bytes)
}
seed("marketReader", "csv-other-dataset-alpha", [6] + Array(#"""
    dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok,accuracy_lo,accuracy_hi,tokens_lo,tokens_hi,questions
    math500,"best-of-n",m1,0,1,0.5,100,0.2,0.45,0.55,90,110,500
    math500,"best-of-n",m1,1,4,0.6,400,0.2,0.55,0.65,380,420,500
    math500,"best-of-n","m ""2""",0,1,0.55,120,1.5,,,,,
    math500,"best-of-n","m ""2""",1,4,0.7,480,1.5,,,,,

    """#.utf8))

// MARK: ingestionScanner (byte 0: mod 3 majority, best-of-n, chain-of-thought; +4 option letters; +8 64-byte lines; +16 a price table)

@MainActor func run(_ model: String, accuracy: [Double], thinking: ClosedRange<Int>? = nil, format: AnswerFormat = .boxedNumber) -> SyntheticRun {
    SyntheticRun(name: RunFileName(model: model, temperature: "0.6", samples: 5, maxTokens: 4096), accuracy: accuracy,
                 tokens: 20...300, thinking: thinking, answerFormat: format, textBytes: 40, seed: 3)
}
seed("ingestionScanner", "majority-boxed", [0] + run("m-boxed", accuracy: [0.7, 0.3]).jsonl(questions: 4))
seed("ingestionScanner", "majority-letters", [4] + run("m-letter", accuracy: [0.6], format: .optionLetter).jsonl(questions: 4))
seed("ingestionScanner", "best-of-n", [1] + run("m-bon", accuracy: [0.5, 0.9]).jsonl(questions: 4))
seed("ingestionScanner", "chain-of-thought", [2] + run("m-cot", accuracy: [0.8], thinking: 1...200).jsonl(questions: 3))
let handWritten = #"""
{"qid": "q1", "explanations": ["so \\boxed{1,000}", "\\boxed{\\frac{1}{2}}", "none"], "correct": [true, false, false], "rewards": [0.5, null, -1e3], "num_tokens": [10, 20, 30], "extra": {"a": [1, {"b": null}]}}
{"qid": 7, "explanations": ["\u005cboxed{42}", "The answer is (B)", "\"quoted\" \\boxed{ 3.50 }"], "correct": [false, true, true], "rewards": [1, 2.5e-1, 0], "num_tokens": [[5, 9], [6, 12], [100, 4000]]}

   
{"qid": "q1", "explanations": ["dup"], "correct": [true], "rewards": [1], "num_tokens": [1]}
{"qid": "q2", "explanations": ["a"], "correct": [true, false], "rewards": [1], "num_tokens": [1]}
not json at all
{"qid": "q3", "explanations": ["Answer: C", "answer is D"], "correct": [true, false], "rewards": [0.1, 0.2], "num_tokens": [[6, 7], [8, 9]]}
"""#
for (mode, name) in [(0, "hand-majority"), (1, "hand-best-of-n"), (2, "hand-chain-of-thought"), (4, "hand-letters"), (9, "hand-short-lines")] {
    seed("ingestionScanner", name, [UInt8(mode)] + Array(handWritten.utf8))
}

seed("ingestionScanner", "price-table", [16] + Array(#"""
    model,price_per_mtok,notes
    Llama-3-8B,0.1455,
    "Qwen2.5-7B, instruct", 0.3 ,"says ""hi"""
    GPT-4o,2.5e0,x

    """#.utf8))

// MARK: write

var total = 0
for (target, _) in FuzzTargets.all {
    let dir = (out as NSString).appendingPathComponent(target)
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for old in try FileManager.default.contentsOfDirectory(atPath: dir) where old.hasPrefix("seed-") {
            try FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(old))
        }
        for (name, bytes) in seeds[target] ?? [] {
            let path = (dir as NSString).appendingPathComponent("seed-" + name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            total += bytes.count
        }
    } catch { fail("\(dir): \(error)") }
    print("\(target): \((seeds[target] ?? []).count) seeds")
}
try? FileManager.default.removeItem(atPath: journalDir)
print("fuzz-seeds: \(seeds.values.map(\.count).reduce(0, +)) seeds, \(total) bytes, in \(out)")
