// Files: create, open, flush, close, and single-writer/multiple-reader (SWMR) mode.
internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file; it is also its root group ("/"), so groups, datasets and the
/// file's attributes (h5py's `f.attrs`) are reached from it directly.
///
/// **Format.** Files are created and opened with the newest file format this libhdf5
/// knows (`H5Pset_libver_bounds(latest, latest)`; with 1.10.8: superblock v3, the
/// 1.10 object formats). SWMR needs it; readers need HDF5 >= 1.10 (h5py, netCDF-C and
/// MATLAB of the last years all qualify).
///
/// **Ownership and threads.** One thread (or actor) owns a file and every object
/// opened from it; the types are not `Sendable`. Every call also takes one
/// process-wide lock, because the serial libhdf5 is not thread-safe even across
/// different files (see `HDF5Library.swift`).
///
/// **Closing.** `close()` closes the file and, with it, every group and dataset opened
/// from it (HDF5's "strong" close); those objects then throw `fileClosed`. Without
/// `close()`, the file closes when the `H5File` and every object opened from it are
/// deallocated (so `try H5File.open(p).openDataset("x").read(as: Double.self)` works),
/// ignoring errors: call `close()` to see them, e.g. a full disk on the last flush.
public final class H5File: H5Group {
    /// How `create` treats an existing file.
    public enum CreateMode: Sendable {
        /// Replace an existing file.
        case truncate
        /// Fail with kind `fileExists` if the file exists.
        case exclusive
    }

    /// How `open` opens an existing file.
    public enum OpenMode: Sendable {
        case readOnly
        case readWrite
        /// Read-only, as a SWMR reader of a file a writer is appending to (call
        /// `H5Dataset.refresh()` to see the writer's flushed rows).
        case swmrRead
        /// Read-write, directly in SWMR writing mode (existing layout only).
        case swmrWrite
    }

    /// The path as given (also the first field of every `HDF5Error`).
    public var filePath: String { file.path }

    /// Whether the file is still open.
    public var isOpen: Bool { withHDF5 { file.isOpen } }

    /// Whether the file is in SWMR writing mode.
    public var isSWMRWriting: Bool { withHDF5 { file.isSWMRWriting } }

    /// Whether the file was opened read-only.
    public var isReadOnly: Bool { file.isReadOnly }

