// swift-tools-version: 6.1
// Benchmarks of GameCore, kept out of the root package so `swift build` at the root never
// compiles them. Run everything with `bash Benchmarks/run.sh` (or `make bench`).
import PackageDescription
import Foundation

// A path dependency's identity is the last component of its directory, which is "main"
// here but may differ in another clone: derive it from where this manifest lives.
let rootIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .standardizedFileURL.lastPathComponent.lowercased()

let package = Package(
    name: "ttcg-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // MallocInterposer only: the default "RuntimeInterposer" trait pulls in
        // swift-runtime-interposer, which is not mirrored here.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The deterministic markets every case uses (the catalog's GSM8K market, seeded random markets).
        .target(
            name: "BenchSupport",
            dependencies: [.product(name: "GameCore", package: rootIdentity),
                           .product(name: "Profiles", package: rootIdentity)]
        ),
        // The ordo-one/benchmark suite (cases a-d).
        .executableTarget(
            name: "GameCoreBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "GameCore", package: rootIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GameCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Ingestion throughput: MB/s of generated raw-run JSONL on one core (Profiles).
        .executableTarget(
            name: "IngestionBenchmarks",
            dependencies: [
                .product(name: "Profiles", package: rootIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/IngestionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The sweep engine: dispatch over loopback, 1 -> 2 worker scaling, HDF5 rows/s, make run.
        .executableTarget(
            name: "ttcg-engine-bench",
            dependencies: [
                .product(name: "Engine", package: rootIdentity),
                .product(name: "Sweep", package: rootIdentity),
                .product(name: "ResultStore", package: rootIdentity),
                .product(name: "Profiles", package: rootIdentity),
            ]
        ),
        // Sanity prints and the cross-check against numpy_baseline.py.
        .executableTarget(
            name: "ttcg-bench-check",
            dependencies: ["BenchSupport", .product(name: "GameCore", package: rootIdentity)]
        ),
    ]
)
