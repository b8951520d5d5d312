// Running the real `ttcg` binary: the tests check what a user sees (stdout, stderr,
// exit code), so they go through the process, not the Swift API.

import Foundation
import XCTest

/// The package root, found from this file so tests run from any directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// What one run of `ttcg` produced.
struct RunResult {
    var stdout: String
    var stderr: String
    var status: Int32
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// The binary under test: `$TTCG_BIN`, else the `ttcg` beside the test bundle (built by
/// the same `swift test`), else `.build-cli/release/ttcg` or `.build/release/ttcg`.
func ttcgBinary() throws -> URL {
    let fm = FileManager.default
    var candidates: [URL] = []
    if let env = ProcessInfo.processInfo.environment["TTCG_BIN"], !env.isEmpty {
        candidates.append(URL(fileURLWithPath: env))
    }
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    candidates.append(me.deletingLastPathComponent().appendingPathComponent("ttcg"))
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("ttcg"))
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ttcg"))
    candidates.append(packageRoot.appendingPathComponent(".build-cli/release/ttcg"))
    candidates.append(packageRoot.appendingPathComponent(".build/release/ttcg"))
    for c in candidates {
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: c.path, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: c.path) {
            return c
        }
    }
    throw MissingBinary(message: "ttcg binary not found (run `make test`, or set TTCG_BIN); looked in \(candidates.map(\.path))")
}

/// The end-to-end tests cannot run without the binary: a failure, never a skip.
struct MissingBinary: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs `ttcg` with `arguments` from the package root. Output goes through temporary
/// files, so a large report cannot block the child on a full pipe.
func ttcg(_ arguments: [String]) throws -> RunResult {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = try ttcgBinary()
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    process.waitUntilExit()
    return RunResult(stdout: try String(contentsOf: out, encoding: .utf8),
                     stderr: try String(contentsOf: err, encoding: .utf8),
                     status: process.terminationStatus)
}

/// Writes `text` to a fresh temporary `.yaml` file and returns its path.
func temporaryMarket(_ text: String, name: String = "market") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("\(name).yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// Parses stdout as one JSON object.
func jsonObject(_ result: RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    return try XCTUnwrap(object as? [String: Any], "stdout is not a JSON object", file: file, line: line)
}

extension Dictionary where Key == String, Value == Any {
    func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    func object(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
}
