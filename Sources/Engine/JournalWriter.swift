// Writing the coordinator's journal (docs/journal.md; the format and reading are in
// Journal.swift): creation that is atomic, one write per record, flushes per JournalSync,
// and a clear refusal after any failed write.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Sweep
import Wire

/// Appends records to a journal: one write(2) per record, fdatasync per `JournalSync`.
/// Not thread-safe: the coordinator's thread owns it. After any failed write or sync it
/// refuses further appends (the file then ends at the last complete record, or with a
/// torn tail the next reader drops); resume to continue.
public final class JournalWriter {
    public let path: String
    public let header: JournalHeader
    public let syncPolicy: JournalSync
    /// Bytes in the file: the end of the last complete record.
    public private(set) var size: UInt64
    /// Records appended by this writer.
    public private(set) var appended = 0

    private var fd: Int32
    private var unsynced = false
    /// The rename that created the journal is not yet known to be durable.
    private var directoryUnsynced = false
    private var lastSync: Double
    private var failure: JournalError?
    private var payload = WireWriter(capacity: 1 << 16)
    private var buffer: [UInt8] = []

    private init(path: String, header: JournalHeader, sync: JournalSync, fd: Int32, size: UInt64) {
        self.path = path
        self.header = header
        self.syncPolicy = sync
        self.fd = fd
        self.size = size
        lastSync = monotonicSeconds()
    }

    deinit {
        if fd >= 0 { _ = systemClose(fd) }
    }

    /// Creates the journal of a new sweep: header written and flushed to a temporary file,
    /// renamed into place (the directory is flushed with the first records, before any is
    /// durable). So a journal either exists with its whole
    /// header or does not exist. Refuses an existing journal unless `replacing` (a fresh
    /// run over old results); never replaces one another process is writing.
    public static func create(path: String, header: JournalHeader, sync: JournalSync = .standard,
                              replacing: Bool = false) throws(JournalError) -> JournalWriter {
        var w = WireWriter(capacity: header.specText.utf8.count + 512)
        JournalFormat.encodeHeader(header, into: &w)
        do {
            _ = try JournalFormat.decodeHeader(w.bytes)   // what is written must read back
        } catch {
            throw JournalError(path: path, kind: .usage, message: "cannot write this journal header: it would not read back (\(error))")
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard replacing else {
                throw JournalError(path: path, kind: .usage, message: "a journal already exists: resume its sweep, or remove it (and its results) to start afresh")
            }
            let existing = open(path, O_RDONLY | O_CLOEXEC)
            if existing >= 0 {
                defer { _ = systemClose(existing) }
                guard flock(existing, LOCK_EX | LOCK_NB) == 0 else { throw busy(path) }
            }
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system(path, "cannot create the journal (\(temporary))", errno) }
        var failed = true
        defer { if failed { _ = systemClose(fd); _ = unlink(temporary) } }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw busy(temporary) }
        guard ftruncate(fd, 0) == 0 else { throw .system(path, "cannot create the journal (\(temporary))", errno) }

