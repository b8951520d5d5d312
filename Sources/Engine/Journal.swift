// The coordinator's journal: an append-only, checksummed log of every accepted result,
// the source of truth of a sweep (docs/journal.md). The HDF5 file is derived from it and
// rebuilt from it on resume, so a coordinator killed at any instant loses nothing that was
// journaled, redoes nothing that was, and ends with the same numbers.
//
// File: "TTCGJRNL", format version (UInt32 LE), then records. Record: payload length
// (UInt32 LE), kind (UInt8), payload, CRC-32C of kind + payload (UInt32 LE). The first
// record is the header (spec, hashes, item count); every other one is a result or a
// failure of one work item, appended by JournalWriter.swift with one system call each.
// Recovery stops at the first bad record: with no valid record after it, a torn tail
// (reported, truncated before appending); with one, damage in the middle (refused).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Sweep
import Wire

/// What a journal belongs to: the first record of the file.
public struct JournalHeader: Sendable, Equatable {
    /// The sweep spec's text, as given.
    public var specText: String
    /// SHA-256 of `specText` (hex).
    public var specHash: String
    /// One `PlannedMarket.profileHash` per market, in plan order.
    public var profileHashes: [String]
    /// The ttcg that wrote the journal (a different one may resume it; that is noted only).
    public var ttcgVersion: String
    /// Work items of the sweep; records name items `0..<itemCount`.
    public var itemCount: Int

    public init(specText: String, specHash: String, profileHashes: [String], ttcgVersion: String, itemCount: Int) {
        self.specText = specText
        self.specHash = specHash
        self.profileHashes = profileHashes
        self.ttcgVersion = ttcgVersion
        self.itemCount = itemCount
    }

    /// The header of `plan`'s journal.
    public init(plan: SweepPlan, ttcgVersion: String) {
        self.init(specText: plan.spec.text, specHash: plan.spec.hash, profileHashes: plan.markets.map(\.profileHash),
                  ttcgVersion: ttcgVersion, itemCount: plan.items.count)
    }
}

/// One accepted work item.
public enum JournalRecord: Sendable, Equatable {
    /// The results of item `item`.
    case result(item: Int, block: ResultBlock)
    /// Item `item` failed on every attempt.
    case failure(item: Int, message: String)

    public var item: Int {
        switch self {
        case .result(let item, _), .failure(let item, _): return item
        }
    }
}

/// When appended records are forced to stable storage (fdatasync).
///
/// A record is in the kernel's page cache as soon as `append` returns, so a killed
/// coordinator (SIGKILL, crash, OOM kill) never loses it whatever the policy; the policy
/// only matters when the machine itself goes down (power loss, kernel panic), where it
/// bounds how many accepted items are lost, and so redone at resume:
/// - `.everyRecord`: none; costs one disk flush per item (milliseconds on disks, less on
///   SSDs with a write cache, see docs/journal.md for figures);
/// - `.periodic(seconds:)`: at most the items of the last `seconds` (plus whatever the
///   coordinator accepts before its next `append` or `syncIfDue`); one flush per period;
/// - `.never`: what the kernel has not written back yet (up to about 30 s on Linux); for
///   scratch runs and benchmarks.
/// Lost items are redone, never wrong: results are deterministic and a torn record is
/// dropped, so every policy keeps the results correct; they differ only in time redone.
public enum JournalSync: Sendable, Equatable {
    case everyRecord
    case periodic(seconds: Double)
    case never

    /// One flush per second, and one at `close`.
    public static let standard = JournalSync.periodic(seconds: 1)
}

/// A journal problem, as one line: `R.h5.journal: <what>`.
public struct JournalError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A system call failed (`code` is its errno): no such file, no space, I/O error.
        case system
        /// Not a journal this ttcg can read: bad magic, other format version, damaged header,
        /// a record with a valid checksum that does not decode.
        case format
        /// A damaged record followed by valid ones, or a record for an item out of range:
        /// the journal cannot be trusted to resume from.
        case corrupt
        /// Misuse or contention: the journal exists, another process writes it, it changed
        /// since it was read, the writer is closed or failed before.
        case usage
    }

    public var path: String
    public var kind: Kind
    public var message: String
    /// errno of the failed system call (`.system`), e.g. `ENOSPC` or `EFBIG`.
    public var code: Int32?

    public init(path: String, kind: Kind, message: String, code: Int32? = nil) {
        self.path = path
        self.kind = kind
        self.message = message
        self.code = code
    }

    static func system(_ path: String, _ what: String, _ code: Int32, _ advice: String = "") -> JournalError {
        JournalError(path: path, kind: .system, message: "\(what): \(String(cString: strerror(code)))\(advice)", code: code)
    }

    public var description: String { "\(path): \(message)" }
}

