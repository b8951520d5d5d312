// Write throughput: result rows per second, a row being 20 values (14 float64,
// 4 int64, 2 uint8) spread over 20 1-D datasets, written in blocks of rows.
// Not timed: it prints the figures (issue 4 asks for >= 1 million rows/s) and checks
// only that the data landed. Run it in release mode:
//   swift test -c release --filter ResultStoreTests.WriteThroughputTests
import Foundation
import ResultStore
import XCTest

final class WriteThroughputTests: XCTestCase {
    private struct Columns {
        var doubles: [[Double]]
        var ints: [[Int64]]
        var flags: [[UInt8]]
    }

    /// One block of plausible values (varied, so compression is not flattered).
    private func block(rows: Int) -> Columns {
        var generator = SystemRandomNumberGenerator()
        let doubles = (0..<14).map { column in
            (0..<rows).map { row in 1 + Double((row * 7919 + column * 104_729) % 10_007) / 10_007 + Double.random(in: 0..<1e-9, using: &generator) }
        }
        let ints = (0..<4).map { column in (0..<rows).map { Int64(($0 + column) % 97) } }
        let flags = (0..<2).map { _ in (0..<rows).map { UInt8($0 % 13 == 0 ? 0 : 1) } }
        return Columns(doubles: doubles, ints: ints, flags: flags)
    }

    /// Writes `totalRows` rows in blocks of `blockRows` and returns rows per second.
    private func measure(totalRows: Int, blockRows: Int, append: Bool, deflate: Int?,
                         in dir: TemporaryDirectory) throws -> (rate: Double, bytes: Int) {
        let path = dir.path("throughput-\(blockRows)-\(append)-\(deflate ?? -1).h5")
        let values = block(rows: blockRows)
        let start = Date()
        let file = try H5File.create(path, mode: .truncate)
        let group = try file.createGroup("market")
        let initial = append ? 0 : totalRows
        let maxDims = append ? [H5Dataset.unlimited] : nil
        let chunk = [65_536]
        let doubleSets = try (0..<14).map {
            try group.createDataset("d\($0)", of: Double.self, dims: [initial], maxDims: maxDims, chunk: chunk, deflate: deflate)
        }
        let intSets = try (0..<4).map {
            try group.createDataset("i\($0)", of: Int64.self, dims: [initial], maxDims: maxDims, chunk: chunk, deflate: deflate)
        }
        let flagSets = try (0..<2).map {
            try group.createDataset("f\($0)", of: UInt8.self, dims: [initial], maxDims: maxDims, chunk: chunk, deflate: deflate)
        }
        var row = 0
        while row < totalRows {
            if append {
                for (dataset, column) in zip(doubleSets, values.doubles) { try dataset.append(column) }
                for (dataset, column) in zip(intSets, values.ints) { try dataset.append(column) }
                for (dataset, column) in zip(flagSets, values.flags) { try dataset.append(column) }
            } else {
                for (dataset, column) in zip(doubleSets, values.doubles) { try dataset.write(column, atRow: row) }
                for (dataset, column) in zip(intSets, values.ints) { try dataset.write(column, atRow: row) }
                for (dataset, column) in zip(flagSets, values.flags) { try dataset.write(column, atRow: row) }
            }
            row += blockRows
        }
        try file.close()
        let seconds = Date().timeIntervalSince(start)
        let bytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        // Spot check: the last block landed.
        let check = try H5File.open(path).openDataset("market/d3")
        XCTAssertEqual(try check.shape(), [totalRows])
        XCTAssertEqual(try check.read(as: Double.self, rows: (totalRows - blockRows)..<totalRows), values.doubles[3])
        try FileManager.default.removeItem(atPath: path)
        return (Double(totalRows) / seconds, bytes)
    }

    func testWriteThroughputIsPrinted() throws {
        let dir = try TemporaryDirectory()
        var lines = ["ResultStore write throughput (20 x 1-D datasets: 14 float64, 4 int64, 2 uint8; chunks of 65,536 rows):"]
        let cases: [(rows: Int, block: Int, append: Bool, deflate: Int?)] = [
            (2_000_000, 1_000, false, nil),
            (2_000_000, 10_000, false, nil),
            (2_000_000, 100_000, false, nil),
            (2_000_000, 10_000, true, nil),
            (1_000_000, 10_000, false, 1),
            (1_000_000, 10_000, false, 4),
        ]
        for item in cases {
            let (rate, bytes) = try measure(totalRows: item.rows, blockRows: item.block, append: item.append,
                                            deflate: item.deflate, in: dir)
            let mode = item.append ? "append  " : "hyperslab"
            let compression = item.deflate.map { "gzip \($0) + shuffle" } ?? "no compression"
            let figures = String(format: "%5.2f M rows/s (%d rows, %.0f MB on disk)",
                                 rate / 1e6, item.rows, Double(bytes) / 1e6)
            lines.append("  \(mode) blocks of \(item.block) rows, \(compression): \(figures)")
        }
        print(lines.joined(separator: "\n"))
    }
}
