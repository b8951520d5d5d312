// One scratch file per target and process for the readers that take a path: written for
// an input and removed after it (an input that crashes the process leaves it behind).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

final class ScratchFile: @unchecked Sendable {
    // @unchecked: a fuzz target runs one input at a time; `path` never changes.
    let path: String

    /// `$TMPDIR/ttcg-fuzz-<pid>-<name>` (the extension is the name's, for readers that look at it).
    init(_ name: String) {
        let dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        path = (dir as NSString).appendingPathComponent("ttcg-fuzz-\(getpid())-\(name)")
    }

    /// Replaces the file's contents with `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #else
            let n = Darwin.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #endif
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fatalError("fuzz harness: cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Removes the file; each target calls it when its input is done.
    func remove() {
        unlink(path)
    }
}
