// CRC-32C (Castagnoli), the checksum of every journal record (docs/journal.md).
//
// Why CRC-32C and not zlib's CRC-32: same cost, better detection at the sizes of our records
// (Koopman: Hamming distance 4 up to 2^31 bits, where zlib's polynomial falls to 3 beyond
// about 11 KB; a 256-point result record is tens of KB), and it is the checksum of iSCSI,
// ext4 metadata, Btrfs and the LevelDB/RocksDB logs, so independent readers exist (Python
// `crc32c`, Go `hash/crc32` with the Castagnoli table). Every burst up to 32 bits is
// detected, so a single damaged byte always is. The CPU's crc32 instruction where there is
// one (SSE 4.2, through the CCRC32C target), else software slicing-by-8.

import CCRC32C
import Foundation

/// CRC-32C with the usual conventions (reflected polynomial 0x82F63B78, initial value and
/// final xor 0xFFFFFFFF): `checksum("123456789") == 0xE306_9283`.
public enum CRC32C {
    /// Slicing-by-8 tables: `table[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of `bytes`; pass a previous result as `crc` to continue over more bytes
    /// (`checksum(b, continuing: checksum(a)) == checksum(a + b)`).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard hardware, let base = bytes.baseAddress else { return software(bytes, continuing: crc) }
        return ttcg_crc32c(crc, base, bytes.count)
    }

    /// True when the CPU computes CRC-32C (SSE 4.2).
    public static let hardware = ttcg_crc32c_hardware() != 0

    /// The slicing-by-8 CRC: the fallback, and the reference the hardware one is tested against.
    public static func software(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var c = ~crc
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let lo = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = (c >> 8) ^ t[Int((c ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
            return ~c
        }
    }

    /// The CRC of a byte array (or slice of one).
    public static func checksum<Bytes: ContiguousBytes>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
