// Where a coordinator's accepted results go, crash-safely (docs/journal.md):
//
//   R.h5.journal   append-only, checksummed: every accepted item, in order. The truth.
//   R.h5.partial   the HDF5 file being written, item by item (derived from the journal).
//   R.h5           what readers open: a snapshot of the partial file, replaced atomically
//                  (copy, clear HDF5's open-for-write flags, rename) every few seconds
//                  with `completed = 0`, and finally the finished file with `completed = 1`.
//
// A crash at any instant leaves the journal (a torn last record is dropped on resume) and
// an R.h5 that is an older, consistent snapshot marked not completed. `--resume` rebuilds
// the partial file from the journal and goes on with the items it lacks.

import Foundation
import Profiles
import ResultStore
import Sweep

public final class ResultsSession: ResultSink {
    public let resultsPath: String
    public let journalPath: String
    public let partialPath: String
    let plan: SweepPlan
    var writer: ResultsWriter
    var journal: JournalWriter
    /// Items with a stored record (result or failure).
    public private(set) var doneItems = Set<Int>()
    /// Minimum seconds between snapshots (see `snapshotDue`).
    public var snapshotSeconds: Double
    /// Told of each snapshot written (the coordinator's event log).
    public var log: @Sendable (String) -> Void = { _ in }
    var lastSnapshot = monotonicSeconds()
    var snapshotCost = 0.0
    /// Bytes of the journal (the results accepted) at the last snapshot.
    var snapshotBytes: Int64 = 0
    var dirty = false

    /// Held from before any file is touched until the session ends: one writer per file.
    let lock: ResultsLock

    init(resultsPath: String, plan: SweepPlan, writer: ResultsWriter, journal: JournalWriter, snapshotSeconds: Double,
         lock: ResultsLock) {
        self.lock = lock
        self.resultsPath = resultsPath
        self.journalPath = Journal.path(forResults: resultsPath)
        self.partialPath = resultsPath + ".partial"
        self.plan = plan
        self.writer = writer
        self.journal = journal
        self.snapshotSeconds = snapshotSeconds
    }

    /// A fresh sweep. Existing results or a journal are refused (exit 2) unless `force`.
    public static func start(resultsPath: String, plan: SweepPlan, ttcgVersion: String, force: Bool,
                             sync: JournalSync = .standard, snapshotSeconds: Double = 5) throws(EngineError) -> ResultsSession {
        let journalPath = Journal.path(forResults: resultsPath), partial = resultsPath + ".partial"
        let fm = FileManager.default
        func refuseExisting() throws(EngineError) {
            if force {
                // --force replaces what ttcg made, nothing else (a spec given as --out, a device).
                for path in [resultsPath, journalPath, partial] {
                    var st = stat()
                    guard lstat(path, &st) == 0 else { continue }
                    guard (st.st_mode & S_IFMT) == S_IFREG else {
                        throw EngineError("\(path): --force replaces only regular files that ttcg wrote; expected a regular file, this is not one: choose another --out", exitCode: 2)
                    }
                }
                if fm.fileExists(atPath: resultsPath) && !ResultsReader.isResultsFile(path: resultsPath) {
                    throw EngineError("\(resultsPath): --force replaces only a ttcg results file; expected an HDF5 file with format = ttcg-results, this is not one: choose another --out", exitCode: 2)
                }
                return
            }
            if fm.fileExists(atPath: journalPath) {
                if ResultsLock.isHeld(resultsPath: resultsPath) { throw ResultsLock.busy(resultsPath) }
                throw EngineError("\(resultsPath): an unfinished sweep's journal is beside it (\(journalPath)); continue it with --resume, or start over with --force", exitCode: 2)
            }
            if fm.fileExists(atPath: resultsPath) {
                if ResultsLock.isHeld(resultsPath: resultsPath) { throw ResultsLock.busy(resultsPath) }
                throw EngineError("\(resultsPath): the results file exists; refusing to overwrite it (use --force)", exitCode: 2)
            }
        }
        // Refused before the lock file is made (nothing is created), and again under the
        // lock (another writer may have started in between).
        try refuseExisting()
        let lock = try ResultsLock(resultsPath: resultsPath)
        try refuseExisting()
        Journal.ignoreFileSizeSignal()
        let journal: JournalWriter
        do {
            journal = try JournalWriter.create(path: journalPath, header: JournalHeader(plan: plan, ttcgVersion: ttcgVersion),
                                               sync: sync, replacing: force)
        } catch {
            throw EngineError("ttcg: \(error)")
        }
        do {
            let writer = try ResultsWriter.create(path: partial, plan: plan, ttcgVersion: ttcgVersion, force: true)
            let session = ResultsSession(resultsPath: resultsPath, plan: plan, writer: writer, journal: journal,
                                         snapshotSeconds: snapshotSeconds, lock: lock)
            try session.snapshot()
            return session
        } catch {
            try? journal.close()
            throw EngineError("ttcg: \(resultsPath): \(error)")
        }
    }

