// Helpers for the ResultStore tests: a fresh temporary directory per test, an
// assertion on thrown HDF5Errors, and the Python interpreter used for cross-checks.
import Foundation
import ResultStore
import XCTest

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ttcg-resultstore-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ file: String) -> String { url.appendingPathComponent(file).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Asserts that `body` throws an `HDF5Error` of `kind`, and returns it.
@discardableResult
func assertHDF5Error<T>(_ kind: HDF5Error.Kind, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) -> HDF5Error? {
    do {
        _ = try body()
        XCTFail("expected an HDF5Error of kind \(kind), nothing was thrown", file: file, line: line)
    } catch let error as HDF5Error {
        XCTAssertEqual(error.kind, kind, "wrong kind: \(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "not one line: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected an HDF5Error, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// Two arrays of doubles equal element by element, NaN equal to NaN.
func assertSameDoubles(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "counts differ", file: file, line: line)
    for (index, (x, y)) in zip(a, b).enumerated() where !(x == y || (x.isNaN && y.isNaN)) {
        XCTFail("element \(index): \(x) != \(y)", file: file, line: line)
        return
    }
}

// MARK: - Python

/// How to get a Python for the cross-checks; printed when TTCG_PYTHON is missing.
let pythonSetupHelp = """
    TTCG_PYTHON is not set. The ResultStore cross-checks need a Python with h5py, xarray and \
    h5netcdf. Create one and point TTCG_PYTHON at it, e.g. from the repository root: \
    python3 -m venv .venv && .venv/bin/pip install h5py xarray h5netcdf numpy && \
    export TTCG_PYTHON=$PWD/.venv/bin/python (the Makefile does this for `make test`).
    """

/// A missing test prerequisite; thrown, so XCTest reports the test as failed with this text.
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// The Python interpreter named by TTCG_PYTHON; without it the test fails (it is not
/// skipped) with instructions.
func requirePython() throws -> String {
    guard let python = ProcessInfo.processInfo.environment["TTCG_PYTHON"], !python.isEmpty else {
        throw TestSetupError(description: pythonSetupHelp)
    }
    guard FileManager.default.isExecutableFile(atPath: python) else {
        throw TestSetupError(description: "TTCG_PYTHON=\(python) is not an executable file. \(pythonSetupHelp)")
    }
    return python
}

/// The result of running a Python snippet.
struct PythonRun {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Everything a failure message needs.
    var report: String { "python exited \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)" }
}

/// Runs `script` with `python`, passing `arguments` as sys.argv[1...].
func runPython(_ python: String, _ script: String, arguments: [String] = [],
               in directory: TemporaryDirectory) throws -> PythonRun {
    let errPath = directory.path("python-stderr-\(UUID().uuidString.prefix(8)).txt")
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? errHandle.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = errHandle
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return PythonRun(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}
