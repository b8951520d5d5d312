// What files, groups and datasets share: an open HDF5 id, a path for error messages,
// the state of the file they live in, and attributes.
internal import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// The open file behind every object opened from it. The `H5File` and every object
/// opened from it hold it; it closes the file on `H5File.close()` or when the last of
/// them is gone. Once closed, objects say so instead of passing a dead id to HDF5.
final class FileState {
    /// The path as the caller gave it (used in every error message).
    let path: String
    var id: hid_t
    var isOpen = true
    var isSWMRWriting = false
    let isReadOnly: Bool

    init(path: String, id: hid_t, isReadOnly: Bool, isSWMRWriting: Bool) {
        self.path = path
        self.id = id
        self.isReadOnly = isReadOnly
        self.isSWMRWriting = isSWMRWriting
    }

    /// The last object of the file is gone: close it, ignoring errors.
    deinit {
        withHDF5 {
            if isOpen { _ = close() }
        }
    }

    /// Closes the file (lock held); returns the error, if any, instead of throwing.
    ///
    /// libhdf5 1.10.8 cannot survive a failing `H5Fclose`: it frees the file's structures
    /// but keeps the id, and the next library call that walks open files (another
    /// create or open, or the library's own exit handler) crashes. So the file is
    /// flushed first; if that fails (a full disk), the file's descriptor is pointed at an
    /// anonymous in-memory file so that `H5Fclose`, which repeats the failed writes,
    /// succeeds and leaves the library sound. The file on disk stays as it was at the
    /// failure.
    func close() -> HDF5Error? {
        isOpen = false
        var failure: HDF5Error?
        if !isReadOnly && H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 {
            let flushError = self.failure(object: nil, action: "cannot close file")
            failure = HDF5Error(kind: flushError.kind, file: path, object: nil, action: flushError.action,
                                detail: flushError.detail + "; the file was closed incomplete")
            redirectToMemory()
        }
        let status = withRaisedFileSizeLimit { H5Fclose(id) }
        if status < 0 {
            let closeError = self.failure(object: nil, action: "cannot close file")
            return failure ?? closeError
        }
        return failure
    }

    /// The file's descriptor, when the POSIX (sec2) driver holds one (lock held).
    private func descriptor() -> Int32? {
        let fapl = H5Fget_access_plist(id)
        guard fapl >= 0 else { clearErrorStack(); return nil }
        defer { H5Pclose(fapl) }
        guard H5Pget_driver(fapl) == ttcg_H5FD_SEC2() else { return nil }
        var handle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(id, fapl, &handle) >= 0, let handle else {
            clearErrorStack()
            return nil
        }
        return handle.load(as: Int32.self)
    }

    /// Marks the file's descriptor close-on-exec (libhdf5 opens it without): a process this
    /// one starts (`ttcg run`'s workers) must not hold the results file open (lock held).
    func closeOnExec() {
        guard let fd = descriptor() else { return }
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    /// Points the file's descriptor at an anonymous in-memory file (lock held).
    private func redirectToMemory() {
        guard let descriptor = descriptor() else { return }
        let memory = ttcg_memfd_create()
        guard memory >= 0 else { return }
        _ = dup2(memory, descriptor)
        _ = Glibc.close(memory)
    }

    /// Runs `body` with the soft file-size limit (`ulimit -f`) raised to the hard one,
    /// so the in-memory writes of an abandoned file are not refused by the limit the
    /// real file hit.
    private func withRaisedFileSizeLimit<R>(_ body: () -> R) -> R {
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        guard getrlimit(resource, &saved) == 0, saved.rlim_cur < saved.rlim_max else { return body() }
        var raised = saved
        raised.rlim_cur = saved.rlim_max
        _ = setrlimit(resource, &raised)
        defer { _ = setrlimit(resource, &saved) }
        return body()
    }

    /// Throws `fileClosed` once the file is closed. Call with the library lock held.
    func ensureOpen(object: String?, action: String) throws {
        guard isOpen else {
            throw HDF5Error(kind: .fileClosed, file: path, object: object, action: action,
                            detail: "the file is closed")
        }
    }

    /// An error from HDF5's error stack. Call with the library lock held.
    func failure(object: String?, action: String, kind: HDF5Error.Kind? = nil) -> HDF5Error {
        HDF5Error.fromStack(file: path, object: object, action: action, kind: kind)
    }

    /// An error this module detected itself.
    func invalid(object: String?, action: String, _ detail: String,
                 kind: HDF5Error.Kind = .invalidArgument) -> HDF5Error {
        HDF5Error(kind: kind, file: path, object: object, action: action, detail: detail)
    }
}

/// An open HDF5 object (file root, group or dataset) that can carry attributes.
///
/// Not `Sendable`: an object belongs to the thread that owns its file (see `H5File`).
/// Objects stay valid until their file is closed; after that every call throws
/// `HDF5Error` with kind `fileClosed`.
public class H5Object {
    let file: FileState
    var id: hid_t
    /// The object's absolute path in the file, e.g. "/gsm8k-best-of-n/poa".
    public let path: String