    /// Creates a new file.
    ///
    /// `chunkCacheBytes`: the raw-data chunk cache of each dataset opened through this file
    /// (nil: HDF5's default, 1 MiB). A writer of many datasets that writes each region once
    /// passes 0: the default caches fill up to 1 MiB per dataset, memory that grows with the
    /// data written up to datasets x 1 MiB, and buys nothing when no chunk is read back.
    public static func create(_ path: String, mode: CreateMode = .exclusive, chunkCacheBytes: Int? = nil) throws -> H5File {
        try withHDF5 {
            let action = "cannot create file"
            let fapl = try fileAccessList(path: path, action: action, chunkCacheBytes: chunkCacheBytes)
            defer { H5Pclose(fapl) }
            let fcpl = H5Pcreate(ttcg_H5P_FILE_CREATE())
            defer { H5Pclose(fcpl) }
            H5Pset_link_creation_order(fcpl, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
            let flags = mode == .truncate ? ttcg_H5F_ACC_TRUNC() : ttcg_H5F_ACC_EXCL()
            let id = H5Fcreate(path, flags, fcpl, fapl)
            guard id >= 0 else {
                throw HDF5Error.fromStack(file: path, object: nil, action: action)
            }
            return try H5File(path: path, fileID: id, readOnly: false, swmrWriting: false)
        }
    }

    /// Opens an existing file.
    public static func open(_ path: String, mode: OpenMode = .readOnly) throws -> H5File {
        try withHDF5 {
            let action = "cannot open file"
            if mode == .readWrite || mode == .swmrWrite, fileIsEmpty(path) {
                // HDF5 would silently turn an empty file opened for writing into a new one.
                throw HDF5Error(kind: .notHDF5, file: path, object: nil, action: action,
                                detail: "not an HDF5 file (the file is empty)")
            }
            let fapl = try fileAccessList(path: path, action: action)
            defer { H5Pclose(fapl) }
            let flags: UInt32
            switch mode {
            case .readOnly: flags = ttcg_H5F_ACC_RDONLY()
            case .readWrite: flags = ttcg_H5F_ACC_RDWR()
            case .swmrRead: flags = ttcg_H5F_ACC_RDONLY() | ttcg_H5F_ACC_SWMR_READ()
            case .swmrWrite: flags = ttcg_H5F_ACC_RDWR() | ttcg_H5F_ACC_SWMR_WRITE()
            }
            let id = H5Fopen(path, flags, fapl)
            guard id >= 0 else {
                throw HDF5Error.fromStack(file: path, object: nil, action: action)
            }
            return try H5File(path: path, fileID: id,
                              readOnly: mode == .readOnly || mode == .swmrRead,
                              swmrWriting: mode == .swmrWrite)
        }
    }

    /// Clears the "open for writing" mark that a writer which died without closing
    /// left in the superblock (what `h5clear -s` does), so that ordinary readers and
    /// writers can open the file again.
    ///
    /// Safe after an SWMR writer died: SWMR writes metadata in an order that keeps the
    /// file consistent at every flush, and readers see what was flushed. After a plain
    /// (non-SWMR) writer died, the file may be inconsistent; treat its content as lost.
    public static func clearStatusFlags(_ path: String) throws {
        try withHDF5 {
            let action = "cannot clear the file's status flags"
            let fapl = try fileAccessList(path: path, action: action)
            defer { H5Pclose(fapl) }
            var clear = true
            guard H5Pset(fapl, "clear_status_flags", &clear) >= 0 else {
                throw HDF5Error.fromStack(file: path, object: nil, action: action)
            }
            let id = H5Fopen(path, ttcg_H5F_ACC_RDWR(), fapl)
            guard id >= 0 else { throw HDF5Error.fromStack(file: path, object: nil, action: action) }
            guard H5Fclose(id) >= 0 else { throw HDF5Error.fromStack(file: path, object: nil, action: action) }
        }
    }

    private static func fileAccessList(path: String, action: String, chunkCacheBytes: Int? = nil) throws -> hid_t {
        let fapl = H5Pcreate(ttcg_H5P_FILE_ACCESS())
        guard fapl >= 0,
              H5Pset_libver_bounds(fapl, ttcg_H5F_LIBVER_LATEST(), ttcg_H5F_LIBVER_LATEST()) >= 0,
              H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0,
              chunkCacheBytes.map({ H5Pset_cache(fapl, 0, 521, $0, 0.75) >= 0 }) ?? true else {
            let error = HDF5Error.fromStack(file: path, object: nil, action: action)
            if fapl >= 0 { H5Pclose(fapl) }
            throw error
        }
        return fapl
    }

    /// Lock held.
    private init(path: String, fileID: hid_t, readOnly: Bool, swmrWriting: Bool) throws {
        let state = FileState(path: path, id: fileID, isReadOnly: readOnly, isSWMRWriting: swmrWriting)
        state.closeOnExec()
        let root = H5Gopen2(fileID, "/", ttcg_H5P_DEFAULT())
        guard root >= 0 else {
            let error = state.failure(object: "/", action: "cannot open the root group")
            state.isOpen = false
            H5Fclose(fileID)
            clearErrorStack()
            throw error
        }
        super.init(file: state, id: root, path: "/")
    }

    /// Writes every buffer of the file to disk (`H5Fflush`, global scope). After a
    /// flush, SWMR readers that refresh see everything written so far.
    public func flush() throws {
        try withHDF5 {
            try file.ensureOpen(object: nil, action: "cannot flush")
            guard H5Fflush(file.id, H5F_SCOPE_GLOBAL) >= 0 else {
                throw file.failure(object: nil, action: "cannot flush")
            }
        }
    }

    /// Closes the file and every object opened from it. Closing twice is a no-op.
    ///
    /// Throws if the final flush fails (kind `noSpace` for a full disk or quota, or the
    /// file-size limit). The file is closed all the same, and is then incomplete on disk:
    /// its superblock still says "open for writing", so HDF5 tools refuse to open it
    /// (`h5clear -s` overrides that) rather than show partial results as complete.
    public func close() throws {
        try withHDF5 {
            guard file.isOpen else { return }
            H5Oclose(id)
            if let error = file.close() { throw error }
        }
    }

    /// Switches an open read-write file into SWMR writing mode (`H5Fstart_swmr_write`).
    ///
    /// From then on readers can open the file with `.swmrRead` (h5py:
    /// `h5py.File(path, "r", swmr=True)`) while this process keeps writing; they see
    /// data after this side's `flush()` and their `refresh()`.
    /// The HDF5 rules of SWMR writing apply: no new groups, datasets or attributes
    /// (create the whole layout first; this module refuses with a clear error),
    /// only writes into and extension of existing chunked datasets; overwriting the
    /// value of an existing attribute of the same type and shape is allowed.
    public func startSWMRWrite() throws {
        let action = "cannot start SWMR writing"
        try withHDF5 {
            try file.ensureOpen(object: nil, action: action)
            if file.isReadOnly {
                throw file.invalid(object: nil, action: action, "the file is open read-only")
            }
            guard !file.isSWMRWriting else { return }
            guard H5Fstart_swmr_write(file.id) >= 0 else {
                throw file.failure(object: nil, action: action)
            }
            file.isSWMRWriting = true
        }
    }
}

/// Whether `path` is an existing regular file of size 0.
private func fileIsEmpty(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0
}
