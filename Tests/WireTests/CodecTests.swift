// WireWriter / WireReader: exact round trips, and bytes from a hostile peer never trap.
import Wire
import XCTest

final class CodecTests: XCTestCase {
    func testEveryTypeRoundTrips() throws {
        var writer = WireWriter()
        writer.writeUInt8(0xAB)
        writer.writeBool(true)
        writer.writeBool(false)
        writer.writeUInt16(0xBEEF)
        writer.writeUInt32(.max)
        writer.writeUInt64(0x0123_4567_89AB_CDEF)
        writer.writeInt32(.min)
        writer.writeInt64(-42)
        writer.writeFloat64(-0.0)
        writer.writeFloat64(.infinity)
        writer.writeFloat64(Double(bitPattern: 0x7FF8_0000_0000_BEEF))   // NaN with a payload
        writer.writeFloat64(.leastNonzeroMagnitude)
        writer.writeBytes([UInt8]())
        writer.writeBytes([0, 1, 255])
        writer.writeString("")
        writer.writeString("β = ∞, 🎲")
        writer.writeFloat64Array([1.5, -2.25, .nan, 1e308])
        writer.writeFloat64Array([])
        writer.writeInt32Array([7, -7, .max, .min])
        writer.writeRawBytes([9, 9])

        var reader = WireReader(writer.bytes)
        XCTAssertEqual(try reader.readUInt8(), 0xAB)
        XCTAssertEqual(try reader.readBool(), true)
        XCTAssertEqual(try reader.readBool(), false)
        XCTAssertEqual(try reader.readUInt16(), 0xBEEF)
        XCTAssertEqual(try reader.readUInt32(), .max)
        XCTAssertEqual(try reader.readUInt64(), 0x0123_4567_89AB_CDEF)
        XCTAssertEqual(try reader.readInt32(), .min)
        XCTAssertEqual(try reader.readInt64(), -42)
        XCTAssertEqual(try reader.readFloat64().bitPattern, (-0.0).bitPattern)
        XCTAssertEqual(try reader.readFloat64(.notNaN), .infinity)
        XCTAssertEqual(try reader.readFloat64().bitPattern, 0x7FF8_0000_0000_BEEF)
        XCTAssertEqual(try reader.readFloat64(.finite), .leastNonzeroMagnitude)
        XCTAssertEqual(try reader.readBytes(maxCount: 0), [])
        XCTAssertEqual(try reader.readBytes(maxCount: 3), [0, 1, 255])
        XCTAssertEqual(try reader.readString(maxUTF8Count: 0), "")
        XCTAssertEqual(try reader.readString(maxUTF8Count: 64), "β = ∞, 🎲")
        let doubles = try reader.readFloat64Array(maxCount: 4)
        XCTAssertEqual(doubles.map(\.bitPattern), [1.5, -2.25, .nan, 1e308].map(\.bitPattern))
        XCTAssertEqual(try reader.readFloat64Array(maxCount: 0), [])
        XCTAssertEqual(try reader.readInt32Array(maxCount: 10), [7, -7, .max, .min])
        XCTAssertEqual(try reader.readRawBytes(count: 2), [9, 9])
        XCTAssertTrue(reader.isAtEnd)
        XCTAssertNoThrow(try reader.finish())
    }