    init(file: FileState, id: hid_t, path: String) {
        self.file = file
        self.id = id
        self.path = path
    }

    deinit {
        withHDF5 {
            if file.isOpen && id >= 0 { H5Oclose(id) }
        }
    }

    /// The last component of `path` ("/" for the root group).
    public var name: String {
        path == "/" ? "/" : String(path.split(separator: "/").last ?? "")
    }

    /// The absolute path of `relative` seen from this object.
    func childPath(_ relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        let trimmed = relative.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return path == "/" ? "/" + trimmed : path + "/" + trimmed
    }

    /// Runs `body` under the library lock, after checking that the file is open.
    func operate<R>(_ action: String, object: String? = nil, _ body: () throws -> R) throws -> R {
        try withHDF5 {
            try file.ensureOpen(object: object ?? path, action: action)
            return try body()
        }
    }

    // MARK: Attributes

    /// Sets a scalar string attribute, stored as a variable-length UTF-8 string.
    ///
    /// Why variable-length: h5py returns it as a Python `str` (a fixed-length one comes
    /// back as `bytes`), netCDF-4 maps it to `NC_STRING`, which xarray/h5netcdf decode
    /// as text, and it holds text of any length, such as a whole spec file.
    /// An existing attribute of the same type and shape is overwritten in place
    /// (which also works while SWMR writing); otherwise it is replaced.
    public func setAttribute(_ name: String, _ value: String) throws {
        try operate("cannot write attribute '\(name)'") {
            let type = makeVariableStringType()
            defer { H5Tclose(type) }
            try withCStringArray([value]) { pointers in
                try putAttribute(name, fileType: type, memoryType: type, count: nil, buffer: pointers)
            }
        }
    }

    /// Sets a 1-D string-array attribute (variable-length UTF-8 strings).
    public func setAttribute(_ name: String, _ values: [String]) throws {
        try operate("cannot write attribute '\(name)'") {
            let type = makeVariableStringType()
            defer { H5Tclose(type) }
            try withCStringArray(values) { pointers in
                try putAttribute(name, fileType: type, memoryType: type, count: values.count, buffer: pointers)
            }
        }
    }

    /// Sets a scalar numeric attribute (`Double`, `Float`, `Int32`, `Int64`, `Int`, `UInt8`).
    public func setAttribute<T: H5Numeric>(_ name: String, _ value: T) throws {
        try operate("cannot write attribute '\(name)'") {
            let type = T.h5ElementType.nativeTypeID!
            try withUnsafePointer(to: value) { pointer in
                try putAttribute(name, fileType: type, memoryType: type, count: nil, buffer: pointer)
            }
        }
    }

