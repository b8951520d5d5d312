// The one gate to libhdf5: a process-wide recursive lock, and the error stack turned
// into `HDF5Error`.
//
// Thread-safety (the choice, and why): Debian's libhdf5 is the serial build, which is not
// thread-safe; its state (open ids, caches, the error stack) is global, so even two
// threads working on two *different* files can corrupt it. Every public call of this
// module therefore runs under one process-wide recursive lock (`HDF5Library.shared`).
// The lock is uncontended in ttcg's design (one writer thread owns the results file), and
// costs well under a microsecond per call, nothing next to a block write.
// On top of that, `H5File`, `H5Group` and `H5Dataset` are deliberately *not* `Sendable`:
// a file and the objects opened from it belong to the thread (or actor) that opened it.
// The lock makes accidental sharing safe; non-Sendability makes it visible at compile time.
internal import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide state of the HDF5 library as this module uses it.
final class HDF5Library: @unchecked Sendable {
    /// The single instance. Creating it opens the library and silences HDF5's own
    /// printing of error stacks to stderr: failures become `HDF5Error`s instead.
    static let shared = HDF5Library()

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    private init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        H5open()
        H5Eset_auto2(ttcg_H5E_DEFAULT(), nil, nil)
    }

    /// Runs `body` holding the library lock. Recursive: nested calls are fine.
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Runs `body` with exclusive access to libhdf5 (see the file comment).
@inline(__always)
func withHDF5<R>(_ body: () throws -> R) rethrows -> R {
    try HDF5Library.shared.locked(body)
}

/// The version of the libhdf5 this process runs, e.g. "1.10.8".
public var hdf5LibraryVersion: String {
    withHDF5 {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }
}

// MARK: - The error stack

/// The innermost (most specific) descriptions on HDF5's default error stack, innermost
/// first; the stack is cleared afterwards. Call with the lock held, right after a failure.
func takeErrorStack() -> [String] {
    final class Collector { var descriptions: [String] = [] }
    let collector = Collector()
    let walker: H5E_walk2_t = { _, error, clientData in
        guard let error, let clientData else { return 0 }
        let collector = Unmanaged<Collector>.fromOpaque(clientData).takeUnretainedValue()
        if let desc = error.pointee.desc {
            let text = String(cString: desc).trimmingSpaces()
            if !text.isEmpty { collector.descriptions.append(text) }
        }
        return 0
    }
    withExtendedLifetime(collector) {
        _ = H5Ewalk2(ttcg_H5E_DEFAULT(), H5E_WALK_UPWARD, walker,
                     Unmanaged.passUnretained(collector).toOpaque())
    }
    H5Eclear2(ttcg_H5E_DEFAULT())
    return collector.descriptions
}

/// Discards whatever is on the error stack (after a failure that was expected).
func clearErrorStack() {
    H5Eclear2(ttcg_H5E_DEFAULT())
}

/// Turns HDF5's error stack into one short phrase and a `HDF5Error.Kind`.
///
/// HDF5's innermost message is the most specific one, but for system calls it is long
/// ("unable to open file: name = 'x.h5', errno = 2, error message = 'No such file or
/// directory', flags = 0, o_flags = 0"); the `error message = '...'` part is what a
/// person needs, so it is extracted.
func summarize(errorStack descriptions: [String]) -> (detail: String, kind: HDF5Error.Kind, errno: Int32?) {
    guard let innermost = descriptions.first else {
        return ("the HDF5 library reported a failure without a message", .library, nil)
    }
    var errnoValue: Int32?
    if let range = innermost.firstRange(of: "errno = ") {
        let digits = innermost[range.upperBound...].prefix { $0.isNumber }
        errnoValue = Int32(digits)
    }
    var detail = innermost
    if let start = innermost.firstRange(of: "error message = '") {
        let rest = innermost[start.upperBound...]
        if let end = rest.firstIndex(of: "'") {
            let message = String(rest[..<end])
            if let colon = innermost.firstIndex(of: ":") {
                detail = "\(innermost[..<colon]): \(message)"
            } else {
                detail = message
            }
        }
    }
    var kind = HDF5Error.Kind.library
    switch errnoValue {
    case 2?: kind = .fileNotFound
    case 17?: kind = .fileExists
    case 28?, 27?, 122?: kind = .noSpace  // ENOSPC, EFBIG, EDQUOT
    default: break
    }
    if descriptions.contains(where: { $0.contains("already open for write") || $0.contains("unable to lock file") }) {
        kind = .inUse
    }
    if descriptions.contains(where: { $0.contains("file signature not found") }) {
        kind = .notHDF5
        detail = "not an HDF5 file (file signature not found)"
    }
    // For a disk-full failure the useful line may sit deeper than the innermost one.
    if kind == .library,
       let deep = descriptions.first(where: { $0.contains("errno = 28") || $0.contains("errno = 27") }) {
        return summarize(errorStack: [deep])
    }
    return (detail, kind, errnoValue)
}

/// A Swift string from a NUL-terminated C buffer.
func string(fromCBuffer buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// A transfer property list for writing `count` variable-length strings, with a conversion
/// buffer their size: HDF5's default allocates and zeroes 1 MiB on every such write (1.5 ms;
/// a results file writes five string scales per market when it is created). Close it.
func stringTransferList(count: Int) -> hid_t {
    let dxpl = H5Pcreate(ttcg_H5P_DATASET_XFER())
    H5Pset_buffer(dxpl, max(4096, 16 * count), nil, nil)
    return dxpl
}
