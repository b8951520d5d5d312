// Datasets: every element type, full and hyperslab writes, extension and appends,
// fill values, strings, compression, and the errors of wrong shapes and types.
import Foundation
import ResultStore
import XCTest

final class DatasetTests: XCTestCase {
    func testEveryNumericTypeRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("types.h5")
        let doubles: [Double] = [0, -1.5, .pi, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let floats: [Float] = [0, -1.5, .pi, .nan, .infinity, .leastNonzeroMagnitude, 3e38, 1]
        let int32s: [Int32] = [0, -1, 1, .min, .max, 42, -42, 7]
        let int64s: [Int64] = [0, -1, 1, .min, .max, 1 << 53 + 1, -42, 7]
        let uint8s: [UInt8] = [0, 1, 1, 0, 255, 2, 0, 1]
        do {
            let file = try H5File.create(path)
            try file.createDataset("d", of: Double.self, dims: [8]).write(doubles)
            try file.createDataset("f", of: Float.self, dims: [8]).write(floats)
            try file.createDataset("i32", of: Int32.self, dims: [8]).write(int32s)
            try file.createDataset("i64", of: Int64.self, dims: [8]).write(int64s)
            try file.createDataset("int", of: Int.self, dims: [8]).write(int64s.map(Int.init))
            try file.createDataset("u8", of: UInt8.self, dims: [8]).write(uint8s)
            try file.createDataset("d2", of: Double.self, dims: [2, 4]).write(doubles)
            try file.createDataset("i3", of: Int32.self, dims: [2, 2, 2]).write(int32s)
        }
        let file = try H5File.open(path)
        assertSameDoubles(try file.openDataset("d").read(as: Double.self), doubles)
        let readFloats = try file.openDataset("f").read(as: Float.self)
        assertSameDoubles(readFloats.map(Double.init), floats.map(Double.init))
        XCTAssertEqual(try file.openDataset("i32").read(as: Int32.self), int32s)
        XCTAssertEqual(try file.openDataset("i64").read(as: Int64.self), int64s)
        XCTAssertEqual(try file.openDataset("int").read(as: Int.self), int64s.map(Int.init))
        XCTAssertEqual(try file.openDataset("u8").read(as: UInt8.self), uint8s)
        XCTAssertEqual(try file.openDataset("i32").read(as: Int64.self), int32s.map(Int64.init))
        XCTAssertEqual(try file.openDataset("u8").read(as: Double.self), uint8s.map(Double.init))
        let d2 = try file.openDataset("d2")
        XCTAssertEqual(d2.rank, 2)
        XCTAssertEqual(try d2.shape(), [2, 4])
        assertSameDoubles(try d2.read(as: Double.self), doubles)
        XCTAssertEqual(try file.openDataset("i3").shape(), [2, 2, 2])
        XCTAssertEqual(try file.openDataset("i3").read(as: Int32.self), int32s)
        let types = try ["d", "f", "i32", "i64", "int", "u8"].map { try file.openDataset($0).elementType }
        XCTAssertEqual(types, [.double, .float, .int32, .int64, .int64, .uint8])
    }

    func testRowBlocksAndHyperslabsLandAtTheRightPlace() throws {
        let dir = try TemporaryDirectory()
        let file = try H5File.create(dir.path("slabs.h5"))
        let oneD = try file.createDataset("poa", of: Double.self, dims: [10], chunk: [3])
        try oneD.write([1, 2, 3], atRow: 4)
        try oneD.write([9], atRow: 9)
        try oneD.write([Double](), atRow: 10) // nothing, at the end: fine
        assertSameDoubles(try oneD.read(as: Double.self),
                          [.nan, .nan, .nan, .nan, 1, 2, 3, .nan, .nan, 9])
        assertSameDoubles(try oneD.read(as: Double.self, rows: 3..<6), [.nan, 1, 2])
        XCTAssertEqual(try oneD.read(as: Double.self, rows: 5..<5), [])

        // 2-D: rows of 3, then a general block in the middle.
        let twoD = try file.createDataset("shares", of: Int64.self, dims: [4, 3], chunk: [2, 2])
        try twoD.write([10, 11, 12, 20, 21, 22], atRow: 1)
        try twoD.write([Int64(99), 98], start: [2, 1], count: [2, 1])
        XCTAssertEqual(try twoD.read(as: Int64.self), [-1, -1, -1,
                                                       10, 11, 12,
                                                       20, 99, 22,
                                                       -1, 98, -1])
        XCTAssertEqual(try twoD.read(as: Int64.self, start: [1, 1], count: [2, 2]), [11, 12, 99, 22])
        XCTAssertEqual(try twoD.read(as: Int64.self, rows: 2..<3), [20, 99, 22])

        // 3-D general block.
        let threeD = try file.createDataset("cube", of: Int32.self, dims: [3, 4, 5])
        let block = (0..<(2 * 2 * 3)).map { Int32($0) }
        try threeD.write(block, start: [1, 2, 1], count: [2, 2, 3])
        let all = try threeD.read(as: Int32.self)
        for i in 0..<3 { for j in 0..<4 { for k in 0..<5 {
            let inside = (1..<3).contains(i) && (2..<4).contains(j) && (1..<4).contains(k)
            let expected: Int32 = inside ? Int32(((i - 1) * 2 + (j - 2)) * 3 + (k - 1)) : -1
            XCTAssertEqual(all[(i * 4 + j) * 5 + k], expected, "[\(i), \(j), \(k)]")
        } } }
        XCTAssertEqual(try threeD.read(as: Int32.self, start: [1, 2, 1], count: [2, 2, 3]), block)
    }

