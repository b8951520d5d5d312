// Cross-checks with the tools researchers use: h5py reads what Swift wrote, xarray with
// the h5netcdf engine sees labelled dimensions, and an h5py SWMR reader sees rows a
// Swift writer appends while it runs.
//
// These need TTCG_PYTHON, a Python with h5py, xarray and h5netcdf (the Makefile
// creates one in .venv). Without it they FAIL with instructions; they never skip.
import Foundation
import ResultStore
import XCTest

final class PythonCrossCheckTests: XCTestCase {
    /// A small results-like layout: one market group with two axes as dimension scales,
    /// result arrays over them, provider names, and string attributes.
    private func writeMarketFile(_ path: String) throws {
        let file = try H5File.create(path)
        try file.setAttribute("format_version", Int64(1))
        try file.setAttribute("spec_yaml", "name: paper\nbeta: [1, 1000, inf]\n")
        try file.setAttribute("markets", ["gsm8k-best-of-n", "math-beam"])
        try file.setAttribute("completed", UInt8(1))
        let market = try file.createGroup("gsm8k-best-of-n")
        try market.setAttribute("dataset", "GSM8K")
        try market.setAttribute("levels", ["n=1", "n=4", "n=16"])
        try market.setAttribute("alpha", 2.5)

        let beta = try market.createDataset("beta", of: Double.self, dims: [3])
        try beta.write([1, 1000, .infinity])
        try beta.makeDimensionScale()
        let seed = try market.createDataset("seed", of: Int64.self, dims: [2])
        try seed.write([Int64(42), 43])
        try seed.makeDimensionScale()
        let provider = try market.createStringDataset("provider", dims: [2])
        try provider.write(strings: ["GPT-4o", "Llama 3.1 70B"])
        try provider.makeDimensionScale()

        let poa = try market.createDataset("poa", of: Double.self, dims: [3, 2], chunk: [2, 2], deflate: 4)
        try poa.write([1.5, 1.25], atRow: 0)
        try poa.write([Double(1.0)], start: [2, 1], count: [1, 1])
        try poa.setAttribute("long_name", "price of anarchy")
        let steps = try market.createDataset("steps", of: Int64.self, dims: [3, 2])
        try steps.write([Int64(3), 4, 5, 6, 7, 8])
        let converged = try market.createDataset("converged", of: UInt8.self, dims: [3, 2])
        try converged.write([UInt8(1), 1, 0, 1, 1, 1])
        let shares = try market.createDataset("eq_share", of: Float.self, dims: [3, 2, 2])
        try shares.write((0..<12).map { Float($0) / 12 })
        let levels = try market.createDataset("eq_level", of: Int32.self, dims: [3, 2, 2])
        try levels.write((0..<12).map { Int32($0 % 3) })
        let status = try market.createStringDataset("error", dims: [3, 2])
        try status.write(strings: ["", "", "", "diverged", "", ""])
        for dataset in [poa, steps, converged, status] {
            try market.attach(scale: beta, to: dataset, dimension: 0)
            try market.attach(scale: seed, to: dataset, dimension: 1)
            try dataset.setDimensionLabel("beta", dimension: 0)
            try dataset.setDimensionLabel("seed", dimension: 1)
        }
        for dataset in [shares, levels] {
            try market.attach(scale: beta, to: dataset, dimension: 0)
            try market.attach(scale: seed, to: dataset, dimension: 1)
            try market.attach(scale: provider, to: dataset, dimension: 2)
        }
        try file.close()
    }