/// What `Journal.read` found: the header, the records delivered, the torn tail dropped.
public struct JournalRecovery: Sendable, Equatable {
    public var header: JournalHeader
    /// Records delivered to the callback: distinct items (`results + failures`).
    public var records: Int
    public var results: Int
    public var failures: Int
    /// Bytes from the start of the file to the end of the last good record.
    public var validBytes: UInt64
    /// Bytes after that (an interrupted write): dropped by `JournalWriter.openForAppend`.
    public var tornBytes: UInt64
    /// Records for an item already seen, ignored (the first one counts).
    public var duplicates: Int
    /// Which file was read, so that `openForAppend` appends to that one.
    var device: UInt64
    var inode: UInt64
    var path: String

    /// One line for the coordinator's log: `R.h5.journal: 40 items journaled (38 results, 2 failures); dropped a torn tail of 517 bytes`.
    public var summary: String {
        var s = "\(path): \(records) item\(records == 1 ? "" : "s") journaled (\(results) result\(results == 1 ? "" : "s"), \(failures) failure\(failures == 1 ? "" : "s"))"
        if tornBytes > 0 { s += "; dropped a torn tail of \(tornBytes) byte\(tornBytes == 1 ? "" : "s") (an interrupted write; that item is redone)" }
        if duplicates > 0 { s += "; ignored \(duplicates) duplicate record\(duplicates == 1 ? "" : "s") (the first of each counts)" }
        return s
    }
}

// MARK: Format

enum JournalFormat {
    static let magic: [UInt8] = Array("TTCGJRNL".utf8)
    static let version: UInt32 = 1
    /// Magic and version.
    static let prefixSize: UInt64 = 12
    /// Length, kind, checksum around a payload.
    static let overhead: UInt64 = 9
    /// Largest payload: a result block that fits a protocol message, plus the item id.
    static let maxPayload = UInt64(ProtocolLimits.maxMessageBytes) + 64
    /// Smallest payload of an item record: the item id and one more 4-byte field.
    static let minItemPayload: UInt64 = 8

    enum Kind: UInt8 {
        case header = 1, result = 2, failure = 3
    }

    static func encodeHeader(_ h: JournalHeader, into w: inout WireWriter) {
        w.writeString(h.specText)
        w.writeString(h.specHash)
        w.writeUInt32(UInt32(h.profileHashes.count))
        for p in h.profileHashes { w.writeString(p) }
        w.writeString(h.ttcgVersion)
        w.writeUInt64(UInt64(h.itemCount))
    }

    static func decodeHeader(_ payload: [UInt8]) throws -> JournalHeader {
        var r = WireReader(payload)
        let text = try r.readString(maxUTF8Count: 64 << 20)
        let hash = try r.readString(maxUTF8Count: 256)
        let n = Int(try r.readUInt32())
        guard n <= ProtocolLimits.maxMarkets else { throw WireError.malformed("\(n) markets exceed the cap") }
        var profiles: [String] = []
        for _ in 0..<n { profiles.append(try r.readString(maxUTF8Count: 256)) }
        let version = try r.readString(maxUTF8Count: 256)
        let items = try r.readUInt64()
        guard items <= UInt64(UInt32.max) + 1 else { throw WireError.malformed("\(items) items exceed the cap") }
        try r.finish()
        return JournalHeader(specText: text, specHash: hash, profileHashes: profiles, ttcgVersion: version, itemCount: Int(items))
    }