    func testExtendAndAppend() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("append.h5")
        do {
            let file = try H5File.create(path)
            let rows = try file.createDataset("welfare", of: Double.self, dims: [0],
                                              maxDims: [H5Dataset.unlimited], chunk: [4])
            XCTAssertEqual(try rows.maxShape(), [H5Dataset.unlimited])
            XCTAssertEqual(try rows.append([1, 2, 3]), 0..<3)
            XCTAssertEqual(try rows.append([4, 5, 6, 7, 8]), 3..<8)
            XCTAssertEqual(try rows.append([Double]()), 8..<8)
            try rows.extend(toRows: 10)
            XCTAssertEqual(try rows.shape(), [10])
            try rows.write([10], atRow: 9)

            let profile = try file.createDataset("eq_profile", of: Int32.self, dims: [0, 3],
                                                 maxDims: [H5Dataset.unlimited, 3], chunk: [8, 3])
            XCTAssertEqual(try profile.append([Int32(0), 1, 2, 3, 4, 5]), 0..<2)
            XCTAssertEqual(try profile.append([Int32(6), 7, 8]), 2..<3)
            assertHDF5Error(.invalidArgument) { try profile.append([Int32(1), 2]) } // not whole rows

            let bounded = try file.createDataset("bounded", of: Int64.self, dims: [2], maxDims: [3])
            try bounded.append([Int64(5)])
            let error = assertHDF5Error(.invalidArgument) { try bounded.append([Int64(6)]) }
            XCTAssertEqual(error?.description, "\(path): /bounded: cannot append: 3 + 1 rows exceed the maximum of 3 rows")
            assertHDF5Error(.invalidArgument) { try bounded.setExtent([4]) }
            try bounded.setExtent([1]) // shrinking is allowed
            XCTAssertEqual(try bounded.read(as: Int64.self), [-1])

            let names = try file.createStringDataset("names", dims: [0], maxDims: [H5Dataset.unlimited])
            XCTAssertEqual(try names.append(strings: ["a", "b"]), 0..<2)
            XCTAssertEqual(try names.append(strings: ["c"]), 2..<3)
        }
        let file = try H5File.open(path)
        assertSameDoubles(try file.openDataset("welfare").read(as: Double.self), [1, 2, 3, 4, 5, 6, 7, 8, .nan, 10])
        XCTAssertEqual(try file.openDataset("eq_profile").shape(), [3, 3])
        XCTAssertEqual(try file.openDataset("eq_profile").read(as: Int32.self), (0..<9).map(Int32.init))
        XCTAssertEqual(try file.openDataset("names").readStrings(), ["a", "b", "c"])
    }

    func testFillValues() throws {
        let dir = try TemporaryDirectory()
        let file = try H5File.create(dir.path("fill.h5"))
        let d = try file.createDataset("d", of: Double.self, dims: [3])
        let f = try file.createDataset("f", of: Float.self, dims: [3])
        let i32 = try file.createDataset("i32", of: Int32.self, dims: [3])
        let i64 = try file.createDataset("i64", of: Int64.self, dims: [3])
        let u8 = try file.createDataset("u8", of: UInt8.self, dims: [3])
        let custom = try file.createDataset("custom", of: Double.self, dims: [2], fill: -7.5)
        let strings = try file.createStringDataset("s", dims: [2])
        XCTAssertTrue(try d.read(as: Double.self).allSatisfy(\.isNaN))
        XCTAssertTrue(try f.read(as: Float.self).allSatisfy(\.isNaN))
        XCTAssertEqual(try i32.read(as: Int32.self), [-1, -1, -1])
        XCTAssertEqual(try i64.read(as: Int64.self), [-1, -1, -1])
        XCTAssertEqual(try u8.read(as: UInt8.self), [255, 255, 255])
        XCTAssertEqual(try custom.read(as: Double.self), [-7.5, -7.5])
        XCTAssertEqual(try strings.readStrings(), ["", ""])
        // Fill also covers rows an extension adds.
        let grown = try file.createDataset("grown", of: Int64.self, dims: [1], maxDims: [H5Dataset.unlimited])
        try grown.write([Int64(3)])
        try grown.extend(toRows: 3)
        XCTAssertEqual(try grown.read(as: Int64.self), [3, -1, -1])
    }

    func testStringsRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("strings.h5")
        let names = ["GPT-4o", "", "Llama 3.1 70B", "日本語", String(repeating: "x", count: 10_000), "emoji 🎲"]
        do {
            let file = try H5File.create(path)
            try file.createStringDataset("names", dims: [6]).write(strings: names)
            let errors = try file.createStringDataset("errors", dims: [5], chunk: [2], deflate: 4)
            try errors.write(strings: ["timeout", "bad beta"], atRow: 2)
            let grid = try file.createStringDataset("grid", dims: [2, 3])
            try grid.write(strings: ["a", "b", "c", "d", "e", "f"])
            try grid.write(strings: ["X"], start: [1, 1], count: [1, 1])
        }
        let file = try H5File.open(path)
        XCTAssertEqual(try file.openDataset("names").elementType, .string)
        XCTAssertEqual(try file.openDataset("names").readStrings(), names)
        XCTAssertEqual(try file.openDataset("names").readStrings(rows: 2..<4), ["Llama 3.1 70B", "日本語"])
        XCTAssertEqual(try file.openDataset("errors").readStrings(), ["", "", "timeout", "bad beta", ""])
        XCTAssertEqual(try file.openDataset("grid").readStrings(), ["a", "b", "c", "d", "X", "f"])
        XCTAssertEqual(try file.openDataset("grid").readStrings(start: [0, 1], count: [2, 2]), ["b", "c", "X", "f"])
    }

    func testFixedLengthStrings() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("fixed.h5")
        do {
            let file = try H5File.create(path)
            let codes = try file.createStringDataset("codes", dims: [0], maxDims: [H5Dataset.unlimited],
                                                     fixedLength: 8)
            XCTAssertEqual(codes.fixedStringLength, 8)
            try codes.append(strings: ["done", "", "failed", "ünï"]) // "ünï" is 5 bytes
            let error = assertHDF5Error(.invalidArgument) { try codes.append(strings: ["much too long"]) }
            XCTAssertEqual(error?.description,
                           "\(path): /codes: cannot write rows 4..<5: a string of 13 bytes does not fit the fixed length of 8 bytes")
            try codes.write(strings: ["12345678"], atRow: 1)
            assertHDF5Error(.invalidArgument) { try file.createStringDataset("bad", dims: [1], fixedLength: 0) }
        }
        let codes = try H5File.open(path).openDataset("codes")
        XCTAssertEqual(codes.elementType, .string)
        XCTAssertEqual(codes.fixedStringLength, 8)
        // The failed append left one extended row holding the fill value.
        XCTAssertEqual(try codes.readStrings(), ["done", "12345678", "failed", "ünï", ""])
        XCTAssertNil(try H5File.create(dir.path("v.h5")).createStringDataset("v", dims: [1]).fixedStringLength)
    }

    func testCompressionOptionsAndChunks() throws {
        let dir = try TemporaryDirectory()
        let plainPath = dir.path("plain.h5"), gzipPath = dir.path("gzip.h5")
        let values = (0..<200_000).map { Double($0 % 1000) * 0.25 }
        for (path, level) in [(plainPath, nil), (gzipPath, 6)] as [(String, Int?)] {
            let file = try H5File.create(path)
            let dataset = try file.createDataset("x", of: Double.self, dims: [values.count], deflate: level)
            try dataset.write(values)
            try file.close()
        }
        let plainSize = try FileManager.default.attributesOfItem(atPath: plainPath)[.size] as! Int
        let gzipSize = try FileManager.default.attributesOfItem(atPath: gzipPath)[.size] as! Int
        XCTAssertLessThan(gzipSize * 5, plainSize, "gzip \(gzipSize) B vs plain \(plainSize) B")
        XCTAssertEqual(try H5File.open(gzipPath).openDataset("x").read(as: Double.self), values)

        let file = try H5File.create(dir.path("chunks.h5"))
        XCTAssertEqual(try file.createDataset("a", of: Double.self, dims: [10]).chunkShape(), [10])
        XCTAssertEqual(try file.createDataset("b", of: Double.self, dims: [0], maxDims: [H5Dataset.unlimited]).chunkShape(), [32_768])
        XCTAssertEqual(try file.createDataset("c", of: Int32.self, dims: [1000, 3], maxDims: [H5Dataset.unlimited, 3]).chunkShape(), [21_845, 3])
        XCTAssertEqual(try file.createDataset("d", of: Double.self, dims: [5, 7], chunk: [2, 7]).chunkShape(), [2, 7])
        XCTAssertEqual(try file.createDataset("e", of: Double.self, dims: [0]).chunkShape(), [1])
    }

    func testShapeAndTypeErrors() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("errors.h5")
        let file = try H5File.create(path)
        let group = try file.createGroup("gsm8k-best-of-n")
        let poa = try group.createDataset("poa", of: Double.self, dims: [4])
        let duplicate = assertHDF5Error(.invalidArgument) { try group.createDataset("poa", of: Double.self, dims: [4]) }
        XCTAssertEqual(duplicate?.description,
                       "\(path): /gsm8k-best-of-n/poa: cannot create dataset: an object with that name already exists")
        let tooMany = assertHDF5Error(.invalidArgument) { try poa.write([1.0, 2, 3, 4, 5]) }
        XCTAssertEqual(tooMany?.description,
                       "\(path): /gsm8k-best-of-n/poa: cannot write rows 0..<4: 5 values given, the block holds 4")
        let outside = assertHDF5Error(.invalidArgument) { try poa.write([1.0, 2], atRow: 3) }
        XCTAssertEqual(outside?.description,
                       "\(path): /gsm8k-best-of-n/poa: cannot write rows 3..<5: outside the current shape [4]")
        try poa.write([1, 2, 3, 4]) // Int literals into float64: allowed, exact
        XCTAssertEqual(try poa.read(as: Double.self), [1, 2, 3, 4])
        let steps = try group.createDataset("steps", of: Int32.self, dims: [2])
        let wrongType = assertHDF5Error(.invalidArgument) { try steps.write([1.5, 2]) }
        XCTAssertEqual(wrongType?.description,
                       "\(path): /gsm8k-best-of-n/steps: cannot write rows 0..<2: the dataset holds int32, the values are float64")
        assertHDF5Error(.invalidArgument) { try steps.write([Int64(1), 2]) } // no silent narrowing
        assertHDF5Error(.invalidArgument) { try poa.write(strings: ["a", "b", "c", "d"]) }
        assertHDF5Error(.invalidArgument) { try poa.read(as: Int64.self) }
        assertHDF5Error(.invalidArgument) { try poa.readStrings() }
        assertHDF5Error(.invalidArgument) { try poa.read(as: Double.self, start: [0, 0], count: [1, 1]) }
        assertHDF5Error(.invalidArgument) { try poa.append([1.0]) } // fixed size
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: []) }
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: [4], maxDims: [3]) }
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: [4], chunk: [8]) }
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: [4], chunk: [0]) }
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: [4], deflate: 10) }
        assertHDF5Error(.invalidArgument) { try group.createDataset("x", of: Double.self, dims: [4, 2], chunk: [4]) }
        let names = try group.createStringDataset("names", dims: [2])
        assertHDF5Error(.invalidArgument) { try names.read(as: Double.self) }
        assertHDF5Error(.invalidArgument) { try names.write(strings: ["only one"]) }
    }

    func testNestedPathsCreateParentGroups() throws {
        let dir = try TemporaryDirectory()
        let file = try H5File.create(dir.path("paths.h5"))
        let dataset = try file.createDataset("a/b/c", of: Int64.self, dims: [1])
        XCTAssertEqual(dataset.path, "/a/b/c")
        XCTAssertEqual(dataset.name, "c")
        XCTAssertEqual(try file.kind(of: "a/b"), .group)
        let group = try file.openGroup("a")
        XCTAssertEqual(try group.openDataset("b/c").path, "/a/b/c")
        XCTAssertEqual(try group.openDataset("/a/b/c").path, "/a/b/c")
    }
}
