// A full disk must produce an HDF5Error, not a crash, and must leave the library
// usable for other files. Two ways to fill the disk:
// - the file-size limit (`ulimit -f`, RLIMIT_FSIZE, SIGXFSZ ignored): write(2) fails
//   with EFBIG where a full disk fails with ENOSPC; works for any user;
// - a real 1 MiB tmpfs (ENOSPC), when this process may mount one (root); otherwise
//   that variant says so and the file-size-limit variant stands for both.
import Foundation
import ResultStore
import XCTest

final class DiskFullTests: XCTestCase {
    func testFileSizeLimitIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        try checkFullDisk(path: dir.path("full.h5"), expecting: "File too large") { body in
            try withFileSizeLimit(bytes: 512 * 1024, body)
        }
    }

    func testFullFilesystemIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        let mountPoint = dir.path("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) == 0 else {
            print("DiskFullTests: cannot mount a tmpfs here (needs root); the file-size-limit test covers the full disk")
            return
        }
        defer { _ = run("/bin/umount", [mountPoint]) }
        try checkFullDisk(path: mountPoint + "/full.h5", expecting: "No space left on device") { body in try body() }
    }

    /// Writes 8 MiB where only about 0.5-1 MiB fit: some call must throw `noSpace`,
    /// `close` must leave the file closed, and HDF5 must still work afterwards.
    private func checkFullDisk(path: String, expecting text: String,
                               limit: (() throws -> Void) throws -> Void) throws {
        let values = [Double](repeating: 1.25, count: 1 << 20)
        var failures: [HDF5Error] = []
        let file = try H5File.create(path)
        let dataset = try file.createDataset("x", of: Double.self, dims: [values.count], chunk: [32_768])
        try file.setAttribute("completed", UInt8(0))
        try file.flush()
        try limit {
            do { try dataset.write(values) } catch let error as HDF5Error { failures.append(error) }
            do { try file.flush() } catch let error as HDF5Error { failures.append(error) }
            do { try file.close() } catch let error as HDF5Error { failures.append(error) }
        }
        for failure in failures { print("disk full: \(failure)") }
        let first = try XCTUnwrap(failures.first, "writing 8 MiB did not fail")
        XCTAssertEqual(first.kind, .noSpace, "\(first)")
        XCTAssertTrue(first.description.hasPrefix("\(path): "), "\(first)")
        XCTAssertTrue(first.description.contains(text), "\(first)")
        let last = try XCTUnwrap(failures.last)
        XCTAssertEqual(last.action, "cannot close file", "\(last)")
        XCTAssertTrue(last.detail.hasSuffix("the file was closed incomplete"), "\(last)")
        XCTAssertFalse(file.isOpen)
        assertHDF5Error(.fileClosed) { try dataset.write(values) }

        // The incomplete file is refused, not shown as complete.
        do {
            _ = try H5File.open(path)
            XCTFail("the incomplete file opened")
        } catch let error as HDF5Error {
            // "truncated file" (the size limit stopped the file short) or "already open
            // for write" (the superblock's mark was never cleared).
            XCTAssertTrue([.inUse, .library].contains(error.kind), "\(error)")
            print("reopening the incomplete file: \(error)")
        }

        // The library is still sound: other files work.
        let dir = try TemporaryDirectory()
        let other = try H5File.create(dir.path("after.h5"))
        try other.createDataset("y", of: Int64.self, dims: [3]).write([Int64(1), 2, 3])
        try other.close()
        XCTAssertEqual(try H5File.open(dir.path("after.h5")).openDataset("y").read(as: Int64.self), [1, 2, 3])
    }

    /// Runs `body` with the process's soft file-size limit lowered, then restores it.
    private func withFileSizeLimit(bytes: UInt64, _ body: () throws -> Void) throws {
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        guard getrlimit(resource, &saved) == 0 else { throw TestSetupError(description: "getrlimit failed") }
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = rlim_t(bytes)
        guard setrlimit(resource, &limited) == 0 else { throw TestSetupError(description: "setrlimit failed") }
        defer {
            setrlimit(resource, &saved)
            signal(SIGXFSZ, previousHandler)
        }
        try body()
    }

    private func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
