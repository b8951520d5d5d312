/// Builds one frame of a ttcg message: fixed-width little-endian numbers, length-prefixed
/// byte and UTF-8 strings, and count-prefixed arrays. `WireReader` reads it back.
///
/// Layout, so that any language can decode it: integers and `Float64`s (IEEE 754 bit
/// patterns) are little-endian of their width; `Bool` is one byte 0 or 1; byte strings,
/// strings and arrays are a `UInt32` count (bytes, UTF-8 bytes, elements) then the content.
/// There are no tags or padding: the protocol defines what follows what.
///
/// Fast by construction: one growing buffer, no allocation per field; call
/// `reserveCapacity` (or `init(capacity:)`) once when the size is known.
public struct WireWriter: Sendable {
    @usableFromInline var storage: [UInt8]

    public init(capacity: Int = 64) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// The encoded bytes so far.
    public var bytes: [UInt8] { storage }
    public var count: Int { storage.count }

    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        storage.reserveCapacity(minimumCapacity)
    }

    /// Forgets the bytes but keeps the capacity, to encode many messages with one buffer.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    @inlinable
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { storage.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeUInt8(_ value: UInt8) { storage.append(value) }
    @inlinable public mutating func writeBool(_ value: Bool) { storage.append(value ? 1 : 0) }
    @inlinable public mutating func writeUInt16(_ value: UInt16) { appendLittleEndian(value) }
    @inlinable public mutating func writeUInt32(_ value: UInt32) { appendLittleEndian(value) }
    @inlinable public mutating func writeUInt64(_ value: UInt64) { appendLittleEndian(value) }
    @inlinable public mutating func writeInt32(_ value: Int32) { appendLittleEndian(value) }
    @inlinable public mutating func writeInt64(_ value: Int64) { appendLittleEndian(value) }
    /// The IEEE 754 bit pattern: NaN payloads, signed zeros and infinities survive.
    @inlinable public mutating func writeFloat64(_ value: Double) { appendLittleEndian(value.bitPattern) }

    /// A `UInt32` length, then the bytes.
    @inlinable
    public mutating func writeBytes<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        writeCount(bytes.count)
        storage.append(contentsOf: bytes)
    }

    /// A `UInt32` length in UTF-8 bytes, then the UTF-8 bytes.
    @inlinable
    public mutating func writeString(_ string: String) {
        let utf8 = string.utf8
        writeCount(utf8.count)
        storage.append(contentsOf: utf8)
    }

    /// Bytes with no length prefix (fixed-size fields such as a 32-byte hash).
    @inlinable
    public mutating func writeRawBytes<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        storage.append(contentsOf: bytes)
    }

    /// A `UInt32` count, then each value's bit pattern.
    @inlinable
    public mutating func writeFloat64Array(_ values: [Double]) {
        writeCount(values.count)
        #if _endian(little)
        values.withUnsafeBytes { storage.append(contentsOf: $0) }
        #else
        storage.reserveCapacity(storage.count + 8 * values.count)
        for value in values { appendLittleEndian(value.bitPattern) }
        #endif
    }

    /// A `UInt32` count, then each value.
    @inlinable
    public mutating func writeInt32Array(_ values: [Int32]) {
        writeCount(values.count)
        #if _endian(little)
        values.withUnsafeBytes { storage.append(contentsOf: $0) }
        #else
        storage.reserveCapacity(storage.count + 4 * values.count)
        for value in values { appendLittleEndian(value) }
        #endif
    }

    /// Counts above `UInt32.max` cannot be framed; no ttcg message comes near (ZeroMQ frames
    /// that big would not be sent either), so this is a programming error.
    @inlinable
    mutating func writeCount(_ count: Int) {
        precondition(count <= Int(UInt32.max), "WireWriter: \(count) elements do not fit a UInt32 count")
        appendLittleEndian(UInt32(truncatingIfNeeded: count))
    }
}