    /// Sets a 1-D numeric array attribute.
    public func setAttribute<T: H5Numeric>(_ name: String, _ values: [T]) throws {
        try operate("cannot write attribute '\(name)'") {
            let type = T.h5ElementType.nativeTypeID!
            var padded = values
            if padded.isEmpty { padded = [T.h5DefaultFill] } // a valid buffer; nothing is written from it
            try padded.withUnsafeBufferPointer { buffer in
                try putAttribute(name, fileType: type, memoryType: type, count: values.count,
                                 buffer: buffer.baseAddress!)
            }
        }
    }

    /// Creates or overwrites attribute `name`; `count` nil means a scalar. Lock held.
    private func putAttribute(_ name: String, fileType: hid_t, memoryType: hid_t, count: Int?,
                              buffer: UnsafeRawPointer) throws {
        let action = "cannot write attribute '\(name)'"
        if file.isReadOnly {
            throw file.invalid(object: path, action: action, "the file is open read-only")
        }
        let space: hid_t
        if let count {
            var dims = [hsize_t(count)]
            space = H5Screate_simple(1, &dims, nil)
        } else {
            space = H5Screate(H5S_SCALAR)
        }
        guard space >= 0 else { throw file.failure(object: path, action: action) }
        defer { H5Sclose(space) }

        let exists = H5Aexists(id, name)
        guard exists >= 0 else { throw file.failure(object: path, action: action) }
        if exists > 0 {
            let attribute = H5Aopen(id, name, ttcg_H5P_DEFAULT())
            guard attribute >= 0 else { throw file.failure(object: path, action: action) }
            let storedType = H5Aget_type(attribute)
            let storedSpace = H5Aget_space(attribute)
            let sameType = storedType >= 0 && H5Tequal(storedType, fileType) > 0
            let sameShape = storedSpace >= 0 && H5Sextent_equal(storedSpace, space) > 0
            if storedType >= 0 { H5Tclose(storedType) }
            if storedSpace >= 0 { H5Sclose(storedSpace) }
            if sameType && sameShape {
                let status = H5Awrite(attribute, memoryType, buffer)
                H5Aclose(attribute)
                guard status >= 0 else { throw file.failure(object: path, action: action) }
                return
            }
            H5Aclose(attribute)
            guard H5Adelete(id, name) >= 0 else { throw file.failure(object: path, action: action) }
        }
        let attribute = H5Acreate2(id, name, fileType, space, ttcg_H5P_DEFAULT(), ttcg_H5P_DEFAULT())
        guard attribute >= 0 else { throw file.failure(object: path, action: action) }
        defer { H5Aclose(attribute) }
        guard H5Awrite(attribute, memoryType, buffer) >= 0 else {
            throw file.failure(object: path, action: action)
        }
    }

    /// Whether attribute `name` exists on this object.
    public func hasAttribute(_ name: String) throws -> Bool {
        try operate("cannot look up attribute '\(name)'") {
            let exists = H5Aexists(id, name)
            guard exists >= 0 else { throw file.failure(object: path, action: "cannot look up attribute '\(name)'") }
            return exists > 0
        }
    }