    func testH5pyAndXarrayReadWhatSwiftWrote() throws {
        let python = try requirePython()
        let dir = try TemporaryDirectory()
        let path = dir.path("results.h5")
        try writeMarketFile(path)
        let script = #"""
        import math, sys
        import h5py, numpy as np, xarray as xr
        path = sys.argv[1]
        with h5py.File(path, "r") as f:
            assert f.attrs["format_version"] == 1, f.attrs["format_version"]
            spec = f.attrs["spec_yaml"]
            assert isinstance(spec, str), type(spec)
            assert spec == "name: paper\nbeta: [1, 1000, inf]\n", repr(spec)
            assert list(f.attrs["markets"]) == ["gsm8k-best-of-n", "math-beam"], f.attrs["markets"]
            assert all(isinstance(m, str) for m in f.attrs["markets"])
            assert f.attrs["completed"] == 1
            g = f["gsm8k-best-of-n"]
            assert g.attrs["dataset"] == "GSM8K"
            assert list(g.attrs["levels"]) == ["n=1", "n=4", "n=16"]
            assert g.attrs["alpha"] == 2.5
            poa = g["poa"][...]
            assert poa.dtype == np.float64 and poa.shape == (3, 2)
            assert poa[0, 0] == 1.5 and poa[0, 1] == 1.25 and poa[2, 1] == 1.0, poa
            assert np.isnan(poa[1]).all() and np.isnan(poa[2, 0]), poa
            assert g["poa"].compression == "gzip" and g["poa"].chunks == (2, 2)
            assert g["steps"].dtype == np.int64 and g["steps"][...].tolist() == [[3, 4], [5, 6], [7, 8]]
            assert g["converged"].dtype == np.uint8 and g["converged"][...].sum() == 5
            assert g["eq_share"].dtype == np.float32 and g["eq_share"].shape == (3, 2, 2)
            assert g["eq_level"].dtype == np.int32 and g["eq_level"][2, 1].tolist() == [1, 2]
            names = g["provider"].asstr()[...].tolist()
            assert names == ["GPT-4o", "Llama 3.1 70B"], names
            assert g["error"].asstr()[1, 1] == "diverged"
            assert g["poa"].dims[0].label == "beta" and g["poa"].dims[1].label == "seed"
            assert g["poa"].dims[0][0].name == "/gsm8k-best-of-n/beta"
            assert g["beta"].is_scale
            assert math.isinf(g["beta"][2])
        ds = xr.open_dataset(path, engine="h5netcdf", group="gsm8k-best-of-n")
        try:
            assert ds["poa"].dims == ("beta", "seed"), ds["poa"].dims
            assert ds["eq_share"].dims == ("beta", "seed", "provider"), ds["eq_share"].dims
            assert ds.sizes["beta"] == 3 and ds.sizes["seed"] == 2 and ds.sizes["provider"] == 2
            assert ds["beta"].values[1] == 1000.0 and np.isinf(ds["beta"].values[2])
            assert ds["seed"].values.tolist() == [42, 43]
            assert ds["provider"].values.tolist() == ["GPT-4o", "Llama 3.1 70B"], ds["provider"].values
            assert float(ds["poa"].sel(beta=1.0, seed=43)) == 1.25
            assert int(ds["steps"].sel(beta=1000.0, seed=42)) == 5
            assert ds["error"].sel(beta=1000.0, seed=43).item() == "diverged"
            assert ds.attrs["dataset"] == "GSM8K", ds.attrs
            assert isinstance(ds.attrs["dataset"], str)
            assert ds["poa"].attrs["long_name"] == "price of anarchy"
            assert ds["eq_share"].sel(provider="Llama 3.1 70B").shape == (3, 2)
        finally:
            ds.close()
        print("OK")
        """#
        let run = try runPython(python, script, arguments: [path], in: dir)
        XCTAssertEqual(run.status, 0, run.report)
        XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "OK", run.report)
    }

    func testPythonWrittenFileReadsInSwift() throws {
        // The other direction: fixed-length strings and h5py defaults read correctly.
        let python = try requirePython()
        let dir = try TemporaryDirectory()
        let path = dir.path("from-python.h5")
        let script = #"""
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "w") as f:
            f.attrs["fixed"] = np.bytes_("fixed text")
            f.attrs["vlen"] = "variable ✓"
            f.attrs["ints"] = np.array([1, 2, 3], dtype="i8")
            f.create_dataset("names", data=np.array([b"ab", b"c"], dtype="S4"))
            f.create_dataset("vnames", data=["x", "yz"], dtype=h5py.string_dtype())
            f.create_dataset("m", data=np.arange(6, dtype="f8").reshape(2, 3))
        """#
        let run = try runPython(python, script, arguments: [path], in: dir)
        XCTAssertEqual(run.status, 0, run.report)
        let file = try H5File.open(path)
        XCTAssertEqual(try file.stringAttribute("fixed"), "fixed text")
        XCTAssertEqual(try file.stringAttribute("vlen"), "variable ✓")
        XCTAssertEqual(try file.arrayAttribute("ints", as: Int64.self), [1, 2, 3])
        XCTAssertEqual(try file.openDataset("names").readStrings(), ["ab", "c"])
        XCTAssertEqual(try file.openDataset("vnames").readStrings(), ["x", "yz"])
        XCTAssertEqual(try file.openDataset("m").read(as: Double.self, rows: 1..<2), [3, 4, 5])
    }

    func testSWMRReaderSeesAppendedAndWrittenRows() throws {
        let python = try requirePython()
        let dir = try TemporaryDirectory()
        let path = dir.path("live.h5")
        let file = try H5File.create(path)
        let live = try file.createGroup("live")
        let rows = try live.createDataset("rows", of: Double.self, dims: [0],
                                          maxDims: [H5Dataset.unlimited], chunk: [256])
        let grid = try live.createDataset("grid", of: Double.self, dims: [1000], chunk: [100])
        // Fixed-length: variable-length strings live in the global heap, which SWMR readers
        // cannot follow (see createStringDataset).
        let names = try live.createStringDataset("names", dims: [0], maxDims: [H5Dataset.unlimited], chunk: [64],
                                                 fixedLength: 32)
        try file.setAttribute("completed", UInt8(0))
        try rows.append([1.0, 2, 3])
        try file.startSWMRWrite()
        XCTAssertTrue(file.isSWMRWriting)
        let refused = assertHDF5Error(.invalidArgument) { try live.createDataset("late", of: Double.self, dims: [1]) }
        XCTAssertTrue(refused?.description.contains("SWMR") ?? false)

        let script = #"""
        import json, sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r", libver="latest", swmr=True)
        rows, grid, names = f["live/rows"], f["live/grid"], f["live/names"]
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            for d in (rows, grid, names):
                d.refresh()
            r, g = rows[...], grid[...]
            print(json.dumps({"rows": int(r.shape[0]), "sum": float(r.sum()),
                              "grid_done": int(np.count_nonzero(~np.isnan(g))),
                              "names": [n.decode() for n in names[...]]}), flush=True)
        f.close()
        """#
        let reader = try PythonProcess(python: python, script: script, arguments: [path], directory: dir)
        defer { reader.terminate() }
        XCTAssertEqual(try reader.readJSONLine()["ready"] as? Bool, true, reader.stderrText)

        func poll() throws -> [String: Any] {
            try reader.send("poll")
            return try reader.readJSONLine()
        }
        var state = try poll()
        XCTAssertEqual(state["rows"] as? Int, 3, "\(state) \(reader.stderrText)")
        XCTAssertEqual(state["sum"] as? Double, 6)
        XCTAssertEqual(state["grid_done"] as? Int, 0)

        try rows.append((4...1000).map(Double.init))
        try grid.write([Double](repeating: 0.5, count: 200), atRow: 300)
        try names.append(strings: ["first", "second"])
        try file.flush()
        state = try poll()
        XCTAssertEqual(state["rows"] as? Int, 1000, "\(state)")
        XCTAssertEqual(state["sum"] as? Double, 500_500)
        XCTAssertEqual(state["grid_done"] as? Int, 200)
        XCTAssertEqual(state["names"] as? [String], ["first", "second"])

        try rows.append([Double](repeating: 1, count: 5000))
        try grid.write([Double](repeating: 1, count: 1000))
        try file.flush()
        state = try poll()
        XCTAssertEqual(state["rows"] as? Int, 6000, "\(state)")
        XCTAssertEqual(state["grid_done"] as? Int, 1000)

        // Overwriting an existing attribute is allowed while SWMR writing.
        try file.setAttribute("completed", UInt8(1))
        try reader.send("quit")
        XCTAssertEqual(reader.wait(), 0, reader.stderrText)
        try file.close()
        XCTAssertEqual(try H5File.open(path).attribute("completed", as: UInt8.self), 1)
        XCTAssertEqual(try H5File.open(path).openDataset("live/rows").shape(), [6000])
    }

    func testSwiftSWMRReaderSeesRowsAPythonWriterAppends() throws {
        let python = try requirePython()
        let dir = try TemporaryDirectory()
        let path = dir.path("python-live.h5")
        let script = #"""
        import sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "w", libver="latest")
        d = f.create_dataset("rows", shape=(0,), maxshape=(None,), dtype="f8", chunks=(128,))
        d.resize((10,)); d[:] = np.arange(10.0)
        f.swmr_mode = True
        f.flush()
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            n = d.shape[0]
            d.resize((n + 100,)); d[n:] = 1.0
            f.flush()
            print("grown", flush=True)
        f.close()
        """#
        let writer = try PythonProcess(python: python, script: script, arguments: [path], directory: dir)
        defer { writer.terminate() }
        XCTAssertEqual(try writer.readLine(), "ready", writer.stderrText)
        let file = try H5File.open(path, mode: .swmrRead)
        let rows = try file.openDataset("rows")
        XCTAssertEqual(try rows.read(as: Double.self), (0..<10).map(Double.init))
        try writer.send("grow")
        XCTAssertEqual(try writer.readLine(), "grown")
        try rows.refresh()
        XCTAssertEqual(try rows.shape(), [110])
        XCTAssertEqual(try rows.read(as: Double.self, rows: 100..<110), [Double](repeating: 1, count: 10))
        try writer.send("quit")
        XCTAssertEqual(writer.wait(), 0, writer.stderrText)
    }
}

extension PythonCrossCheckTests {
    func testWriterKilledMidRun() throws {
        // An SWMR writer dies (SIGKILL) after a flush: the file is marked open for
        // writing, ordinary opens say so, an SWMR reader sees the flushed rows, and
        // clearStatusFlags makes it an ordinary file again.
        let python = try requirePython()
        let dir = try TemporaryDirectory()
        let path = dir.path("killed.h5")
        let script = #"""
        import sys, time, h5py, numpy as np
        f = h5py.File(sys.argv[1], "w", libver="latest")
        d = f.create_dataset("rows", shape=(0,), maxshape=(None,), dtype="f8", chunks=(64,))
        f.swmr_mode = True
        d.resize((100,)); d[:] = np.arange(100.0)
        f.flush()
        d.resize((200,)); d[100:] = -1.0  # never flushed
        print("flushed", flush=True)
        time.sleep(60)
        """#
        let writer = try PythonProcess(python: python, script: script, arguments: [path], directory: dir)
        defer { writer.terminate() }
        XCTAssertEqual(try writer.readLine(), "flushed", writer.stderrText)

        let busy = assertHDF5Error(.inUse) { try H5File.open(path) }
        print("file of a running writer: \(busy.map(String.init(describing:)) ?? "-")")
        writer.kill()

        let marked = assertHDF5Error(.inUse) { try H5File.open(path) }
        print("file of a killed writer: \(marked.map(String.init(describing:)) ?? "-")")
        assertHDF5Error(.inUse) { try H5File.open(path, mode: .readWrite) }
        do {
            let rows = try H5File.open(path, mode: .swmrRead).openDataset("rows")
            XCTAssertEqual(try rows.read(as: Double.self, rows: 0..<100), (0..<100).map(Double.init))
        } // closed again here: clearing needs the file closed in this process

        try H5File.clearStatusFlags(path)
        let file = try H5File.open(path, mode: .readWrite)
        XCTAssertEqual(try file.openDataset("rows").read(as: Double.self, rows: 0..<100), (0..<100).map(Double.init))
        try file.openDataset("rows").append([7.0])
        try file.close()
    }
}

/// A Python child process talked to line by line over stdin/stdout.
final class PythonProcess {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private let stderrPath: String
    private var buffer = Data()

    init(python: String, script: String, arguments: [String], directory: TemporaryDirectory) throws {
        stderrPath = directory.path("child-stderr-\(UUID().uuidString.prefix(8)).txt")
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var stderrText: String {
        String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
    }

    func send(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The next line of stdout (blocks; throws at end of output).
    func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                throw TestSetupError(description: "python ended early:\n\(stderrText)")
            }
            buffer.append(chunk)
        }
    }

    func readJSONLine() throws -> [String: Any] {
        let line = try readLine()
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSetupError(description: "not a JSON object: \(line)")
        }
        return object
    }

    func wait() -> Int32 {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// SIGKILL, then wait for the process to end.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
