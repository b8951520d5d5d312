// journalReader: the coordinator's journal reader (`Journal.readHeader`, `Journal.read`),
// which decides on resume what a damaged, torn or foreign file is.

import Engine

extension FuzzTargets {
    static let journalFile = ScratchFile("journal")

    /// Journals whose header claims more work items are not read past the header.
    public static let journalItemLimit = 1 << 20

    /// Input: byte 0 is a mode, the rest the journal file. Mode bit 0 set: before the file
    /// is written, every whole record after the 12-byte prefix gets its correct CRC-32C,
    /// so that mutations reach the record decoders behind the checksum; clear: the bytes
    /// as they are (torn tails, damaged records, the search for a later valid record).
    /// The header is read first, then, if it claims at most `journalItemLimit` items, the
    /// records. What `read` reports must add up: valid and torn bytes make the file, each
    /// record delivered is counted once.
    public static func journalReader(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        var file = Array(data.dropFirst())
        if mode & 1 != 0 { sealJournalRecords(&file) }
        journalFile.write(file)
        defer { journalFile.remove() }

        // As on resume (ResultsSession): the header first, the records only of a journal
        // whose header matches the plan, so whose item count is a real sweep's. A header
        // claiming billions of items would only make `read` clear a bitmap of 512 MB.
        guard let header = try? Journal.readHeader(path: journalFile.path),
              header.itemCount <= journalItemLimit else { return }
        var delivered = 0, results = 0, failures = 0
        var items = Set<Int>()
        let recovery: JournalRecovery
        do {
            recovery = try Journal.read(path: journalFile.path) { record in
                delivered += 1
                items.insert(record.item)
                switch record {
                case .result(_, let block):
                    results += 1
                    fuzzCheck(block.count >= 1 && block.providers >= 1, "a journaled block of \(block.count) points x \(block.providers) providers")
                case .failure:
                    failures += 1
                }
            }
        } catch {
            return
        }
        fuzzCheck(recovery.header == header, "read and readHeader disagree on the header")
        fuzzCheck(recovery.validBytes + recovery.tornBytes == UInt64(file.count),
                  "valid \(recovery.validBytes) + torn \(recovery.tornBytes) bytes != the file's \(file.count)")
        fuzzCheck(recovery.records == delivered && items.count == delivered,
                  "\(recovery.records) records reported, \(delivered) delivered, \(items.count) distinct items")
        fuzzCheck(recovery.results == results && recovery.failures == failures,
                  "\(recovery.results) results and \(recovery.failures) failures reported, \(results) and \(failures) delivered")
        fuzzCheck(items.allSatisfy { $0 >= 0 && $0 < recovery.header.itemCount },
                  "a record for an item outside 0..<\(recovery.header.itemCount)")
    }

    /// Gives every whole record after the 12-byte prefix (magic, version) the checksum the
    /// journal format wants: CRC-32C of kind and payload, after them (docs/journal.md).
    public static func sealJournalRecords(_ file: inout [UInt8]) {
        var at = 12
        while at + 9 <= file.count {
            let length = Int(file[at]) | Int(file[at + 1]) << 8 | Int(file[at + 2]) << 16 | Int(file[at + 3]) << 24
            let end = at + 5 + length
            guard end + 4 <= file.count else { return }
            let crc = file.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(at + 4)..<end])) }
            for k in 0..<4 { file[end + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            at = end + 4
        }
    }
}
