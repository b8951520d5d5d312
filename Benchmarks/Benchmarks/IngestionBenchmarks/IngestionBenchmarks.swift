// Ingestion throughput (ordo-one/benchmark): `ttcg profiles ingest`'s reading of raw-run
// JSONL, in MB/s on one core. Cases and targets: ../../README.md.
//
//   swift package --package-path Benchmarks benchmark --target IngestionBenchmarks

import Benchmark
import Foundation
import Profiles

/// The input: a 64 MB raw-run file of a known model (64 samples of ~600-byte explanations
/// per question, boxed answers, rewards with nulls), written by Profiles' `SyntheticRun`
/// into a temporary directory before a case and removed after it.
enum IngestionInput {
    static let megabytes = 64
    static let name = RunFileName(model: "Bench-8B", temperature: "0.7", samples: 64, maxTokens: 4096)
    static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("ttcg-bench-ingest-\(getpid())").path
    static var path: String { (directory as NSString).appendingPathComponent(name.fileName) }

    /// Writes the file (a fraction of a second) and returns its size in bytes.
    static func create() throws -> Int {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let run = SyntheticRun(name: name, accuracy: [0.4, 0.6, 0.8], textBytes: 600, seed: 1)
        // Small blocks, so the file overshoots 64 MB by less than 1 MB.
        return try run.writeRepeated(to: path, bytes: megabytes * 1_000_000, blockQuestions: 16).bytes
    }

    static func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// MB/s of one iteration, reported next to the wall clock (decimal megabytes).
let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    nonisolated(unsafe) var bytes = 0
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, megabytesPerSecond], timeUnits: .milliseconds,
        warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 15,
        setup: { bytes = try IngestionInput.create() },
        teardown: { IngestionInput.remove() })

    /// Runs `body` once and records its MB/s.
    func measured(_ benchmark: Benchmark, _ body: () throws -> Void) rethrows {
        let start = ContinuousClock.now
        try body()
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        benchmark.measurement(megabytesPerSecond, Int((Double(bytes) / 1e6 / seconds).rounded()))
    }

    // Reading only: the line reader, the JSON scanner and answer extraction (majority vote
    // extracts the last \boxed{} of every explanation, the most work per byte).
    Benchmark("ingest 64 MB JSONL majority, read", configuration: configuration) { benchmark in
        try measured(benchmark) {
            blackHole(try RunReader.read(path: IngestionInput.path, name: IngestionInput.name,
                                         method: .majority, answerFormat: .boxedNumber))
        }
    }

    // The whole library call: reading plus the curve (6 levels x 50 seeded draws per question).
    Benchmark("ingest 64 MB JSONL majority, read + 6 levels x 50 draws", configuration: configuration) { benchmark in
        try measured(benchmark) {
            blackHole(try Ingestion.run(directory: IngestionInput.directory,
                                        options: IngestOptions(dataset: "gsm8k", method: .majority)))
        }
    }
}
