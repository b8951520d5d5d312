// The results file as a notebook sees it: h5py reads every dataset, xarray (h5netcdf)
// opens each market group with labelled dimensions. Needs the Makefile's venv: `make test`
// sets TTCG_PYTHON to it.

import Foundation
import XCTest

final class PythonResultsTests: XCTestCase {
    func python() throws -> String {
        guard let p = ProcessInfo.processInfo.environment["TTCG_PYTHON"], FileManager.default.isExecutableFile(atPath: p) else {
            throw MissingBinary(message: "TTCG_PYTHON is not set to a python with h5py, xarray and h5netcdf: run `make test` (it creates .venv), or set TTCG_PYTHON=.venv/bin/python")
        }
        return p
    }

    func testH5pyAndXarrayReadTheResults() throws {
        let python = try python()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let h5 = dir.appendingPathComponent("r.h5").path
        let run = try ttcg(["run", "Tests/TTCGCommandsTests/Fixtures/e2e.yaml", "--out", h5])
        XCTAssertEqual(run.status, 0, run.stderr)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [packageRoot.appendingPathComponent("Tests/TTCGCommandsTests/Fixtures/check_results.py").path, h5, "2460"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, output)
        XCTAssertTrue(output.hasPrefix("ok: "), output)
    }
}
