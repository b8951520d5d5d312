// Every committed fuzz corpus input (Fuzz/corpus/<target>/*: the seeds and the regression
// inputs of crashes found by `make fuzz`) through its fuzz target once, uninstrumented, in
// this process: a crash found once stays fixed. A target's checks stop the process on a
// violation (fatalError), so a failing input takes this test binary down with the target's
// message; the input is named on the line before (`running <target>/<file>`).

import Foundation
import FuzzHarness
import XCTest

final class FuzzCorpusTests: XCTestCase {
    /// Fuzz/corpus of this checkout.
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    /// The inputs of `target`, sorted; fails if its folder is missing or empty.
    func inputs(of target: String) throws -> [URL] {
        let dir = Self.corpus.appendingPathComponent(target)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            XCTFail("\(dir.path): no corpus folder for the fuzz target \(target) (make fuzz-seeds writes the seeds)")
            return []
        }
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertFalse(files.isEmpty, "\(dir.path): the corpus of \(target) is empty")
        return files
    }

    func run(_ target: String) throws {
        guard let body = FuzzTargets.named(target) else { return XCTFail("no fuzz target \(target)") }
        let files = try inputs(of: target)
        var bytes = 0
        for file in files {
            let data = try Data(contentsOf: file)
            // Printed first: if the input crashes the process, the log says which one.
            print("running \(target)/\(file.lastPathComponent) (\(data.count) bytes)")
            data.withUnsafeBytes { body($0) }
            bytes += data.count
        }
        print("\(target): \(files.count) corpus inputs, \(bytes) bytes, no crash")
    }

    func testProtocolDecoder() throws { try run("protocolDecoder") }
    func testJournalReader() throws { try run("journalReader") }
    func testSpecReader() throws { try run("specReader") }
    func testMarketReader() throws { try run("marketReader") }
    func testIngestionScanner() throws { try run("ingestionScanner") }

    /// One test per target, one folder per target, nothing else in Fuzz/corpus.
    func testEveryTargetHasItsCorpusAndOnlyThose() throws {
        let tested = ["protocolDecoder", "journalReader", "specReader", "marketReader", "ingestionScanner"]
        XCTAssertEqual(FuzzTargets.all.map(\.name), tested, "a fuzz target without a test here (or the other way round)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(folders, tested.sorted(), "\(Self.corpus.path) holds other folders than the targets'")
    }
}