    /// Continues the sweep whose journal is beside `resultsPath`: refuses another spec or
    /// other markets (saying what differs), rebuilds the partial file from the journal.
    public static func resume(resultsPath: String, plan: SweepPlan, ttcgVersion: String,
                              sync: JournalSync = .standard, snapshotSeconds: Double = 5,
                              log: (String) -> Void = { _ in }) throws(EngineError) -> ResultsSession {
        let journalPath = Journal.path(forResults: resultsPath), partial = resultsPath + ".partial"
        guard FileManager.default.fileExists(atPath: journalPath) else {
            throw EngineError("\(journalPath): nothing to resume (no journal beside \(resultsPath)); run without --resume", exitCode: 2)
        }
        // A FIFO or a device there would block the reading, or be replaced by a file.
        for path in [journalPath, partial, resultsPath] {
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw EngineError("\(path): cannot resume: it is not a regular file (a FIFO, a device, a link or a directory); expected the file ttcg wrote, or nothing", exitCode: 2)
            }
        }
        // Before the partial file is rebuilt: a sweep still running keeps its files.
        let lock = try ResultsLock(resultsPath: resultsPath)
        Journal.ignoreFileSizeSignal()
        let header: JournalHeader
        do {
            header = try Journal.readHeader(path: journalPath)
        } catch {
            throw EngineError("ttcg: cannot resume: \(error)", exitCode: 2)
        }
        if let difference = Journal.compare(header, with: plan) {
            throw EngineError("\(journalPath): cannot resume with this spec: \(difference)", exitCode: 2)
        }
        if let note = Journal.versionNote(header, ttcgVersion: ttcgVersion) { log(note) }
        let writer: ResultsWriter
        do {
            writer = try ResultsWriter.create(path: partial, plan: plan, ttcgVersion: ttcgVersion, force: true)
        } catch {
            throw EngineError("ttcg: \(partial): \(error)")
        }
        var done = Set<Int>()
        let recovery: JournalRecovery
        do {
            recovery = try Journal.read(path: journalPath) { record in
                switch record {
                case .result(let item, let block):
                    guard block.start == plan.items[item].start, block.count == plan.items[item].count else {
                        throw EngineError("\(journalPath): item \(item) does not match the plan", exitCode: 2)
                    }
                    try writer.write(block)
                case .failure(let item, let message):
                    try writer.recordFailure(item: plan.items[item], message: message)
                }
                done.insert(record.item)
            }
        } catch let e as EngineError {
            throw e
        } catch let e as JournalError {
            throw EngineError("ttcg: cannot resume: \(e)", exitCode: e.kind == .system ? 1 : 2)
        } catch {
            throw EngineError("ttcg: cannot resume: \(error)")
        }
        log(recovery.summary)
        let journal: JournalWriter
        do {
            journal = try JournalWriter.openForAppend(path: journalPath, afterRecovery: recovery, sync: sync)
        } catch {
            throw EngineError("ttcg: cannot resume: \(error)")
        }
        let session = ResultsSession(resultsPath: resultsPath, plan: plan, writer: writer, journal: journal,
                                     snapshotSeconds: snapshotSeconds, lock: lock)
        session.doneItems = done
        do {
            try session.snapshot()
        } catch {
            throw EngineError("ttcg: \(resultsPath): \(error)")
        }
        return session
    }

    // MARK: ResultSink

    public func write(_ block: ResultBlock, item: WorkItem) throws {
        try journal.append(.result(item: item.id, block: block))   // first the truth
        try store(block, item: item)
    }

    /// As `write(_:item:)`, journaling the block's bytes as the worker sent them.
    public func write(_ block: ResultBlock, encoded: ArraySlice<UInt8>, item: WorkItem) throws {
        try journal.appendResult(item: item.id, encodedBlock: encoded)   // first the truth
        try store(block, item: item)
    }

    func store(_ block: ResultBlock, item: WorkItem) throws {
        try guarded { try writer.write(block) }
        doneItems.insert(item.id)
        dirty = true
        try snapshotIfDue()
    }

    public func recordFailure(item: WorkItem, message: String) throws {
        try journal.append(.failure(item: item.id, message: message))
        try guarded { try writer.recordFailure(item: item, message: message) }
        doneItems.insert(item.id)
        dirty = true
        try snapshotIfDue()
    }

    /// The heartbeat tick: flush the journal when due (results accepted just before a quiet
    /// spell reach the disk within the sync period) and take a snapshot when due.
    public func tick() throws {
        try snapshotIfDue()
    }

    func snapshotIfDue() throws {
        try journal.syncIfDue()
        if dirty, Self.snapshotDue(sinceLast: monotonicSeconds() - lastSnapshot, period: snapshotSeconds,
                                   lastCost: snapshotCost, bytes: Int64(journal.size), lastBytes: snapshotBytes) {
            try guarded { try snapshot() }
        }
    }

    /// Whether a snapshot is due, `sinceLast` seconds after the last one, which cost
    /// `lastCost` seconds when the results accepted (the journal) were `lastBytes`, now
    /// `bytes`. (Not the partial file's size: results staged in memory are not in it yet.)
    ///
    /// A snapshot copies the whole file, so copying it every few seconds would cost more and
    /// more as the file grows (at 1e7 games, gigabytes every few seconds). A snapshot is due
    /// after at least `period` seconds and 10x the last one's cost (so copies take at most
    /// about a tenth of the time), and once the results have doubled since the last copy, or
    /// 5 minutes (at least `period`) have passed: all the copies of a sweep's first minutes
    /// add up to about twice the file, and a long sweep's readers wait 5 minutes at most.
    public static func snapshotDue(sinceLast: Double, period: Double, lastCost: Double,
                                   bytes: Int64, lastBytes: Int64) -> Bool {
        guard sinceLast >= max(period, 10 * lastCost) else { return false }
        return bytes >= 2 * lastBytes || sinceLast >= max(period, 300)
    }

    /// Set once an HDF5 operation failed (a full disk): the partial file is then left alone,
    /// since the journal holds everything and `--resume` rebuilds it.
    var hdf5Failed = false

    func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            hdf5Failed = true
            throw error
        }
    }

    /// Replaces `R.h5` with a consistent copy of the partial file (completed = 0).
    public func snapshot() throws {
        let t0 = monotonicSeconds()
        try writer.flush()
        let tmp = resultsPath + ".snapshot"
        try copyWholeFile(partialPath, to: tmp)
        try H5File.clearStatusFlags(tmp)
        guard rename(tmp, resultsPath) == 0 else {
            throw EngineError("\(resultsPath): cannot replace it with a snapshot: \(String(cString: strerror(errno)))")
        }
        dirty = false
        lastSnapshot = monotonicSeconds()
        snapshotCost = lastSnapshot - t0
        snapshotBytes = Int64(journal.size)
        log("snapshot written: \(jsonQuoted(resultsPath)) (\(String(format: "%.1f", Double(journal.size) / 1e6)) MB of results accepted, copied in \(String(format: "%.3f", snapshotCost)) s)")
    }

    /// The sweep ended: the journal is flushed and closed, the partial file marked completed
    /// and renamed over `R.h5`, and the journal removed (the file is now the whole truth).
    public func finish() throws {
        try journal.close()
        try writer.finish(completed: true)
        guard rename(partialPath, resultsPath) == 0 else {
            throw EngineError("\(resultsPath): cannot move the finished results into place: \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: journalPath)
        lock.release()
    }

    /// A fresh start that never got going (the port was busy...): remove every file it made.
    public func discard() {
        try? journal.close()
        try? writer.close()
        for path in [resultsPath, journalPath, partialPath] { try? FileManager.default.removeItem(atPath: path) }
        lock.release()
    }

    /// The sweep stops unfinished (interrupted, or the disk failed): keep the journal, take a
    /// last snapshot if possible, close everything. `--resume` continues from here.
    ///
    /// After an HDF5 failure the partial file is not touched again: libhdf5 1.10 can crash
    /// closing a file whose writes failed, so the caller should end the process with
    /// `_exit` (`mustExitImmediately`); the journal is closed by then, and resume rebuilds
    /// the partial file from it.
    public func abandon() {
        try? journal.close()
        // (After an HDF5 failure the process ends at once, which lets the lock go.)
        guard !hdf5Failed else { return }
        // Staged results reach the partial file here: if that fails too (the disk that
        // stopped the journal), the file is left alone as after any HDF5 failure.
        if dirty { try? guarded { try snapshot() } }
        guard !hdf5Failed else { return }
        try? guarded { try writer.close() }
        lock.release()
    }

    /// True when an HDF5 write failed: end the process without running HDF5's exit handler.
    public var mustExitImmediately: Bool { hdf5Failed }
}
