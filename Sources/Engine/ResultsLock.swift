// One writer per results file: `OUT.lock`, an empty file whose flock(2) a ttcg process holds
// for as long as it writes OUT, its partial file or its journal. It is taken before any of
// them is touched, so a second `ttcg run --resume` (or two coordinators started at once) is
// refused without truncating the running sweep's files. The lock file stays on disk (removing
// it would race with a process about to lock it); it is empty and harmless.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class ResultsLock {
    public let path: String
    private var fd: Int32

    /// Locks `resultsPath + ".lock"` (created if absent), or throws, exit code 2, naming the
    /// file and what to do, when another process holds it.
    public init(resultsPath: String) throws(EngineError) {
        path = resultsPath + ".lock"
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            throw EngineError("\(path): expected a regular file (the lock of \(resultsPath)); it is something else: remove it", exitCode: 2)
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            throw EngineError("\(path): cannot open the lock of \(resultsPath): \(String(cString: strerror(errno)))", exitCode: 2)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = close(fd)
            fd = -1
            if code == EWOULDBLOCK { throw Self.busy(resultsPath) }
            throw EngineError("\(path): cannot lock it: \(String(cString: strerror(code)))", exitCode: 2)
        }
    }

    /// Whether another process holds the lock of `resultsPath` now (creates nothing).
    public static func isHeld(resultsPath: String) -> Bool {
        let fd = open(resultsPath + ".lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { _ = close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }

    /// The error a second writer gets.
    static func busy(_ resultsPath: String) -> EngineError {
        EngineError("\(resultsPath): another ttcg process is writing it (\(resultsPath).lock is locked); wait for it to end or stop it, then --resume", exitCode: 2)
    }

    /// Lets the next writer in (also done when the process exits).
    public func release() {
        if fd >= 0 { _ = close(fd) }
        fd = -1
    }

    deinit { release() }
}
