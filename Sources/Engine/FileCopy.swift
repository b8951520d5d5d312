// Whole-file copies for snapshots (ResultsSession): the snapshot of a sweep of 1e7 games is
// gigabytes. Foundation's `FileManager.copyItem` sends 4 KiB per system call (70,000 calls
// for 284 MB, most of a large sweep's coordinator CPU); here a reflink where the
// filesystem shares blocks (XFS, Btrfs: nothing is copied), else `sendfile` in 64 MiB
// steps (the kernel copies, no user-space buffer), else read/write.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Copies the file at `source` to `destination`, which is created (replaced if it exists).
func copyWholeFile(_ source: String, to destination: String) throws(EngineError) {
    func failure(_ what: String, _ code: Int32 = errno) -> EngineError {
        EngineError("\(destination): cannot \(what): \(String(cString: strerror(code)))")
    }
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw EngineError("\(source): cannot open it to copy: \(String(cString: strerror(errno)))") }
    defer { close(input) }
    let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard output >= 0 else { throw failure("create it") }
    var ok = false
    defer {
        close(output)
        if !ok { unlink(destination) }
    }
    // FICLONE = _IOW(0x94, 9, int): share the blocks, copy nothing.
    if ioctl(output, 0x4004_9409, input) == 0 {
        ok = true
        return
    }
    var st = stat()
    guard fstat(input, &st) == 0 else { throw failure("read the size of \(source)") }
    var left = Int(st.st_size)
    var kernelCopy = true
    var buffer: [UInt8] = []
    while left > 0 {
        if kernelCopy {
            let n = sendfile(output, input, nil, min(left, 64 << 20))
            if n > 0 { left -= n; continue }
            if n == 0 { break }
            guard [EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) else { throw failure("copy \(source)") }
            kernelCopy = false   // a file system without it: copy through memory
            buffer = [UInt8](repeating: 0, count: 1 << 20)
        }
        let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, min(left, $0.count)) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw failure("read \(source)") }
        var done = 0
        while done < n {
            let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
            if w < 0 && errno == EINTR { continue }
            guard w > 0 else { throw failure("write") }
            done += w
        }
        left -= n
    }
    guard left == 0 else { throw EngineError("\(source): changed size while it was copied to \(destination)") }
    ok = true
}
