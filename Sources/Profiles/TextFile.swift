// Reading a text input (a spec, a market, a profile table) with one-line refusals: what is
// not a regular file (a directory, a FIFO that would block, a device) or is above the size a
// worker accepts is refused before it is read.

import Foundation

public enum TextFile {
    /// The text of the regular file at `path`, at most `maxBytes` bytes of UTF-8. Errors are
    /// the end of a line that starts with the path: "cannot read the WHAT: ...".
    public static func contents(_ path: String, what: String, maxBytes: Int) throws(TextFileError) -> String {
        func refuse(_ reason: String) -> TextFileError { TextFileError(message: "cannot read the \(what): \(reason)") }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw refuse(errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno)))
        }
        try check(st, refuse, maxBytes: maxBytes)
        // O_NONBLOCK: a FIFO put there after the check cannot block the open.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw refuse(errno == EACCES ? "permission denied" : String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fstat(fd, &st) == 0 else { throw refuse(String(cString: strerror(errno))) }
        try check(st, refuse, maxBytes: maxBytes)
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw refuse(String(cString: strerror(errno))) }
            if n == 0 { break }
            filled += n
        }
        bytes.removeSubrange(filled...)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw refuse("it is not UTF-8 text") }
        return text
    }

    static func check(_ st: stat, _ refuse: (String) -> TextFileError, maxBytes: Int) throws(TextFileError) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("it is a directory; expected a file")
        default: throw refuse("it is not a regular file (a FIFO, a device or a socket); expected a file")
        }
        guard Int(st.st_size) <= maxBytes else {
            throw refuse("it is \(st.st_size) bytes; expected at most \(maxBytes) bytes (\(maxBytes >> 20) MiB), what a worker accepts")
        }
    }
}

public struct TextFileError: Error, Sendable {
    public var message: String
}