    /// `frame` = length, kind, payload, checksum; the checksum covers kind and payload.
    static func frame(kind: Kind, payload: [UInt8], into out: inout [UInt8]) {
        let start = out.count
        appendLE(UInt32(payload.count), to: &out)
        out.append(kind.rawValue)
        out.append(contentsOf: payload)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 4)...])) }
        appendLE(crc, to: &out)
    }

    static func appendLE(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    static func loadLE(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// `message` cut to what a reader accepts (the protocol's text cap), at a character boundary.
    static func fitting(_ message: String) -> String {
        let cap = ProtocolLimits.maxText
        guard message.utf8.count > cap else { return message }
        var out = "", used = 0
        for ch in message {
            let n = ch.utf8.count
            if used + n > cap - 3 { break }
            out.append(ch)
            used += n
        }
        return out + "..."
    }
}

// MARK: Reading

public enum Journal {
    /// The journal format this ttcg writes and reads.
    public static let formatVersion = JournalFormat.version

    /// The journal of a results file: `R.h5` -> `R.h5.journal`.
    public static func path(forResults results: String) -> String { results + ".journal" }

    /// Makes an exceeded file-size limit (`ulimit -f`, RLIMIT_FSIZE) an error instead of
    /// death: the kernel sends SIGXFSZ, whose default action kills the process; ignored,
    /// write(2) fails with EFBIG ("File too large") and the journal reports it.
    public static func ignoreFileSizeSignal() {
        _ = signal(SIGXFSZ, SIG_IGN)
    }

    /// The header alone (to compare with the plan before replaying anything).
    public static func readHeader(path: String) throws(JournalError) -> JournalHeader {
        let file = try JournalFileReader(path: path)
        defer { file.close() }
        return try file.readHeader().header
    }

    /// Reads the journal at `path`, calling `body` with each record in file order,
    /// once per item (a duplicate is skipped and counted), streaming: memory holds one
    /// record at a time (plus one bit per item). Throws `JournalError` for a journal that
    /// cannot be resumed (not a journal, damaged header, damage in the middle, an item out
    /// of range), and rethrows what `body` throws. A torn tail is not an error: it is in
    /// `tornBytes`. Never modifies the file (`JournalWriter.openForAppend` truncates).
    public static func read(path: String, _ body: (JournalRecord) throws -> Void) throws -> JournalRecovery {
        let file = try JournalFileReader(path: path)
        defer { file.close() }
        let (header, headerEnd) = try file.readHeader()
        var seen = [UInt64](repeating: 0, count: (header.itemCount + 63) / 64)
        var recovery = JournalRecovery(header: header, records: 0, results: 0, failures: 0, validBytes: headerEnd,
                                       tornBytes: 0, duplicates: 0, device: file.device, inode: file.inode, path: path)
        var offset = headerEnd
        while offset < file.size {
            let (kind, payload, end): (UInt8, [UInt8], UInt64)
            switch try file.frame(at: offset) {
            case .valid(let k, let p, let e):
                (kind, payload, end) = (k, p, e)
            case .bad(let why):
                if let next = try file.nextValidRecord(after: offset) {
                    throw JournalError(path: path, kind: .corrupt, message: "damaged record at byte \(offset) (\(why)) followed by a valid record at byte \(next): the journal is corrupt in the middle, not torn at the end; refusing to resume (keep a copy for inspection, and start the sweep afresh)")
                }
                // Nothing valid after it: a torn tail, reported in `tornBytes`.
                recovery.tornBytes = file.size - recovery.validBytes
                return recovery
            }
            let record = try decode(kind: kind, payload: payload, at: offset, path: path)
            let item = record.item
            guard item < header.itemCount else {
                throw JournalError(path: path, kind: .corrupt, message: "record at byte \(offset) is for item \(item), but the journal's sweep has \(header.itemCount) items; refusing to resume")
            }
            let (word, bit) = (item >> 6, UInt64(1) << UInt64(item & 63))
            if seen[word] & bit != 0 {
                recovery.duplicates += 1
            } else {
                seen[word] |= bit
                recovery.records += 1
                if case .result = record { recovery.results += 1 } else { recovery.failures += 1 }
                try body(record)
            }
            offset = end
            recovery.validBytes = end
        }
        recovery.tornBytes = file.size - recovery.validBytes
        return recovery
    }

    static func decode(kind: UInt8, payload: [UInt8], at offset: UInt64, path: String) throws(JournalError) -> JournalRecord {
        var r = WireReader(payload)
        do {
            switch JournalFormat.Kind(rawValue: kind) {
            case .result:
                let item = Int(try r.readUInt32())
                let block = try Codec.decodeBlock(&r)
                try r.finish()
                return .result(item: item, block: block)
            case .failure:
                let item = Int(try r.readUInt32())
                let message = try r.readString(maxUTF8Count: ProtocolLimits.maxText)
                try r.finish()
                return .failure(item: item, message: message)
            case .header, nil:
                throw WireError.malformed("unexpected record kind \(kind)")
            }
        } catch {
            throw JournalError(path: path, kind: .format, message: "record at byte \(offset) has a valid checksum but does not decode (\(error)); was it written by another version of ttcg?")
        }
    }

    /// Nil when `header` belongs to the same sweep as `plan` (same spec text, same market
    /// profiles, same item count); otherwise one line saying what differs, to refuse the
    /// resume with. A different ttcg version is not a difference (see `versionNote`).
    public static func compare(_ header: JournalHeader, with plan: SweepPlan) -> String? {
        if header.specText != plan.spec.text {
            return "the spec differs from the one the journal was written for: " + firstDifference(journal: header.specText, spec: plan.spec.text)
        }
        if header.specHash != plan.spec.hash {
            return "the journal's spec hash \(header.specHash.prefix(12))... does not match its spec text (\(plan.spec.hash.prefix(12))...)"
        }
        if header.profileHashes.count != plan.markets.count {
            return "the journal was written for \(header.profileHashes.count) market\(header.profileHashes.count == 1 ? "" : "s"), this spec has \(plan.markets.count)"
        }
        for (i, (old, market)) in zip(header.profileHashes, plan.markets).enumerated() where old != market.profileHash {
            return "market '\(market.name)' (markets[\(i)], \(market.reference)) has other provider profiles than when the journal was written (profile hash \(old.prefix(12))... then, \(market.profileHash.prefix(12))... now)"
        }
        if header.itemCount != plan.items.count {
            return "the journal was written for \(header.itemCount) work items, this spec makes \(plan.items.count)"
        }
        return nil
    }

    /// A note (not a refusal) when the journal was written by another ttcg version.
    public static func versionNote(_ header: JournalHeader, ttcgVersion: String) -> String? {
        header.ttcgVersion == ttcgVersion ? nil
            : "the journal was written by ttcg \(header.ttcgVersion); resuming with ttcg \(ttcgVersion) (same spec and profiles, so the same numbers)"
    }

    /// `line 3: journal has "beta: [1, 10]", this spec has "beta: [1, 100]"`.
    static func firstDifference(journal: String, spec: String) -> String {
        let a = journal.split(separator: "\n", omittingEmptySubsequences: false)
        let b = spec.split(separator: "\n", omittingEmptySubsequences: false)
        func show(_ lines: [Substring], _ i: Int) -> String {
            guard i < lines.count else { return "(end of text)" }
            var line = String(lines[i])
            if line.hasSuffix("\r") { line.removeLast() }
            let cap = 60
            let shown = line.count > cap ? String(line.prefix(cap)) + "..." : line
            return "\"\(shown.replacingOccurrences(of: "\t", with: "\\t"))\""
        }
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        if i == a.count && i == b.count {
            return "the texts differ only in line endings or encoding"
        }
        return "line \(i + 1): journal has \(show(a, i)), this spec has \(show(b, i))"
    }
}

/// A journal opened for reading, record by record with pread (no whole-file buffer).
final class JournalFileReader {
    let path: String
    let fd: Int32
    let size: UInt64
    let device: UInt64
    let inode: UInt64

    init(path: String) throws(JournalError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, "cannot open the journal", errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            _ = systemClose(fd)
            throw .system(path, "cannot stat the journal", e)
        }
        self.fd = fd
        size = UInt64(st.st_size)
        device = UInt64(truncatingIfNeeded: st.st_dev)
        inode = UInt64(truncatingIfNeeded: st.st_ino)
    }

    func close() { _ = systemClose(fd) }

    /// `count` bytes at `offset` (the caller checked they exist).
    func bytes(at offset: UInt64, count: Int) throws(JournalError) -> [UInt8] {
        var failure: Int32 = 0
        guard count > 0 else { return [] }
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { failure = EIO; break }   // shrank under us
                done += n
            }
            initialized = failure == 0 ? count : 0
        }
        guard failure == 0 else { throw .system(path, "cannot read the journal at byte \(offset)", failure) }
        return out
    }

    /// Checks magic and version, then reads the header record; returns where it ends.
    func readHeader() throws(JournalError) -> (header: JournalHeader, end: UInt64) {
        let magic = JournalFormat.magic
        guard size >= UInt64(magic.count), try bytes(at: 0, count: magic.count) == magic else {
            throw JournalError(path: path, kind: .format, message: "not a ttcg journal (it does not start with \"TTCGJRNL\")")
        }
        guard size >= JournalFormat.prefixSize else {
            throw JournalError(path: path, kind: .format, message: "the journal header is damaged (the file ends after \(size) bytes)")
        }
        let version = JournalFormat.loadLE(try bytes(at: 8, count: 4), 0)
        guard version == JournalFormat.version else {
            throw JournalError(path: path, kind: .format, message: "journal format version \(version); this ttcg reads version \(JournalFormat.version)")
        }
        let frame = try frame(at: JournalFormat.prefixSize)
        switch frame {
        case .valid(let kind, let payload, let end) where kind == JournalFormat.Kind.header.rawValue:
            do {
                return (try JournalFormat.decodeHeader(payload), end)
            } catch {
                throw JournalError(path: path, kind: .format, message: "the journal header does not decode (\(error))")
            }
        case .valid(let kind, _, _):
            throw JournalError(path: path, kind: .format, message: "the journal header is damaged (the first record is of kind \(kind), not a header)")
        case .bad(let why):
            throw JournalError(path: path, kind: .format, message: "the journal header is damaged (\(why))")
        }
    }

    enum Frame {
        case valid(kind: UInt8, payload: [UInt8], end: UInt64)
        case bad(String)
    }

    /// The record at `offset`, checked: its length fits the file and the cap, its checksum matches.
    func frame(at offset: UInt64) throws(JournalError) -> Frame {
        let left = size - offset
        guard left >= JournalFormat.overhead else {
            return .bad("\(left) byte\(left == 1 ? "" : "s") left, fewer than a record's \(JournalFormat.overhead)-byte frame")
        }
        let head = try bytes(at: offset, count: 5)
        let length = UInt64(JournalFormat.loadLE(head, 0))
        let kind = head[4]
        guard length <= JournalFormat.maxPayload else { return .bad("length \(length) above the cap") }
        guard length + JournalFormat.overhead <= left else {
            return .bad("length \(length) runs \(length + JournalFormat.overhead - left) bytes past the end of the file")
        }
        var body = try bytes(at: offset + 5, count: Int(length) + 4)
        let stored = JournalFormat.loadLE(body, Int(length))
        let crc = body.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<Int(length)]), continuing: CRC32C.checksum([kind]))
        }
        guard crc == stored else { return .bad("checksum mismatch") }
        body.removeLast(4)
        return .valid(kind: kind, payload: body, end: offset + length + JournalFormat.overhead)
    }

    /// The offset of the first valid item record starting after `bad`, if any: proof that
    /// the damage at `bad` is not a torn tail. Scans the rest of the file in 1 MiB windows;
    /// only candidates with a known kind and a plausible length get their checksum computed.
    func nextValidRecord(after bad: UInt64) throws(JournalError) -> UInt64? {
        let window: UInt64 = 1 << 20
        var pos = bad + 1
        while pos + JournalFormat.overhead <= size {
            let last = min(pos + window, size - JournalFormat.overhead)   // last candidate, inclusive
            let chunk = try bytes(at: pos, count: Int(last + 5 - pos))
            var y = pos
            while y <= last {
                let i = Int(y - pos)
                let kind = chunk[i + 4]
                if kind == JournalFormat.Kind.result.rawValue || kind == JournalFormat.Kind.failure.rawValue {
                    let length = UInt64(JournalFormat.loadLE(chunk, i))
                    if length >= JournalFormat.minItemPayload, length <= JournalFormat.maxPayload,
                       y + length + JournalFormat.overhead <= size, case .valid = try frame(at: y) {
                        return y
                    }
                }
                y += 1
            }
            pos = last + 1
        }
        return nil
    }
}