    /// The names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        try operate("cannot list attributes") {
            final class Names { var list: [String] = [] }
            let names = Names()
            let visit: H5A_operator2_t = { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }
            var index: hsize_t = 0
            let status = withExtendedLifetime(names) {
                H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, visit,
                            Unmanaged.passUnretained(names).toOpaque())
            }
            guard status >= 0 else { throw file.failure(object: path, action: "cannot list attributes") }
            return names.list
        }
    }

    /// Removes attribute `name`.
    public func deleteAttribute(_ name: String) throws {
        try operate("cannot delete attribute '\(name)'") {
            guard H5Adelete(id, name) >= 0 else {
                throw file.failure(object: path, action: "cannot delete attribute '\(name)'")
            }
        }
    }

    /// Reads a string attribute (variable- or fixed-length; a one-element array is accepted).
    public func stringAttribute(_ name: String) throws -> String {
        let values = try stringArrayAttribute(name, scalarAction: true)
        guard values.count == 1 else {
            throw withHDF5 { file.invalid(object: path, action: "cannot read attribute '\(name)'",
                                          "it holds \(values.count) strings, not one") }
        }
        return values[0]
    }

    /// Reads a string-array attribute (a scalar string reads as one element).
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        try stringArrayAttribute(name, scalarAction: false)
    }

    private func stringArrayAttribute(_ name: String, scalarAction: Bool) throws -> [String] {
        let action = "cannot read attribute '\(name)'"
        return try withAttribute(name, action: action) { attribute, storedType, space, count in
            guard H5Tget_class(storedType) == H5T_STRING else {
                throw file.invalid(object: path, action: action,
                                   "it holds \(H5ElementType(fileType: storedType)), not strings")
            }
            guard let strings = readStringElements(count: count, fileType: storedType, space: space,
                                                   read: { H5Aread(attribute, $0, $1) }) else {
                throw file.failure(object: path, action: action)
            }
            return strings
        }
    }

    /// Reads a scalar numeric attribute as `T` (a one-element array is accepted).
    /// Integers convert to wider integers or to floating point; floating point never
    /// converts to an integer type.
    public func attribute<T: H5Numeric>(_ name: String, as type: T.Type) throws -> T {
        let values = try arrayAttribute(name, as: type)
        guard values.count == 1 else {
            throw withHDF5 { file.invalid(object: path, action: "cannot read attribute '\(name)'",
                                          "it holds \(values.count) values, not one") }
        }
        return values[0]
    }

    /// Reads a numeric array attribute as `[T]` (a scalar reads as one element).
    public func arrayAttribute<T: H5Numeric>(_ name: String, as type: T.Type) throws -> [T] {
        let action = "cannot read attribute '\(name)'"
        return try withAttribute(name, action: action) { attribute, storedType, _, count in
            let stored = H5ElementType(fileType: storedType)
            let storedClass = H5Tget_class(storedType)
            guard storedClass == H5T_INTEGER || storedClass == H5T_FLOAT else {
                throw file.invalid(object: path, action: action, "it holds \(stored), not numbers")
            }
            if storedClass == H5T_FLOAT && T.h5ElementType.isInteger {
                throw file.invalid(object: path, action: action,
                                   "it holds \(stored); read it as Double or Float")
            }
            var values = [T](repeating: T.h5DefaultFill, count: max(count, 1))
            let status = values.withUnsafeMutableBytes {
                H5Aread(attribute, T.h5ElementType.nativeTypeID!, $0.baseAddress!)
            }
            guard status >= 0 else { throw file.failure(object: path, action: action) }
            return Array(values.prefix(count))
        }
    }

    /// Opens attribute `name` and hands it, its type, its dataspace and its element
    /// count to `body`.
    private func withAttribute<R>(_ name: String, action: String,
                                  _ body: (hid_t, hid_t, hid_t, Int) throws -> R) throws -> R {
        try operate(action) {
            let exists = H5Aexists(id, name)
            guard exists >= 0 else { throw file.failure(object: path, action: action) }
            guard exists > 0 else {
                throw file.invalid(object: path, action: action, "no such attribute", kind: .objectNotFound)
            }
            let attribute = H5Aopen(id, name, ttcg_H5P_DEFAULT())
            guard attribute >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Aclose(attribute) }
            let storedType = H5Aget_type(attribute)
            guard storedType >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Tclose(storedType) }
            let space = H5Aget_space(attribute)
            guard space >= 0 else { throw file.failure(object: path, action: action) }
            defer { H5Sclose(space) }
            let count = H5Sget_simple_extent_npoints(space)
            guard count >= 0 else { throw file.failure(object: path, action: action) }
            return try body(attribute, storedType, space, Int(count))
        }
    }
}
