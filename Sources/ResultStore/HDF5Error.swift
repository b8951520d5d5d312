// Every failure of this module, as one line that names the file and the object.

/// A failed HDF5 operation.
///
/// `description` is one line: `FILE: OBJECT: ACTION: DETAIL`, for example
/// `results.h5: /gsm8k-best-of-n/poa: cannot create dataset: name already exists`.
/// `DETAIL` comes from HDF5's own error stack (its most specific message, with the
/// system's `errno` text pulled out when there is one) or, for failures this module
/// detects itself (a closed file, a wrong element count), from a fixed text.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for code that wants to react (tests, resume logic, exit codes).
    public enum Kind: Sendable, Equatable {
        /// The file does not exist (`ENOENT`).
        case fileNotFound
        /// `create(..., mode: .exclusive)` and the file already exists (`EEXIST`).
        case fileExists
        /// The file exists but is not HDF5.
        case notHDF5
        /// The file is in use by a writer, or a writer died without closing it: HDF5's
        /// file lock is held, or the superblock is still marked "open for writing".
        /// SWMR readers (`.swmrRead`) can still open a file an SWMR writer left so;
        /// `H5File.clearStatusFlags(_:)` (or `h5clear -s`) clears the mark.
        case inUse
        /// The file was closed (`close()`, or the last object using it was deallocated).
        case fileClosed
        /// No group, dataset or attribute at that path.
        case objectNotFound
        /// The disk or quota is full, or the file size limit was hit
        /// (`ENOSPC`, `EDQUOT`, `EFBIG`).
        case noSpace
        /// The caller passed something inconsistent (element count, rank, type, range).
        case invalidArgument
        /// Anything else the HDF5 library reported.
        case library
    }

    public let kind: Kind
    /// The file path as it was given to `H5File.create` or `H5File.open`.
    public let file: String
    /// The HDF5 path of the object ("/", "/market/poa"; for an attribute, the object
    /// carrying it, the attribute being named in `action`), or nil when the failure
    /// concerns the file itself.
    public let object: String?
    /// What was being done, e.g. "cannot create dataset".
    public let action: String
    /// Why it failed.
    public let detail: String

    public init(kind: Kind, file: String, object: String?, action: String, detail: String) {
        self.kind = kind
        self.file = file
        self.object = object
        self.action = action
        self.detail = detail
    }

    /// The same error, saying `action` (for callers that name the action only on failure).
    func saying(_ action: String) -> HDF5Error {
        HDF5Error(kind: kind, file: file, object: object, action: action, detail: detail)
    }

    public var description: String {
        var parts = [file]
        if let object { parts.append(object) }
        parts.append(action)
        parts.append(detail)
        return parts.joined(separator: ": ")
    }
}

extension HDF5Error {
    /// An error built from HDF5's error stack (call with the library lock held, right
    /// after the failing call).
    static func fromStack(file: String, object: String?, action: String,
                          kind overriding: Kind? = nil) -> HDF5Error {
        let (detail, kind, _) = summarize(errorStack: takeErrorStack())
        return HDF5Error(kind: overriding ?? kind, file: file, object: object,
                         action: action, detail: detail)
    }
}
