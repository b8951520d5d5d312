// Element types: which Swift types map to which HDF5 types.
internal import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The element type of a dataset or attribute, as this module reads and writes it.
///
/// Numbers are stored little-endian in the machine's native layout (what h5py, NumPy and
/// netCDF-4 call `f8`, `f4`, `i4`, `i8`, `u1`). Booleans are stored as `uint8` (0 or 1):
/// netCDF-4 and xarray have no boolean type, and an HDF5 enum (h5py's bool) is not read
/// by netCDF tools. Strings are variable-length UTF-8 (see `H5Object.setAttribute(_:_:)`).
public enum H5ElementType: Sendable, Equatable, CustomStringConvertible {
    case double, float, int32, int64, uint8, string
    /// A type this module does not write (another integer width, a compound, ...);
    /// the text names its HDF5 class and size.
    case other(String)

    public var description: String {
        switch self {
        case .double: "float64"
        case .float: "float32"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .string: "string"
        case .other(let text): text
        }
    }

    var isFloatingPoint: Bool { self == .double || self == .float }
    var isInteger: Bool { self == .int32 || self == .int64 || self == .uint8 }
}

/// A Swift number type that can be stored in a dataset or attribute:
/// `Double`, `Float`, `Int32`, `Int64`, `Int` (as int64) and `UInt8`.
///
/// Conforming other types is not supported: the module copies their bytes as the
/// HDF5 type their `h5ElementType` names.
public protocol H5Numeric: Sendable {
    /// The HDF5 element type values of this Swift type are stored as.
    static var h5ElementType: H5ElementType { get }
    /// The fill value a new dataset of this type gets unless told otherwise:
    /// NaN for floating point, -1 for signed integers, 255 (the byte of -1) for `UInt8`.
    static var h5DefaultFill: Self { get }
}

extension Double: H5Numeric {
    public static var h5ElementType: H5ElementType { .double }
    public static var h5DefaultFill: Double { .nan }
}
extension Float: H5Numeric {
    public static var h5ElementType: H5ElementType { .float }
    public static var h5DefaultFill: Float { .nan }
}
extension Int32: H5Numeric {
    public static var h5ElementType: H5ElementType { .int32 }
    public static var h5DefaultFill: Int32 { -1 }
}
extension Int64: H5Numeric {
    public static var h5ElementType: H5ElementType { .int64 }
    public static var h5DefaultFill: Int64 { -1 }
}
extension Int: H5Numeric {
    public static var h5ElementType: H5ElementType {
        precondition(MemoryLayout<Int>.size == 8, "ResultStore stores Int as int64 and needs a 64-bit platform")
        return .int64
    }
    public static var h5DefaultFill: Int { -1 }
}
extension UInt8: H5Numeric {
    public static var h5ElementType: H5ElementType { .uint8 }
    public static var h5DefaultFill: UInt8 { 255 }
}

// MARK: - HDF5 type ids (internal)

extension H5ElementType {
    /// The predefined native HDF5 type of a numeric element type (not to be closed).
    var nativeTypeID: hid_t? {
        switch self {
        case .double: ttcg_H5T_NATIVE_DOUBLE()
        case .float: ttcg_H5T_NATIVE_FLOAT()
        case .int32: ttcg_H5T_NATIVE_INT32()
        case .int64: ttcg_H5T_NATIVE_INT64()
        case .uint8: ttcg_H5T_NATIVE_UINT8()
        case .string, .other: nil
        }
    }

    var byteSize: Int {
        switch self {
        case .double, .int64: 8
        case .float, .int32: 4
        case .uint8: 1
        case .string, .other: 0
        }
    }

    /// Classifies a stored (file) type.
    init(fileType type: hid_t) {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch typeClass {
        case H5T_FLOAT where size == 8: self = .double
        case H5T_FLOAT where size == 4: self = .float
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (signed, size) {
            case (true, 4): self = .int32
            case (true, 8): self = .int64
            case (false, 1): self = .uint8
            default: self = .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_STRING: self = .string
        case H5T_FLOAT: self = .other("float\(size * 8)")
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        default: self = .other("HDF5 type class \(typeClass.rawValue), \(size) bytes")
        }
    }
}

/// A new variable-length UTF-8 string type; the caller closes it.
func makeVariableStringType() -> hid_t {
    let type = H5Tcopy(ttcg_H5T_C_S1())
    H5Tset_size(type, ttcg_H5T_VARIABLE())
    H5Tset_cset(type, H5T_CSET_UTF8)
    return type
}

/// A new fixed-length (`length` bytes, NUL-padded) UTF-8 string type; the caller closes it.
func makeFixedStringType(length: Int) -> hid_t {
    let type = H5Tcopy(ttcg_H5T_C_S1())
    H5Tset_size(type, length)
    H5Tset_strpad(type, H5T_STR_NULLPAD)
    H5Tset_cset(type, H5T_CSET_UTF8)
    return type
}

/// Calls `body` with C strings for `strings` (NUL-terminated copies; a NUL inside a Swift
/// string ends the stored value there), freed afterwards.
func withCStringArray<R>(_ strings: [String],
                         _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
    if pointers.isEmpty { pointers.append(nil) } // a valid base address even for no strings
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// Reads `count` strings through `read`, which fills a buffer in the memory type it is
/// given. Handles both variable-length strings (what this module writes) and
/// fixed-length ones (what other tools may write). `fileType` is the stored type.
func readStringElements(count: Int, fileType: hid_t, space: hid_t,
                        read: (_ memoryType: hid_t, _ buffer: UnsafeMutableRawPointer) -> herr_t) -> [String]? {
    if H5Tis_variable_str(fileType) > 0 {
        let memoryType = makeVariableStringType()
        defer { H5Tclose(memoryType) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(count, 1))
        let status = pointers.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
        guard status >= 0 else { return nil }
        let strings = pointers.prefix(count).map { $0.map { String(cString: $0) } ?? "" }
        pointers.withUnsafeMutableBytes {
            _ = H5Dvlen_reclaim(memoryType, space, ttcg_H5P_DEFAULT(), $0.baseAddress!)
        }
        return strings
    }
    let size = H5Tget_size(fileType)
    guard size > 0 else { return nil }
    let memoryType = H5Tcopy(fileType)
    defer { H5Tclose(memoryType) }
    let padding = H5Tget_strpad(fileType)
    var bytes = [UInt8](repeating: 0, count: max(count * size, 1))
    let status = bytes.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
    guard status >= 0 else { return nil }
    return (0..<count).map { index in
        var element = bytes[(index * size)..<((index + 1) * size)]
        if let nul = element.firstIndex(of: 0) { element = element[..<nul] }
        if padding == H5T_STR_SPACEPAD {
            while element.last == 0x20 { element = element.dropLast() }
        }
        return String(decoding: element, as: UTF8.self)
    }
}