        var bytes = JournalFormat.magic
        JournalFormat.appendLE(JournalFormat.version, to: &bytes)
        JournalFormat.frame(kind: .header, payload: w.bytes, into: &bytes)
        if let e = bytes.withUnsafeBytes({ writeAll(fd, [$0]) }) { throw .system(path, "cannot write the journal header", e, advice(e)) }
        if let e = flush(fd) { throw .system(path, "cannot flush the journal header", e, advice(e)) }
        guard rename(temporary, path) == 0 else { throw .system(path, "cannot rename \(temporary) into place", errno) }
        failed = false
        // The directory is flushed with the first records, not here: a power cut before
        // then loses no item, and a flush of the directory costs tens of milliseconds, most
        // of a small sweep's start-up.
        let writer = JournalWriter(path: path, header: header, sync: sync, fd: fd, size: UInt64(bytes.count))
        writer.directoryUnsynced = true
        return writer
    }

    /// Opens the journal `recovery` came from for appending, after cutting its torn tail
    /// (ftruncate to `recovery.validBytes`, flushed unless `.never`). Refuses a journal that is not the
    /// file that was read, or that changed since.
    public static func openForAppend(path: String, afterRecovery recovery: JournalRecovery,
                                     sync: JournalSync = .standard) throws(JournalError) -> JournalWriter {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, "cannot open the journal for appending", errno) }
        var failed = true
        defer { if failed { _ = systemClose(fd) } }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw busy(path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path, "cannot stat the journal", errno) }
        guard UInt64(truncatingIfNeeded: st.st_dev) == recovery.device, UInt64(truncatingIfNeeded: st.st_ino) == recovery.inode else {
            throw JournalError(path: path, kind: .usage, message: "is not the journal that was read (it was replaced meanwhile); read it again")
        }
        let size = UInt64(st.st_size)
        guard size == recovery.validBytes + recovery.tornBytes else {
            throw JournalError(path: path, kind: .usage, message: "changed since it was read (\(recovery.validBytes + recovery.tornBytes) bytes then, \(size) now); is another ttcg writing it? Read it again")
        }
        if size > recovery.validBytes {
            guard ftruncate(fd, off_t(recovery.validBytes)) == 0 else {
                throw .system(path, "cannot drop the torn tail (truncate to \(recovery.validBytes) bytes)", errno)
            }
            // Flushed before new records go where the torn bytes were (so a power loss cannot
            // mix the two), unless the policy gives up on power-loss safety altogether.
            if sync != .never, let e = flush(fd) {
                throw .system(path, "cannot flush the journal after dropping its torn tail", e)
            }
        }
        failed = false
        return JournalWriter(path: path, header: recovery.header, sync: sync, fd: fd, size: recovery.validBytes)
    }

    /// Appends one record with one write(2); flushes per the sync policy. On failure
    /// (ENOSPC, EFBIG, EIO) the partial record is cut off again when possible, the error
    /// says so, and the writer refuses further appends.
    public func append(_ record: JournalRecord) throws(JournalError) {
        try usable()
        let item = record.item
        guard item >= 0, item < header.itemCount else {
            throw JournalError(path: path, kind: .usage, message: "cannot journal item \(item): the sweep has items 0..<\(header.itemCount)")
        }
        payload.removeAll()
        payload.writeUInt32(UInt32(item))
        let kind: JournalFormat.Kind
        switch record {
        case .result(_, let block):
            kind = .result
            Codec.encode(block, into: &payload)
            // What is written must read back: check now, not at resume time.
            var r = WireReader(payload.bytes)
            do {
                _ = try r.readUInt32()
                _ = try Codec.decodeBlock(&r)
                try r.finish()
            } catch {
                throw JournalError(path: path, kind: .usage, message: "cannot journal the results of item \(item): they would not read back (\(error))")
            }
        case .failure(_, let message):
            kind = .failure
            payload.writeString(JournalFormat.fitting(message))
        }
        guard UInt64(payload.count) <= JournalFormat.maxPayload else {
            throw JournalError(path: path, kind: .usage, message: "cannot journal item \(item): its record of \(payload.count) bytes exceeds the cap")
        }
        buffer.removeAll(keepingCapacity: true)
        JournalFormat.frame(kind: kind, payload: payload.bytes, into: &buffer)
        try writeBuffer(item: item)
    }

    /// Appends the results of `item` as a worker encoded them: the block of its RESULT
    /// message (`Codec.resultBlockBytes`), which the coordinator decoded with the same
    /// `Codec.decodeBlock` before accepting it, so the record reads back. Saves encoding,
    /// checking and copying hundreds of kilobytes a second a second time.
    public func appendResult(item: Int, encodedBlock: ArraySlice<UInt8>) throws(JournalError) {
        try usable()
        guard item >= 0, item < header.itemCount else {
            throw JournalError(path: path, kind: .usage, message: "cannot journal item \(item): the sweep has items 0..<\(header.itemCount)")
        }
        let payloadCount = 4 + encodedBlock.count
        guard UInt64(payloadCount) <= JournalFormat.maxPayload else {
            throw JournalError(path: path, kind: .usage, message: "cannot journal item \(item): its record of \(payloadCount) bytes exceeds the cap")
        }
        // Length, kind and item id; the block as it is; the checksum: one writev(2), no copy.
        var head: [UInt8] = []
        head.reserveCapacity(9)
        JournalFormat.appendLE(UInt32(payloadCount), to: &head)
        head.append(JournalFormat.Kind.result.rawValue)
        JournalFormat.appendLE(UInt32(item), to: &head)
        let failure = encodedBlock.withUnsafeBytes { block in
            let crc = CRC32C.checksum(block, continuing: head.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[4...])) })
            var tail: [UInt8] = []
            JournalFormat.appendLE(crc, to: &tail)
            return head.withUnsafeBytes { h in tail.withUnsafeBytes { t in Self.writeAll(fd, [h, block, t]) } }
        }
        try finishAppend(item: item, bytes: head.count + encodedBlock.count + 4, failure: failure)
    }

    /// Writes the framed record in `buffer` with one write(2), then flushes per the policy.
    private func writeBuffer(item: Int) throws(JournalError) {
        let failure = buffer.withUnsafeBytes { Self.writeAll(fd, [$0]) }
        try finishAppend(item: item, bytes: buffer.count, failure: failure)
    }

    /// After a record of `bytes` was written (or failed with errno `failure`): the size, the
    /// flush per the policy; on failure the partial record is cut off again when possible.
    private func finishAppend(item: Int, bytes: Int, failure: Int32?) throws(JournalError) {
        if let e = failure {
            let restored = ftruncate(fd, off_t(size)) == 0
            let state = restored ? "the journal still holds its \(size) bytes of complete records"
                                 : "the journal ends with a partial record, dropped at resume"
            return try fail(.system(path, "cannot append the record of item \(item)", e, "; \(state)" + Self.advice(e)))
        }
        size += UInt64(bytes)
        appended += 1
        unsynced = true
        switch syncPolicy {
        case .everyRecord: try sync()
        case .periodic: try syncIfDue()
        case .never: break
        }
    }

    /// Forces appended records to stable storage (fdatasync) now.
    public func sync() throws(JournalError) {
        try usable()
        guard unsynced else { return }
        if let e = Self.flush(fd) {
            // After a failed fsync the kernel may have dropped the dirty pages: never retry it.
            return try fail(.system(path, "cannot flush the journal", e, Self.advice(e)))
        }
        if directoryUnsynced {
            Self.syncDirectory(of: path)   // the records are durable only if the name is
            directoryUnsynced = false
        }
        unsynced = false
        lastSync = monotonicSeconds()
    }

    /// Flushes if the periodic policy's period has passed since the last flush (call it
    /// from the coordinator's heartbeat tick so a quiet period is flushed too).
    public func syncIfDue() throws(JournalError) {
        guard case .periodic(let seconds) = syncPolicy, unsynced else { return }
        if monotonicSeconds() - lastSync >= seconds { try sync() }
    }

    /// Flushes (unless the policy is `.never`) and closes. After a failure it only closes.
    public func close() throws(JournalError) {
        guard fd >= 0 else { return }
        defer {
            _ = systemClose(fd)
            fd = -1
        }
        if failure == nil, syncPolicy != .never { try sync() }
    }

    private func usable() throws(JournalError) {
        if let failure {
            throw JournalError(path: path, kind: .usage, message: "the journal failed earlier and takes no more records (\(failure.message))", code: failure.code)
        }
        guard fd >= 0 else { throw JournalError(path: path, kind: .usage, message: "the journal writer is closed") }
    }

    private func fail(_ error: JournalError) throws(JournalError) {
        failure = error
        throw error
    }

    private static func busy(_ path: String) -> JournalError {
        JournalError(path: path, kind: .usage, message: "another process is writing this journal (it is locked); stop it first")
    }

    private static func advice(_ code: Int32) -> String {
        switch code {
        case ENOSPC, EFBIG, EDQUOT: return "; free space (or raise the file-size limit), then resume"
        default: return ""
        }
    }

    /// Writes all of `bytes`; nil, or the errno that stopped it.
    private static func writeAll(_ fd: Int32, _ pieces: [UnsafeRawBufferPointer]) -> Int32? {
        var vectors = pieces.filter { $0.count > 0 }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var first = 0
        while first < vectors.count {
            let n = vectors.withUnsafeBufferPointer { writev(fd, $0.baseAddress! + first, Int32(min(vectors.count - first, 1024))) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            var left = n   // a short write: skip what went out, go on with the rest
            while left > 0 && first < vectors.count {
                let v = vectors[first].iov_len
                if left >= v {
                    left -= v
                    first += 1
                } else {
                    vectors[first].iov_base += left
                    vectors[first].iov_len -= left
                    left = 0
                }
            }
        }
        return nil
    }

    /// fdatasync (the data and the size that reaches it, not the timestamps); nil or errno.
    private static func flush(_ fd: Int32) -> Int32? {
        #if os(Linux)
        return fdatasync(fd) == 0 ? nil : errno
        #else
        // macOS: fsync does not flush the drive's cache; F_FULLFSYNC does (when supported).
        if fcntl(fd, F_FULLFSYNC) == 0 { return nil }
        return fsync(fd) == 0 ? nil : errno
        #endif
    }

    /// Makes a rename durable (best effort: some filesystems refuse fsync on directories).
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = systemClose(fd)
    }
}

/// close(2), outside the scope of methods named `close`.
func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
