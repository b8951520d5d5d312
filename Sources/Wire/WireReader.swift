/// Reads a frame written by `WireWriter`, field by field, in the same order.
///
/// Every read is bounds-checked and throws `WireError.malformed` (never traps) on bytes a
/// peer got wrong: truncation, a length above the caller's cap or beyond the frame, invalid
/// UTF-8, a `Bool` other than 0 or 1, a non-finite number where the caller wants a finite
/// one. Call `finish()` at the end to reject trailing bytes. Caps are mandatory on every
/// variable-length read, so a 4-byte length of 4 GB never turns into a 4 GB allocation.
///
/// The reader holds the frame (`[UInt8]` is copy-on-write, nothing is copied) and allocates
/// only the values it returns. After a throw, drop the message: the position is unspecified.
public struct WireReader: Sendable {
    let storage: [UInt8]
    /// Where the next field starts.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        storage = bytes
        offset = 0
    }

    /// Bytes not read yet.
    public var remaining: Int { storage.count - offset }
    public var isAtEnd: Bool { offset == storage.count }

    /// Throws unless every byte was read: a longer message is not the message we expected.
    public func finish() throws(WireError) {
        guard isAtEnd else {
            throw .malformed("\(remaining) trailing byte\(remaining == 1 ? "" : "s") after offset \(offset)")
        }
    }

    // MARK: Fixed width

    public mutating func readUInt8() throws(WireError) -> UInt8 { try load(UInt8.self, "UInt8") }
    public mutating func readUInt16() throws(WireError) -> UInt16 { try load(UInt16.self, "UInt16") }
    public mutating func readUInt32() throws(WireError) -> UInt32 { try load(UInt32.self, "UInt32") }
    public mutating func readUInt64() throws(WireError) -> UInt64 { try load(UInt64.self, "UInt64") }
    public mutating func readInt32() throws(WireError) -> Int32 { try load(Int32.self, "Int32") }
    public mutating func readInt64() throws(WireError) -> Int64 { try load(Int64.self, "Int64") }

    public mutating func readBool() throws(WireError) -> Bool {
        let at = offset
        switch try load(UInt8.self, "Bool") {
        case 0: return false
        case 1: return true
        case let other: throw .malformed("Bool at offset \(at) is \(other), not 0 or 1")
        }
    }

    public mutating func readFloat64(_ check: Float64Check = .any) throws(WireError) -> Double {
        let at = offset
        let value = Double(bitPattern: try load(UInt64.self, "Float64"))
        try check.validate(value, at: at)
        return value
    }

    // MARK: Variable length

    /// A length-prefixed byte string of at most `maxCount` bytes.
    public mutating func readBytes(maxCount: Int) throws(WireError) -> [UInt8] {
        let count = try readCount(maxCount: maxCount, elementSize: 1, what: "byte string")
        return take(count)
    }

    /// A length-prefixed UTF-8 string of at most `maxUTF8Count` bytes; invalid UTF-8 throws
    /// (it is not repaired into U+FFFD, which would hide a corrupted message).
    public mutating func readString(maxUTF8Count: Int) throws(WireError) -> String {
        let start = offset
        let count = try readCount(maxCount: maxUTF8Count, elementSize: 1, what: "string")
        let textStart = offset
        let string = storage.withUnsafeBufferPointer { buffer in
            String(validating: UnsafeBufferPointer(rebasing: buffer[textStart..<textStart + count]),
                   as: UTF8.self)
        }
        guard let string else { throw .malformed("invalid UTF-8 in the string at offset \(start)") }
        offset += count
        return string
    }

    /// `count` bytes with no length prefix.
    public mutating func readRawBytes(count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw truncated("\(count) raw bytes", needed: count)
        }
        return take(count)
    }

    /// A count-prefixed array of at most `maxCount` `Float64`s, each checked by `check`.
    public mutating func readFloat64Array(maxCount: Int, _ check: Float64Check = .any) throws(WireError) -> [Double] {
        let count = try readCount(maxCount: maxCount, elementSize: 8, what: "Float64 array")
        let start = offset
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            storage.withUnsafeBytes { raw in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + 8 * count]))
                #else
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self)
                    buffer[i] = Double(bitPattern: UInt64(littleEndian: bits))
                }
                #endif
            }
            initialized = count
        }
        if let bad = check.firstRejected(in: values) { try check.validate(values[bad], at: start + 8 * bad) }
        offset += 8 * count
        return values
    }

    /// A count-prefixed array of at most `maxCount` `Int32`s.
    public mutating func readInt32Array(maxCount: Int) throws(WireError) -> [Int32] {
        let count = try readCount(maxCount: maxCount, elementSize: 4, what: "Int32 array")
        let start = offset
        let values = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            storage.withUnsafeBytes { raw in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + 4 * count]))
                #else
                for i in 0..<count {
                    buffer[i] = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: Int32.self))
                }
                #endif
            }
            initialized = count
        }
        offset += 4 * count
        return values
    }

    // MARK: Internals

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: StaticString) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated("\(what)", needed: size) }
        let at = offset
        let value = storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: T.self) }
        offset = at + size
        return T(littleEndian: value)
    }

    /// Reads a `UInt32` count and checks it against the cap and against the bytes left
    /// (before anything is allocated). Leaves `offset` after the count.
    mutating func readCount(maxCount: Int, elementSize: Int, what: String) throws(WireError) -> Int {
        let at = offset
        let count = Int(try load(UInt32.self, "UInt32 length"))
        guard count <= maxCount else {
            throw .malformed("\(what) at offset \(at) has length \(count), above the cap of \(maxCount)")
        }
        guard count * elementSize <= remaining else {   // count < 2^32, so no overflow
            offset = at
            throw truncated("\(what) of length \(count)", needed: 4 + count * elementSize)
        }
        return count
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let bytes = Array(storage[offset..<offset + count])
        offset += count
        return bytes
    }

    func truncated(_ what: String, needed: Int) -> WireError {
        .malformed("truncated: \(what) at offset \(offset) needs \(needed) bytes, \(remaining) left")
    }
}

/// Which `Float64`s a read accepts. Peers can send any bit pattern; the protocol says which
/// make sense (beta = +inf is a legitimate parameter in ttcg, NaN never is).
public enum Float64Check: Sendable, Equatable {
    case any
    /// Anything but NaN: infinities pass.
    case notNaN
    /// Finite numbers only.
    case finite
    /// NaN or finite: infinities fail (NaN can mean "undefined" in a result).
    case notInfinite

    /// The index of the first value this check refuses; one tight loop per check, since
    /// result blocks carry hundreds of thousands of values a second.
    func firstRejected(in values: [Double]) -> Int? {
        switch self {
        case .any: return nil
        case .notNaN: return values.firstIndex { $0.isNaN }
        case .finite: return values.firstIndex { !$0.isFinite }
        case .notInfinite:
            // |x| == inf on the bits: exponent all ones, mantissa zero.
            return values.withUnsafeBufferPointer { buffer in
                buffer.firstIndex { $0.bitPattern & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF0_0000_0000_0000 }
            }
        }
    }

    func validate(_ value: Double, at offset: Int) throws(WireError) {
        switch self {
        case .any: return
        case .notNaN where value.isNaN:
            throw .malformed("NaN Float64 at offset \(offset)")
        case .finite where !value.isFinite:
            throw .malformed("non-finite Float64 (\(value)) at offset \(offset)")
        case .notInfinite where value.isInfinite:
            throw .malformed("infinite Float64 (\(value)) at offset \(offset)")
        default: return
        }
    }
}
