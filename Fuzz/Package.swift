// swift-tools-version: 6.1
// libFuzzer executables around the root package's FuzzHarness (docs/fuzzing.md), kept out
// of the root package so `swift build` and `swift test` at the root never build them.
// `make fuzz` builds them with `--sanitize=fuzzer` (every module of the root package then
// carries libFuzzer's coverage counters) in Fuzz/.build and runs each on Fuzz/corpus/<target>/.
// `make fuzz-seeds` rebuilds the seed corpus with `fuzz-seeds`, an ordinary executable that
// is built without the sanitizer (libFuzzer brings its own `main`).
import PackageDescription
import Foundation

// A path dependency's identity is the last component of its directory, which is "main"
// here but may differ in another clone: derive it from where this manifest lives.
let rootIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .standardizedFileURL.lastPathComponent.lowercased()

/// The fuzz targets, named as in `FuzzTargets.all` and `Fuzz/corpus/`.
let targets = ["protocolDecoder", "journalReader", "specReader", "marketReader", "ingestionScanner"]

let package = Package(
    name: "ttcg-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: targets.map { name in
        // One `LLVMFuzzerTestOneInput` per executable: Sources/fuzz-<target>/Entry.swift.
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "FuzzHarness", package: rootIdentity)]
        )
    } + [
        // Writes Fuzz/corpus/ from the repository's fixtures and from encoders and writers.
        .executableTarget(
            name: "fuzz-seeds",
            dependencies: [
                .product(name: "FuzzHarness", package: rootIdentity),
                .product(name: "Engine", package: rootIdentity),
                .product(name: "Sweep", package: rootIdentity),
                .product(name: "Profiles", package: rootIdentity),
                .product(name: "GameCore", package: rootIdentity),
            ]
        ),
    ]
)
