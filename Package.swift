// swift-tools-version: 6.1
// ttcg: a distributed parameter-sweep batch engine for test-time compute games.
// Module arrows point one way (see docs/architecture.md):
//   GameCore <- Profiles <- Sweep <- Engine <- TTCGCommands <- ttcg
//   CZeroMQ <- Wire <- Engine ; CHDF5 <- ResultStore <- Engine (sockets and HDF5 stay at the edges);
//   CCRC32C <- Engine (the journal's checksum in hardware).
//   Engine <- FuzzHarness (the fuzz targets, for Fuzz/ and FuzzCorpusTests).
//   Engine <- Monitor (live dashboard and metrics, no I/O) <- DashboardServer (SwiftNIO HTTP) <- TTCGCommands.
import PackageDescription

let package = Package(
    name: "ttcg",
    products: [
        .executable(name: "ttcg", targets: ["ttcg"]),
        .library(name: "GameCore", targets: ["GameCore"]),
        .library(name: "Profiles", targets: ["Profiles"]),
        .library(name: "Sweep", targets: ["Sweep"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "ResultStore", targets: ["ResultStore"]),
        // For Fuzz/, the libFuzzer package beside this one (docs/fuzzing.md).
        .library(name: "FuzzHarness", targets: ["FuzzHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure model of the paper: no I/O, no sockets, no HDF5.
        .target(name: "GameCore"),
        // Provider curves: market files (YAML), later the catalog and ingestion.
        .target(name: "Profiles", dependencies: ["GameCore", .product(name: "Yams", package: "Yams")]),
        // System libraries, with C shims for the macros Swift cannot import.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        // CRC-32C with the CPU's instruction (the journal's checksum; Engine falls back to Swift).
        .target(name: "CCRC32C"),
        // Sweep specs, the grid, work items, and playing the games of an item.
        .target(name: "Sweep", dependencies: ["GameCore", "Profiles", .product(name: "Yams", package: "Yams")]),
        // ZeroMQ sockets in Swift and the framing of ttcg's messages.
        .target(name: "Wire", dependencies: ["CZeroMQ"]),
        // HDF5 files in Swift: files, groups, attributes, chunked datasets, dimension scales.
        .target(name: "ResultStore", dependencies: ["CHDF5", "Sweep", "Profiles", "GameCore"]),
        // Coordinator, worker and the protocol between them.
        .target(name: "Engine", dependencies: ["Sweep", "Wire", "ResultStore", "Profiles", "GameCore", "CCRC32C"]),
        // Monitoring a running sweep: live science, the dashboard's HTML and SVG, the
        // Prometheus exposition, and the board the coordinator publishes to. Pure: no I/O.
        .target(name: "Monitor", dependencies: [
            "Engine", "Sweep", "Profiles", "GameCore",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The dashboard's HTTP/1.1 server (SwiftNIO), on a thread of its own: the edge.
        .target(name: "DashboardServer", dependencies: [
            "Monitor",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The command line: argument parsing and report rendering, no model logic.
        .target(name: "TTCGCommands", dependencies: [
            "GameCore", "Profiles", "Sweep", "Engine", "ResultStore", "Monitor", "DashboardServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttcg", dependencies: ["TTCGCommands"]),
        // The fuzz targets: untrusted bytes into the real readers (docs/fuzzing.md).
        .target(name: "FuzzHarness", dependencies: ["Engine", "Sweep", "Profiles", "GameCore"]),
        .testTarget(name: "GameCoreTests", dependencies: ["GameCore"]),
        .testTarget(name: "ProfilesTests", dependencies: ["Profiles", "GameCore"]),
        .testTarget(name: "SystemLibrariesTests", dependencies: ["CZeroMQ", "CHDF5"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "GameCore", "Profiles"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Sweep", "Wire", "ResultStore", "Profiles", "GameCore"]),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "ResultStoreTests", dependencies: ["ResultStore", "Sweep", "GameCore"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzHarness"]),
        .testTarget(name: "MonitorTests", dependencies: ["Monitor", "Engine", "Sweep", "Profiles", "GameCore"]),
        .testTarget(name: "TTCGCommandsTests", dependencies: ["TTCGCommands", "GameCore", "Profiles", "Sweep", "ResultStore", "Engine", "Wire"]),
    ]
)