    func testTheLayoutIsLittleEndianWithUInt32Lengths() {
        var writer = WireWriter()
        writer.writeUInt16(0x0102)
        writer.writeUInt32(0x0304_0506)
        writer.writeString("hi")
        writer.writeFloat64(1.0)
        writer.writeInt32Array([-1])
        XCTAssertEqual(writer.bytes, [0x02, 0x01, 0x06, 0x05, 0x04, 0x03,
                                      2, 0, 0, 0, 0x68, 0x69,
                                      0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
                                      1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        writer.removeAll()
        XCTAssertEqual(writer.count, 0)
    }

    func testCapsAreEnforcedBeforeAllocating() {
        var writer = WireWriter()
        writer.writeString("four")
        assertMalformed(writer.bytes, containing: "above the cap of 3") { _ = try $0.readString(maxUTF8Count: 3) }
        assertMalformed(writer.bytes, containing: "above the cap of 3") { _ = try $0.readBytes(maxCount: 3) }

        writer.removeAll()
        writer.writeFloat64Array([1, 2, 3])
        assertMalformed(writer.bytes, containing: "above the cap of 2") { _ = try $0.readFloat64Array(maxCount: 2) }
        writer.removeAll()
        writer.writeInt32Array([1, 2, 3])
        assertMalformed(writer.bytes, containing: "above the cap of 2") { _ = try $0.readInt32Array(maxCount: 2) }

        // A 4 GB length in an 8-byte frame is a truncation, even with no cap at all.
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]
        assertMalformed(huge, containing: "truncated") { _ = try $0.readBytes(maxCount: .max) }
        assertMalformed(huge, containing: "truncated") { _ = try $0.readFloat64Array(maxCount: .max) }
        assertMalformed(huge, containing: "truncated") { _ = try $0.readString(maxUTF8Count: .max) }
        assertMalformed([1, 2], containing: "truncated") { _ = try $0.readRawBytes(count: 3) }
    }

    func testTruncationTrailingBytesAndBadValuesAreMalformed() {
        var writer = WireWriter()
        writer.writeUInt64(1)
        writer.writeString("abc")
        let whole = writer.bytes
        for cut in 0..<whole.count {
            assertMalformed(Array(whole.prefix(cut)), containing: "truncated") { reader in
                _ = try reader.readUInt64()
                _ = try reader.readString(maxUTF8Count: 10)
            }
        }
        assertMalformed(whole + [0], containing: "1 trailing byte after offset 15") { reader in
            _ = try reader.readUInt64()
            _ = try reader.readString(maxUTF8Count: 10)
            try reader.finish()
        }
        assertMalformed([3, 0, 0, 0, 0x61, 0xFF, 0x62], containing: "invalid UTF-8") {
            _ = try $0.readString(maxUTF8Count: 10)
        }
        assertMalformed([3, 0, 0, 0, 0xED, 0xA0, 0x80], containing: "invalid UTF-8") {   // a surrogate
            _ = try $0.readString(maxUTF8Count: 10)
        }
        assertMalformed([2], containing: "not 0 or 1") { _ = try $0.readBool() }

        for (value, check) in [(Double.nan, Float64Check.notNaN), (.nan, .finite), (-.infinity, .finite),
                               (.infinity, .notInfinite), (-.infinity, .notInfinite)] {
            var w = WireWriter()
            w.writeFloat64(value)
            assertMalformed(w.bytes, containing: "Float64") { _ = try $0.readFloat64(check) }
            w.removeAll()
            w.writeFloat64Array([1, value])
            assertMalformed(w.bytes, containing: "at offset 12") { _ = try $0.readFloat64Array(maxCount: 2, check) }
        }
        // NaN is a result ("undefined"), an infinity never is.
        var w = WireWriter()
        w.writeFloat64Array([.nan, -.nan, 1e308, -0.0])
        var r = WireReader(w.bytes)
        XCTAssertEqual(try r.readFloat64Array(maxCount: 4, .notInfinite).count, 4)
    }

    /// Random messages of random schemas round-trip; then truncated, bit-flipped, spliced and
    /// random buffers either decode or throw `.malformed`, and never trap.
    func testMutatedBuffersDecodeOrThrowMalformed() throws {
        var random = SeededGenerator(seed: 0x7474_6367)
        var decodedAfterMutation = 0, rejected = 0
        for _ in 0..<3_000 {
            let fields = (0..<Int.random(in: 1...8, using: &random)).map { _ in Field.random(using: &random) }
            var writer = WireWriter()
            for field in fields { field.encode(into: &writer) }
            let bytes = writer.bytes
            XCTAssertEqual(try Field.decode(bytes, like: fields), fields)

            for _ in 0..<30 {
                let mutated = mutate(bytes, using: &random)
                do {
                    _ = try Field.decode(mutated, like: fields)
                    decodedAfterMutation += 1
                } catch {
                    guard case .malformed = error else { return XCTFail("unexpected \(error)") }
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, 10_000)
        XCTAssertGreaterThan(decodedAfterMutation, 1_000, "bit flips in payloads should still decode")
    }

    private func mutate(_ bytes: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            return Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
        case 1 where !bytes.isEmpty:
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let i = Int.random(in: bytes.indices, using: &random)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            }
        case 2 where !bytes.isEmpty:
            bytes[Int.random(in: bytes.indices, using: &random)] = .random(in: 0...255, using: &random)
        case 3:
            bytes.insert(.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
        case 4 where !bytes.isEmpty:
            bytes.remove(at: Int.random(in: bytes.indices, using: &random))
        default:
            bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        return bytes
    }

    private func assertMalformed(_ bytes: [UInt8], containing text: String,
                                 file: StaticString = #filePath, line: UInt = #line,
                                 _ read: (inout WireReader) throws -> Void) {
        var reader = WireReader(bytes)
        do {
            try read(&reader)
            XCTFail("decoded \(bytes) without complaint", file: file, line: line)
        } catch {
            guard let error = error as? WireError, case .malformed(let message) = error else {
                return XCTFail("expected .malformed, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(text), "\"\(message)\" lacks \"\(text)\"", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("malformed message: "), file: file, line: line)
        }
    }
}

/// One field of a random schema, with its value (doubles as bit patterns so NaNs compare).
private enum Field: Equatable {
    case uint8(UInt8), bool(Bool), uint16(UInt16), uint32(UInt32), uint64(UInt64)
    case int32(Int32), int64(Int64), float64(UInt64), bytes([UInt8]), string(String)
    case float64s([UInt64]), int32s([Int32])

    static let cap = 40

    static func random(using g: inout SeededGenerator) -> Field {
        let length = Int.random(in: 0...cap, using: &g)
        switch Int.random(in: 0..<12, using: &g) {
        case 0: return .uint8(.random(in: .min ... .max, using: &g))
        case 1: return .bool(.random(using: &g))
        case 2: return .uint16(.random(in: .min ... .max, using: &g))
        case 3: return .uint32(.random(in: .min ... .max, using: &g))
        case 4: return .uint64(.random(in: .min ... .max, using: &g))
        case 5: return .int32(.random(in: .min ... .max, using: &g))
        case 6: return .int64(.random(in: .min ... .max, using: &g))
        case 7: return .float64(.random(in: .min ... .max, using: &g))
        case 8: return .bytes((0..<length).map { _ in .random(in: 0...255, using: &g) })
        case 9:
            let scalars = (0..<length / 4).map { _ in
                ["a", "é", "∞", "🎲", "\u{0}"].randomElement(using: &g)!
            }
            return .string(scalars.joined())
        case 10: return .float64s((0..<length).map { _ in .random(in: .min ... .max, using: &g) })
        default: return .int32s((0..<length).map { _ in .random(in: .min ... .max, using: &g) })
        }
    }

    func encode(into w: inout WireWriter) {
        switch self {
        case .uint8(let v): w.writeUInt8(v)
        case .bool(let v): w.writeBool(v)
        case .uint16(let v): w.writeUInt16(v)
        case .uint32(let v): w.writeUInt32(v)
        case .uint64(let v): w.writeUInt64(v)
        case .int32(let v): w.writeInt32(v)
        case .int64(let v): w.writeInt64(v)
        case .float64(let v): w.writeFloat64(Double(bitPattern: v))
        case .bytes(let v): w.writeBytes(v)
        case .string(let v): w.writeString(v)
        case .float64s(let v): w.writeFloat64Array(v.map(Double.init(bitPattern:)))
        case .int32s(let v): w.writeInt32Array(v)
        }
    }

    /// Reads fields of the same kinds as `schema`, then requires the end of the buffer.
    static func decode(_ bytes: [UInt8], like schema: [Field]) throws(WireError) -> [Field] {
        var r = WireReader(bytes)
        var fields: [Field] = []
        for kind in schema {
            switch kind {
            case .uint8: fields.append(.uint8(try r.readUInt8()))
            case .bool: fields.append(.bool(try r.readBool()))
            case .uint16: fields.append(.uint16(try r.readUInt16()))
            case .uint32: fields.append(.uint32(try r.readUInt32()))
            case .uint64: fields.append(.uint64(try r.readUInt64()))
            case .int32: fields.append(.int32(try r.readInt32()))
            case .int64: fields.append(.int64(try r.readInt64()))
            case .float64: fields.append(.float64(try r.readFloat64().bitPattern))
            case .bytes: fields.append(.bytes(try r.readBytes(maxCount: cap)))
            case .string: fields.append(.string(try r.readString(maxUTF8Count: cap)))
            case .float64s: fields.append(.float64s(try r.readFloat64Array(maxCount: cap).map(\.bitPattern)))
            case .int32s: fields.append(.int32s(try r.readInt32Array(maxCount: cap)))
            }
        }
        try r.finish()
        return fields
    }
}
