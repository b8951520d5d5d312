/// The text of a NUL-terminated C buffer filled by libzmq or HDF5 (up to its first zero byte).
func decodeCString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
