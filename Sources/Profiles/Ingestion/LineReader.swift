// Lines of a file, read in large chunks with read(2) into one reusable byte buffer.
// Memory is the chunk size plus the longest line (capped), whatever the file size.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line without building Strings: each line is handed out as a
/// pointer range into the buffer, valid until the next call.
final class LineReader {
    /// Bytes asked of read(2) at a time.
    static let chunkSize = 4 << 20
    /// A line longer than this is not kept: it is reported as too long and skipped.
    let maxLineBytes: Int

    private let fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Unconsumed bytes are buffer[start..<end].
    private var start = 0, end = 0
    private var eof = false
    /// Bytes read from the file so far.
    private(set) var bytesRead = 0
    /// Called after every chunk with the bytes it added.
    var onChunk: ((Int) -> Void)?

    /// Opens `path`; a bad-input error with errno's text when it cannot be opened.
    init(path: String, maxLineBytes: Int = 256 << 20) throws(IngestionError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .path(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        capacity = LineReader.chunkSize * 2
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// One line as the reader sees it.
    enum Line {
        /// The bytes of the line, without its `\n`. Valid until the next call.
        case bytes(UnsafeBufferPointer<UInt8>)
        /// A line longer than `maxLineBytes`: its bytes were dropped.
        case tooLong
    }

    /// The next line, or nil at the end of the file. A last line without `\n` counts.
    func next(path: String) throws(IngestionError) -> Line? {
        var searchFrom = start
        var dropping = false
        while true {
            if searchFrom < end, let nl = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let at = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                let lineStart = start
                start = at + 1
                if dropping || at - lineStart > maxLineBytes { return .tooLong }
                return .bytes(UnsafeBufferPointer(start: buffer + lineStart, count: at - lineStart))
            }
            searchFrom = end
            if eof {
                guard start < end || dropping else { return nil }
                let lineStart = start
                start = end
                if dropping || end - lineStart > maxLineBytes { return .tooLong }
                return .bytes(UnsafeBufferPointer(start: buffer + lineStart, count: end - lineStart))
            }
            if dropping || end - start > maxLineBytes {
                // Forget the bytes of this line, keep reading until its end.
                dropping = true
                start = 0; end = 0; searchFrom = 0
            }
            try fill(path: path, searchFrom: &searchFrom)
        }
    }

    /// Reads one more chunk, first moving the partial line to the front or growing the buffer.
    private func fill(path: String, searchFrom: inout Int) throws(IngestionError) {
        if start > 0 {
            let pending = end - start
            if pending > 0 { memmove(buffer, buffer + start, pending) }
            searchFrom -= start
            end = pending
            start = 0
        }
        if capacity - end < LineReader.chunkSize {
            let newCapacity = max(capacity * 2, end + LineReader.chunkSize)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw .path(path, "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else {
                end += n
                bytesRead += n
                onChunk?(n)
            }
            return
        }
    }
}
