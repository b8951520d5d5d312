// The coordinator's journal (docs/journal.md): records read back bit for bit; a journal cut
// at any byte (a SIGKILL or power loss mid-write) reads back as exactly the records before
// the cut and takes appends again; damage in the middle is refused, damage in the last
// record is a torn tail; a full disk is a clear error that leaves a readable journal;
// resuming another sweep is refused with what differs. Public API only.

import Engine
import Foundation
import GameCore
import Sweep
import XCTest

final class JournalTests: XCTestCase {
    static let spec = """
        markets: [{market: aime/majority, models: [Llama-3.2-3B, Llama-3.1-8B, Qwen2-7B]}]
        axes:
          beta: [1, 10, 100, inf]
          margin: [0.1, 0.25]
          seed: {range: [0, 3]}
        outputs: {chunk: 3, trajectories: {beta: [inf]}}
        """

    private var scratch: JournalScratch!

    override func setUpWithError() throws {
        scratch = try JournalScratch()
    }

    override func tearDown() {
        scratch = nil
    }

    // MARK: Checksum

    func testCRC32CKnownValues() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)   // RFC 3720 B.4
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum(Array(UInt8(0)...UInt8(31))), 0x46DD_794E)
        var g = SeededGenerator(seed: 7)
        let data = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &g) }
        for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
            XCTAssertEqual(CRC32C.checksum(data[cut...], continuing: CRC32C.checksum(data[..<cut])), CRC32C.checksum(data))
        }
    }

    /// The CPU's instruction (when there is one) and the software tables agree on every
    /// length, alignment and continuation.
    func testCRC32CHardwareAgreesWithSoftware() throws {
        try XCTSkipUnless(CRC32C.hardware, "this CPU has no CRC-32C instruction; the software path is the only one")
        var g = SeededGenerator(seed: 11)
        let data = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &g) }
        data.withUnsafeBytes { all in
            for _ in 0..<500 {
                let lo = Int.random(in: 0..<data.count, using: &g), hi = Int.random(in: lo...data.count, using: &g)
                let part = UnsafeRawBufferPointer(rebasing: all[lo..<hi])
                let seed = UInt32.random(in: 0...UInt32.max, using: &g)
                XCTAssertEqual(CRC32C.checksum(part, continuing: seed), CRC32C.software(part, continuing: seed), "bytes \(lo)..<\(hi)")
            }
        }
        XCTAssertEqual(CRC32C.software(UnsafeRawBufferPointer(start: nil, count: 0)), 0)
    }

    // MARK: Snapshots

    /// Snapshots copy the whole partial file: due after the period and 10x the last copy's
    /// cost, and once the results (the journal) doubled or 5 minutes (at least the period) passed.
    func testSnapshotsWaitForTheFileToDoubleOrFiveMinutes() {
        func due(_ since: Double, period: Double = 5, cost: Double = 0.01, _ bytes: Int64, _ last: Int64) -> Bool {
            ResultsSession.snapshotDue(sinceLast: since, period: period, lastCost: cost, bytes: bytes, lastBytes: last)
        }
        XCTAssertTrue(due(5, 200_000_000, 100_000))            // the first minutes: the file doubles fast
        XCTAssertFalse(due(4.9, 200_000_000, 100_000))         // never before the period
        XCTAssertFalse(due(9, cost: 1, 200_000_000, 100_000))  // nor before 10x the last copy's cost
        XCTAssertTrue(due(10, cost: 1, 200_000_000, 100_000))
        XCTAssertFalse(due(60, 1_500_000_000, 1_000_000_000))  // grown by half: not yet
        XCTAssertTrue(due(60, 2_000_000_000, 1_000_000_000))   // doubled
        XCTAssertFalse(due(299, 1_100_000_000, 1_000_000_000))
        XCTAssertTrue(due(300, 1_100_000_000, 1_000_000_000))  // 5 minutes: due whatever the growth
        XCTAssertFalse(due(400, period: 600, 1_100_000_000, 1_000_000_000))
        XCTAssertTrue(due(600, period: 600, 1_100_000_000, 1_000_000_000))
    }

    // MARK: Round trip

    func testRecordsReadBackBitForBit() throws {
        let f = try makeFixture()
        let (recovery, records) = try readAll(f.path)
        XCTAssertEqual(recovery.header, f.header)
        XCTAssertEqual(recovery.records, f.records.count)
        XCTAssertEqual(recovery.results, f.records.count - 1)
        XCTAssertEqual(recovery.failures, 1)
        XCTAssertEqual(recovery.validBytes, UInt64(f.bytes.count))
        XCTAssertEqual(recovery.tornBytes, 0)
        XCTAssertEqual(recovery.duplicates, 0)
        assertSame(records, f.records)
        XCTAssertEqual(try Journal.readHeader(path: f.path), f.header)
        XCTAssertTrue(recovery.summary.hasPrefix(f.path + ": 8 items journaled (7 results, 1 failure)"), recovery.summary)

        // Odd values survive: NaN payloads, signed zeros, extremes, errors, long messages.
        // (Infinities are never results: the block codec refuses them, and so does the journal.)
        let path = scratch.file("odd.journal")
        let header = JournalHeader(specText: "x: 1\n", specHash: sha256Hex("x: 1\n"), profileHashes: [], ttcgVersion: "t", itemCount: 3)
        var block = ResultBlock(start: 10, count: 2, providers: 2)
        block.float64[0] = [Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), -0.0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude]
        block.uint8[0] = [1, 2]
        block.errors = [11: "no equilibrium"]
        let long = String(repeating: "é", count: 40_000)   // 80,000 UTF-8 bytes: cut to the reader's cap
        let w = try JournalWriter.create(path: path, header: header, sync: .everyRecord)
        try w.append(.result(item: 2, block: block))
        try w.append(.failure(item: 0, message: long))
        try w.close()
        var infinite = block
        infinite.float64[0][2] = .infinity
        let w2 = try JournalWriter.create(path: scratch.file("inf.journal"), header: header, sync: .never)
        XCTAssertThrowsError(try w2.append(.result(item: 1, block: infinite)))
        try? w2.close()
        let (_, back) = try readAll(path)
        guard case .result(2, let b) = back[0], case .failure(0, let message) = back[1] else { return XCTFail("\(back)") }
        XCTAssertTrue(b.isIdentical(to: block))
        XCTAssertEqual(b.float64[0][0].bitPattern, 0x7FF8_0000_DEAD_BEEF)
        XCTAssertTrue(message.hasPrefix("éé") && message.hasSuffix("..."))
        XCTAssertLessThanOrEqual(message.utf8.count, 64 << 10)
    }

    // MARK: Crashes at any instant

    /// Cutting the file at every byte of the last two records, and at a sample of bytes
    /// elsewhere, reads back exactly the complete records before the cut; the torn tail is
    /// reported, and after `openForAppend` cut it off, an append reads back after them.
    func testCutAtAnyByteReadsBackThePrefixAndTakesAppends() throws {
        let f = try makeFixture()
        let headerEnd = f.ends[0]
        let n = f.records.count
        var cuts = Array(Int(f.ends[n - 2])...f.bytes.count)
        cuts += stride(from: Int(headerEnd), to: Int(f.ends[n - 2]), by: 13)
        let extra = JournalRecord.failure(item: 7, message: "redone after the crash")
        let path = scratch.file("cut.journal")
        for cut in cuts {
            try Data(f.bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            let complete = f.ends.lastIndex { $0 <= UInt64(cut) }!   // records wholly before the cut
            let (recovery, records) = try readAll(path)
            XCTAssertEqual(recovery.records, complete, "cut at \(cut)")
            XCTAssertEqual(recovery.validBytes, f.ends[complete], "cut at \(cut)")
            XCTAssertEqual(recovery.tornBytes, UInt64(cut) - f.ends[complete], "cut at \(cut)")
            assertSame(records, Array(f.records[..<complete]), "cut at \(cut)")

            let w = try JournalWriter.openForAppend(path: path, afterRecovery: recovery, sync: .never)
            try w.append(extra)
            try w.close()
            let (again, after) = try readAll(path)
            XCTAssertEqual(again.tornBytes, 0, "cut at \(cut)")
            // Item 7 is the last record, so before it, `extra` adds an item; after, a duplicate.
            let expected = Array(f.records[..<complete]) + (complete == n ? [] : [extra])
            assertSame(after, expected, "cut at \(cut)")
            XCTAssertEqual(again.duplicates, complete == n ? 1 : 0)
            if cut % 500 == 0 { print("cut at \(cut): \(recovery.summary)") }
        }
        print("JournalTests: \(cuts.count) cuts of a \(f.bytes.count)-byte journal of \(n) records (the last two of \(f.ends[n - 1] - f.ends[n - 2]) and \(f.ends[n] - f.ends[n - 1]) bytes) read back their prefix and took an append")

        // A cut inside the header is not a journal to resume (it is created whole, by rename).
        for cut in [0, 4, 8, 11, 12, 20, Int(headerEnd) - 1] {
            try Data(f.bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            assertJournalError(.format, path) { _ = try Journal.read(path: path) { _ in } }
        }
    }

    /// Power loss can leave zeros or junk where the last writes should be: a torn tail too.
    func testZeroAndJunkTailsAreTorn() throws {
        let f = try makeFixture()
        var g = SeededGenerator(seed: 3)
        let junk = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &g) }
        for tail in [[UInt8](repeating: 0, count: 4096), junk, [0x02]] {
            let path = scratch.file("tail.journal")
            try Data(f.bytes + tail).write(to: URL(fileURLWithPath: path))
            let (recovery, records) = try readAll(path)
            XCTAssertEqual(recovery.tornBytes, UInt64(tail.count))
            assertSame(records, f.records)
            // Resuming cuts the tail (and flushes) before appending.
            let w = try JournalWriter.openForAppend(path: path, afterRecovery: recovery, sync: .standard)
            try w.append(.failure(item: 7, message: "a duplicate, ignored"))
            try w.close()
            let (again, _) = try readAll(path)
            XCTAssertEqual(again.tornBytes, 0)
            XCTAssertEqual(again.duplicates, 1)
            XCTAssertEqual(try bytes(path).prefix(f.bytes.count), f.bytes[...])
        }
    }

    /// A damaged record with valid records after it is corruption, not a torn write: refused.
    func testDamageInTheMiddleIsRefused() throws {
        let f = try makeFixture()
        let path = scratch.file("flip.journal")
        var g = SeededGenerator(seed: 11)
        let lastStart = Int(f.ends[f.records.count - 1])
        for trial in 0..<300 {
            var bytes = f.bytes
            let at = Int(f.ends[0]) + g.uniform(below: lastStart - Int(f.ends[0]))
            bytes[at] ^= UInt8(1 + g.uniform(below: 255))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = assertJournalError(.corrupt, path, "flip at \(at)") { _ = try Journal.read(path: path) { _ in } }
            if trial == 0, let error { print("JournalTests: damage in the middle: \(error)") }
        }
    }

    /// A damaged last record is indistinguishable from a torn write: dropped, its item redone.
    func testDamagedLastRecordIsATornTail() throws {
        let f = try makeFixture()
        let path = scratch.file("last.journal")
        let n = f.records.count
        let lastStart = Int(f.ends[n - 1])
        var g = SeededGenerator(seed: 5)
        for at in lastStart..<f.bytes.count {
            var bytes = f.bytes
            bytes[at] ^= UInt8(1 + g.uniform(below: 255))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let (recovery, records) = try readAll(path)
            XCTAssertEqual(recovery.records, n - 1, "flip at \(at)")
            XCTAssertEqual(recovery.tornBytes, UInt64(f.bytes.count - lastStart), "flip at \(at)")
            assertSame(records, Array(f.records[..<(n - 1)]), "flip at \(at)")
        }
    }

    func testHeaderProblemsAreFormatErrors() throws {
        let f = try makeFixture()
        let path = scratch.file("header.journal")
        func check(_ bytes: [UInt8], _ text: String, line: UInt = #line) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let e = assertJournalError(.format, path, line: line) { _ = try Journal.read(path: path) { _ in } }
            XCTAssertTrue(e?.description.contains(text) ?? false, "\(e.map(String.init(describing:)) ?? "")", line: line)
            assertJournalError(.format, path, line: line) { _ = try Journal.readHeader(path: path) }
        }
        var b = f.bytes
        b[0] = UInt8(ascii: "X")
        try check(b, "not a ttcg journal")
        b = f.bytes
        b[8] = 2
        try check(b, "journal format version 2; this ttcg reads version 1")
        b = f.bytes
        b[40] ^= 0x10
        try check(b, "the journal header is damaged (checksum mismatch)")
        try check(Array("hello, world\n".utf8), "not a ttcg journal")

        let missing = scratch.file("missing.journal")
        XCTAssertThrowsError(try Journal.read(path: missing) { _ in }) { error in
            XCTAssertEqual((error as? JournalError)?.kind, .system)
            XCTAssertEqual("\(error)", "\(missing): cannot open the journal: No such file or directory")
        }
    }

    func testDuplicatesKeepTheFirstAndItemsOutOfRangeAreRefused() throws {
        let f = try makeFixture()
        // A second journal of the same sweep whose records repeat items 0 and 6: spliced
        // after the first, they are duplicates.
        let other = scratch.file("other.journal")
        let w = try JournalWriter.create(path: other, header: f.header, sync: .never)
        try w.append(.failure(item: 6, message: "a second answer"))
        try w.append(.failure(item: 0, message: "another second answer"))
        try w.close()
        let otherBytes = try bytes(other)
        let path = scratch.file("dup.journal")
        try Data(f.bytes + otherBytes[Int(f.ends[0])...]).write(to: URL(fileURLWithPath: path))
        let (recovery, records) = try readAll(path)
        XCTAssertEqual(recovery.duplicates, 2)
        XCTAssertEqual(recovery.records, f.records.count)
        XCTAssertTrue(recovery.summary.contains("ignored 2 duplicate records"), recovery.summary)
        assertSame(records, f.records)

        // The same records under the header of a sweep with fewer items: out of range.
        var small = f.header
        small.itemCount = 5
        let smallPath = scratch.file("small.journal")
        try JournalWriter.create(path: smallPath, header: small, sync: .never).close()
        let smallBytes = try bytes(smallPath)
        try Data(smallBytes + f.bytes[Int(f.ends[0])...]).write(to: URL(fileURLWithPath: path))
        let e = assertJournalError(.corrupt, path) { _ = try Journal.read(path: path) { _ in } }
        XCTAssertTrue(e?.description.contains("is for item 5, but the journal's sweep has 5 items") ?? false, "\(String(describing: e))")
    }

    // MARK: Writer rules

    func testWriterRules() throws {
        let f = try makeFixture()
        // An existing journal is not replaced unless asked.
        assertJournalError(.usage, f.path) { _ = try JournalWriter.create(path: f.path, header: f.header) }
        // Another writer holds the lock.
        let (recovery, _) = try readAll(f.path)
        let w = try JournalWriter.openForAppend(path: f.path, afterRecovery: recovery, sync: .never)
        assertJournalError(.usage, f.path) { _ = try JournalWriter.openForAppend(path: f.path, afterRecovery: recovery) }
        assertJournalError(.usage, f.path) { _ = try JournalWriter.create(path: f.path, header: f.header, replacing: true) }
        // Items out of range and blocks that would not read back are refused before writing.
        assertJournalError(.usage, f.path) { try w.append(.failure(item: 8, message: "no such item")) }
        var bad = ResultBlock(start: 0, count: 1, providers: 1)
        bad.uint8[0] = [9]   // status 9
        assertJournalError(.usage, f.path) { try w.append(.result(item: 0, block: bad)) }
        try w.close()
        assertJournalError(.usage, f.path) { try w.append(.failure(item: 0, message: "closed")) }
        try w.close()   // twice is fine
        XCTAssertEqual(try bytes(f.path), f.bytes, "refused appends wrote nothing")

        // A journal that grew (or was replaced) since it was read is not appended to blindly.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: f.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: [1, 2, 3])
        try handle.close()
        assertJournalError(.usage, f.path) { _ = try JournalWriter.openForAppend(path: f.path, afterRecovery: recovery) }

        // Replacing: a fresh journal with only the header.
        try JournalWriter.create(path: f.path, header: f.header, replacing: true).close()
        let (fresh, none) = try readAll(f.path)
        XCTAssertEqual(fresh.records, 0)
        XCTAssertEqual(fresh.validBytes, f.ends[0])
        XCTAssertTrue(none.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: f.path + ".tmp"))
    }

    // MARK: Resuming another sweep

    func testCompareSaysWhatDiffers() throws {
        let (plan, _) = try makePlan(Self.spec)
        let header = JournalHeader(plan: plan, ttcgVersion: "1.0.0")
        XCTAssertNil(Journal.compare(header, with: plan))
        XCTAssertNil(Journal.versionNote(header, ttcgVersion: "1.0.0"))
        XCTAssertEqual(Journal.versionNote(header, ttcgVersion: "1.1.0"),
                       "the journal was written by ttcg 1.0.0; resuming with ttcg 1.1.0 (same spec and profiles, so the same numbers)")

        let (other, _) = try makePlan(Self.spec.replacingOccurrences(of: "margin: [0.1, 0.25]", with: "margin: [0.1, 0.3]"))
        XCTAssertEqual(Journal.compare(header, with: other),
                       "the spec differs from the one the journal was written for: line 4: journal has \"  margin: [0.1, 0.25]\", this spec has \"  margin: [0.1, 0.3]\"")
        let (longer, _) = try makePlan(Self.spec + "\n# one more line")
        XCTAssertEqual(Journal.compare(header, with: longer),
                       "the spec differs from the one the journal was written for: line 7: journal has (end of text), this spec has \"# one more line\"")

        var h = header
        h.profileHashes[0] = String(repeating: "0", count: 64)
        let profile = try XCTUnwrap(Journal.compare(h, with: plan))
        XCTAssertTrue(profile.hasPrefix("market 'aime/majority' (markets[0], aime/majority) has other provider profiles than when the journal was written"), profile)
        h = header
        h.profileHashes.append("x")
        XCTAssertEqual(Journal.compare(h, with: plan), "the journal was written for 2 markets, this spec has 1")
        h = header
        h.itemCount = 9
        XCTAssertEqual(Journal.compare(h, with: plan), "the journal was written for 9 work items, this spec makes 8")
        for message in [Journal.compare(h, with: plan), profile, Journal.compare(header, with: other)] {
            XCTAssertFalse(message?.contains("\n") ?? true)
        }
    }

    // MARK: Full disk

    /// `ulimit -f` (RLIMIT_FSIZE) with SIGXFSZ ignored: the append that crosses the limit
    /// fails with "File too large", the journal keeps its complete records, and once the
    /// limit is lifted the sweep resumes and completes.
    func testFileSizeLimitIsAClearErrorAndTheJournalSurvives() throws {
        #if os(Linux)
        let f = try makeFixture()
        let path = scratch.file("limit.journal")
        let header = f.header
        let blocks = f.records
        let w = try JournalWriter.create(path: path, header: header, sync: .everyRecord)
        for r in blocks[..<3] { try w.append(r) }
        let limit = w.size + (f.ends[5] - f.ends[3]) + 100   // room for two more records and a bit

        let previous = signal(SIGXFSZ, SIG_DFL)
        Journal.ignoreFileSizeSignal()
        defer { signal(SIGXFSZ, previous) }
        var failure: JournalError?
        var written = 3
        try withFileSizeLimit(bytes: limit) {
            for r in blocks[3...] {
                do { try w.append(r); written += 1 } catch { failure = error as? JournalError; break }
            }
            // Once failed, the writer takes nothing more, and says why.
            assertJournalError(.usage, path) { try w.append(blocks[7]) }
            XCTAssertNoThrow(try w.close())
        }
        let error = try XCTUnwrap(failure, "the file-size limit was not hit")
        print("JournalTests: file-size limit: \(error)")
        XCTAssertEqual(written, 5)
        XCTAssertEqual(error.kind, .system)
        XCTAssertEqual(error.code, EFBIG)
        XCTAssertTrue(error.description.hasPrefix("\(path): cannot append the record of item \(blocks[5].item): File too large"), "\(error)")
        XCTAssertTrue(error.description.contains("the journal still holds its"), "\(error)")

        // Readable: the complete records, nothing torn (the partial record was cut off).
        let (recovery, records) = try readAll(path)
        XCTAssertEqual(recovery.tornBytes, 0)
        assertSame(records, Array(blocks[..<5]))
        // Space again: resume and finish.
        let resumed = try JournalWriter.openForAppend(path: path, afterRecovery: recovery, sync: .everyRecord)
        for r in blocks[5...] { try resumed.append(r) }
        try resumed.close()
        assertSame(try readAll(path).1, blocks)
        XCTAssertEqual(try bytes(path), f.bytes)
        #endif
    }

    /// A real full filesystem (ENOSPC), when this process may mount a 1 MiB tmpfs (root).
    func testFullFilesystemIsAClearErrorAndTheJournalSurvives() throws {
        let mountPoint = scratch.file("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]) == 0 else {
            print("JournalTests: cannot mount a tmpfs here (needs root); the file-size-limit test covers the full disk")
            return
        }
        defer { _ = runTool("/bin/umount", [mountPoint]) }
        let path = mountPoint + "/R.h5.journal"
        let filler = mountPoint + "/filler"
        try Data(count: 512 << 10).write(to: URL(fileURLWithPath: filler))
        let header = JournalHeader(specText: "s\n", specHash: sha256Hex("s\n"), profileHashes: ["p"], ttcgVersion: "t", itemCount: 64)
        let records = (0..<64).map { JournalRecord.result(item: $0, block: syntheticBlock(seed: UInt64($0), points: 256, providers: 4)) }
        let w = try JournalWriter.create(path: path, header: header, sync: .everyRecord)
        var written = 0
        var failure: JournalError?
        for r in records {
            do { try w.append(r); written += 1 } catch { failure = error; break }
        }
        try w.close()
        let error = try XCTUnwrap(failure, "the tmpfs did not fill")
        print("JournalTests: full tmpfs after \(written) records: \(error)")
        XCTAssertEqual(error.code, ENOSPC)
        XCTAssertTrue(error.description.contains("No space left on device"), "\(error)")
        let (recovery, back) = try readAll(path)
        assertSame(back, Array(records[..<written]))
        // Free space, resume, finish (64 records of ~75 KB do not fit 1 MiB: keep going in rounds).
        try FileManager.default.removeItem(atPath: filler)
        let resumed = try JournalWriter.openForAppend(path: path, afterRecovery: recovery, sync: .everyRecord)
        var more = 0
        for r in records[written...] {
            do { try resumed.append(r); more += 1 } catch { break }
        }
        try resumed.close()
        XCTAssertGreaterThan(more, 0)
        assertSame(try readAll(path).1, Array(records[..<(written + more)]))
    }

    // MARK: Helpers

    private struct Fixture {
        var path: String
        var header: JournalHeader
        var records: [JournalRecord]
        var bytes: [UInt8]
        /// `ends[0]`: end of the header; `ends[k]`: end of record k (1-based).
        var ends: [UInt64]
    }

    /// A journal of the 8 items of `spec` in a scrambled arrival order, item 4 failed; the
    /// last two records (items 6 and 7, at beta = inf) carry trajectories.
    private func makeFixture() throws -> Fixture {
        let (plan, _) = try makePlan(Self.spec)
        XCTAssertEqual(plan.items.count, 8)
        let header = JournalHeader(plan: plan, ttcgVersion: "0.1.0")
        var records: [JournalRecord] = []
        for id in [2, 0, 5, 1, 4, 3, 6, 7] {
            records.append(id == 4 ? .failure(item: 4, message: "invalid settings: a failure message ✓")
                                   : .result(item: id, block: plan.evaluate(plan.items[id], threads: 1)))
        }
        let path = scratch.file("fixture.journal")
        let w = try JournalWriter.create(path: path, header: header, sync: .never)
        var ends = [w.size]
        for r in records {
            try w.append(r)
            ends.append(w.size)
        }
        try w.close()
        guard case .result(_, let last) = records[7] else { throw JournalTestError("fixture") }
        XCTAssertFalse(last.trajectories.isEmpty)
        return Fixture(path: path, header: header, records: records, bytes: try bytes(path), ends: ends)
    }

    private func readAll(_ path: String) throws -> (JournalRecovery, [JournalRecord]) {
        var records: [JournalRecord] = []
        let recovery = try Journal.read(path: path) { records.append($0) }
        return (recovery, records)
    }

    private func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func assertSame(_ a: [JournalRecord], _ b: [JournalRecord], _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "record count \(message)", file: file, line: line)
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case let (.result(i, p), .result(j, q)):
                XCTAssertTrue(i == j && p.isIdentical(to: q), "result of item \(i) vs \(j) \(message)", file: file, line: line)
            case let (.failure(i, m), .failure(j, n)):
                XCTAssertTrue(i == j && m == n, "failure of item \(i) vs \(j) \(message)", file: file, line: line)
            default:
                XCTFail("record of item \(x.item) vs \(y.item) \(message)", file: file, line: line)
            }
        }
    }

    /// Asserts `body` throws a one-line `JournalError` of `kind` about `path`; returns it.
    @discardableResult
    private func assertJournalError(_ kind: JournalError.Kind, _ path: String, _ message: String = "",
                                    file: StaticString = #filePath, line: UInt = #line,
                                    _ body: () throws -> Void) -> JournalError? {
        do {
            try body()
            XCTFail("no error \(message)", file: file, line: line)
        } catch let e as JournalError {
            XCTAssertEqual(e.kind, kind, "\(e) \(message)", file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(path + ": "), "\(e)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "\(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("\(error) \(message)", file: file, line: line)
        }
        return nil
    }

    #if os(Linux)
    /// Runs `body` with the process's soft file-size limit lowered, then restores it.
    private func withFileSizeLimit(bytes: UInt64, _ body: () throws -> Void) throws {
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        guard getrlimit(resource, &saved) == 0 else { throw JournalTestError("getrlimit failed") }
        var limited = saved
        limited.rlim_cur = rlim_t(bytes)
        guard setrlimit(resource, &limited) == 0 else { throw JournalTestError("setrlimit failed") }
        defer { setrlimit(resource, &saved) }
        try body()
    }
    #endif

    private func runTool(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A block of `points` points with every column filled with seeded values (status 0-2,
/// some errors), the size of a real result without trajectories.
private func syntheticBlock(seed: UInt64, points: Int, providers: Int) -> ResultBlock {
    var g = SeededGenerator(seed: seed)
    var b = ResultBlock(start: Int(seed) * points, count: points, providers: providers)
    for i in b.float64.indices { b.float64[i] = b.float64[i].map { _ in Double.random(in: -1...1, using: &g) } }
    for i in b.int32.indices { b.int32[i] = b.int32[i].map { _ in Int32.random(in: -1...1000, using: &g) } }
    for i in b.int64.indices { b.int64[i] = b.int64[i].map { _ in Int64.random(in: -1...100, using: &g) } }
    b.uint8[0] = (0..<points).map { _ in UInt8.random(in: 0...2, using: &g) }
    b.uint8[1] = (0..<points).map { _ in UInt8.random(in: 0...1, using: &g) }
    for p in 0..<points where b.uint8[0][p] == 2 && p % 16 == 0 { b.errors[b.start + p] = "point \(b.start + p) failed" }
    return b
}

private struct JournalTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory, removed with its contents when released.
private final class JournalScratch {
    let path: String
    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("ttcg-journal-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
