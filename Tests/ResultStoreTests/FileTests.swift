// Files and groups: create, open, modes, nested groups, listing, and the errors of
// missing, foreign and closed files.
import Foundation
import ResultStore
import XCTest

final class FileTests: XCTestCase {
    func testLibraryVersion() {
        print("libhdf5 \(hdf5LibraryVersion)")
        XCTAssertTrue(hdf5LibraryVersion.hasPrefix("1."), hdf5LibraryVersion)
    }

    /// libhdf5 opens files without O_CLOEXEC; a process started afterwards (`ttcg run`'s
    /// workers, with posix_spawn) would hold the results file open. Every open file's
    /// descriptor is marked close-on-exec.
    func testFileDescriptorsCloseOnExec() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("cloexec.h5")
        func flags() throws -> [Int32] {
            let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { name in
                guard let fd = Int32(name),
                      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")) == target else { return nil }
                return fcntl(fd, F_GETFD)
            }
        }
        let created = try H5File.create(path)
        let whenCreated = try flags()
        XCTAssertFalse(whenCreated.isEmpty, "no descriptor of \(path) found")
        XCTAssertTrue(whenCreated.allSatisfy { $0 >= 0 && $0 & FD_CLOEXEC != 0 }, "created: \(whenCreated)")
        try created.close()
        let opened = try H5File.open(path, mode: .readWrite)
        let whenOpened = try flags()
        XCTAssertFalse(whenOpened.isEmpty, "no descriptor of \(path) found")
        XCTAssertTrue(whenOpened.allSatisfy { $0 >= 0 && $0 & FD_CLOEXEC != 0 }, "opened: \(whenOpened)")
        try opened.close()
    }

    func testCreateReopenAndNestedGroups() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("results.h5")
        do {
            let file = try H5File.create(path)
            XCTAssertTrue(file.isOpen)
            XCTAssertEqual(file.path, "/")
            XCTAssertEqual(file.filePath, path)
            let nested = try file.createGroup("market/a/b")
            XCTAssertEqual(nested.path, "/market/a/b")
            XCTAssertEqual(nested.name, "b")
            let market = try file.openGroup("market")
            _ = try market.createGroup("z")
            _ = try market.createGroup("/market/c")
            try market.createDataset("poa", of: Double.self, dims: [3])
            XCTAssertEqual(try market.children(), ["a", "c", "poa", "z"])
            XCTAssertEqual(try file.children(), ["market"])
            XCTAssertEqual(try market.kind(of: "a"), .group)
            XCTAssertEqual(try market.kind(of: "poa"), .dataset)
            XCTAssertTrue(try file.contains("market/a/b"))
            XCTAssertFalse(try file.contains("market/nope/b"))
            XCTAssertFalse(try file.contains("nope"))
            XCTAssertEqual(try file.requireGroup("market/a").path, "/market/a")
            XCTAssertEqual(try file.requireGroup("other/x").path, "/other/x")
            let error = assertHDF5Error(.invalidArgument) { try file.createGroup("market/a") }
            XCTAssertEqual(error?.description,
                           "\(path): /market/a: cannot create group: an object with that name already exists")
            try file.flush()
            try file.close()
            XCTAssertFalse(file.isOpen)
            try file.close() // twice is fine
        }
        let file = try H5File.open(path)
        XCTAssertTrue(file.isReadOnly)
        XCTAssertEqual(try file.openGroup("/market/a/b").path, "/market/a/b")
        XCTAssertEqual(try file.children(), ["market", "other"])
        assertHDF5Error(.objectNotFound) { try file.openGroup("market/missing") }
        assertHDF5Error(.objectNotFound) { try file.openDataset("market/missing") }
        assertHDF5Error(.invalidArgument) { try file.createGroup("new") }
        assertHDF5Error(.invalidArgument) { try file.setAttribute("x", 1.0) }
    }

    func testExclusiveAndTruncate() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("results.h5")
        try H5File.create(path).createGroup("old").setAttribute("v", Int64(1))
        let error = assertHDF5Error(.fileExists) { try H5File.create(path, mode: .exclusive) }
        XCTAssertTrue(error?.description.hasPrefix("\(path): cannot create file: ") ?? false, "\(String(describing: error))")
        print("exclusive create of an existing file: \(error.map(String.init(describing:)) ?? "-")")
        let file = try H5File.create(path, mode: .truncate)
        XCTAssertEqual(try file.children(), [])
    }

    func testMissingFileIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("missing.h5")
        let error = assertHDF5Error(.fileNotFound) { try H5File.open(path) }
        print("missing file: \(error.map(String.init(describing:)) ?? "-")")
        XCTAssertEqual(error?.file, path)
        XCTAssertTrue(error?.description.hasPrefix("\(path): cannot open file: ") ?? false)
        XCTAssertTrue(error?.description.contains("No such file or directory") ?? false)
        assertHDF5Error(.fileNotFound) { try H5File.create(dir.path("no/such/dir/x.h5")) }
    }

    func testNonHDF5FileIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("notes.h5")
        try "beta,poa\n1,1.5\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = assertHDF5Error(.notHDF5) { try H5File.open(path) }
        XCTAssertEqual(error?.description, "\(path): cannot open file: not an HDF5 file (file signature not found)")
        let empty = dir.path("empty.h5")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertHDF5Error(.notHDF5) { try H5File.open(empty) }
        let emptyError = assertHDF5Error(.notHDF5) { try H5File.open(empty, mode: .readWrite) }
        XCTAssertEqual(emptyError?.description, "\(empty): cannot open file: not an HDF5 file (the file is empty)")
    }

    func testClosedFileIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("closed.h5")
        let file = try H5File.create(path)
        let group = try file.createGroup("g")
        let dataset = try group.createDataset("x", of: Double.self, dims: [4], maxDims: [H5Dataset.unlimited])
        try dataset.write([1.0, 2, 3, 4])
        try file.close()
        let error = assertHDF5Error(.fileClosed) { try dataset.write([1.0, 2, 3, 4]) }
        XCTAssertEqual(error?.description, "\(path): /g/x: cannot write: the file is closed")
        assertHDF5Error(.fileClosed) { try dataset.append([5.0]) }
        assertHDF5Error(.fileClosed) { try dataset.read(as: Double.self) }
        assertHDF5Error(.fileClosed) { try dataset.shape() }
        assertHDF5Error(.fileClosed) { try group.createGroup("h") }
        assertHDF5Error(.fileClosed) { try group.setAttribute("a", "b") }
        assertHDF5Error(.fileClosed) { try file.createDataset("y", of: Int64.self, dims: [1]) }
        assertHDF5Error(.fileClosed) { try file.flush() }
        assertHDF5Error(.fileClosed) { try file.startSWMRWrite() }
        // The data written before closing is there.
        XCTAssertEqual(try H5File.open(path).openDataset("g/x").read(as: Double.self), [1, 2, 3, 4])
    }

    func testFileStaysOpenWhileItsObjectsLive() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("dropped.h5")
        var dataset: H5Dataset?
        do {
            let file = try H5File.create(path)
            dataset = try file.createDataset("x", of: Int64.self, dims: [2])
        } // the H5File handle is gone, the dataset still holds the file open
        try dataset?.write([Int64(7), 8])
        XCTAssertEqual(try dataset?.read(as: Int64.self), [7, 8])
        dataset = nil // the last object: the file closes
        XCTAssertEqual(try H5File.open(path).openDataset("x").read(as: Int64.self), [7, 8])
        // Chained calls keep the file open as long as they need it.
        XCTAssertEqual(try H5File.open(path, mode: .readWrite).openDataset("x").shape(), [2])
    }

    func testFilesOnSeveralThreads() throws {
        // The global lock makes concurrent use of different files safe.
        let dir = try TemporaryDirectory()
        let paths = (0..<4).map { dir.path("thread\($0).h5") }
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            do {
                let file = try H5File.create(paths[index])
                let dataset = try file.createDataset("x", of: Double.self, dims: [0],
                                                     maxDims: [H5Dataset.unlimited], chunk: [64])
                for block in 0..<50 {
                    try dataset.append((0..<100).map { Double(block * 100 + $0 + index) })
                }
                try file.close()
            } catch {
                XCTFail("thread \(index): \(error)")
            }
        }
        for (index, path) in paths.enumerated() {
            let values = try H5File.open(path).openDataset("x").read(as: Double.self)
            XCTAssertEqual(values, (0..<5000).map { Double($0 + index) })
        }
    }
}
