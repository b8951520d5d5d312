// protocolDecoder: the coordinator <-> worker protocol decoder (`Codec.decode`), which
// reads whatever a peer sends on the coordinator's sockets and in a worker's.

import Engine

extension FuzzTargets {
    /// Input: byte 0 is the number of frames (mod 4); every frame but the last is a 2-byte
    /// little-endian length and that many bytes (cut short at the end of the input); the
    /// last frame is the rest. A message that decodes must encode to frames that decode
    /// again and encode to the same bytes.
    public static func protocolDecoder(_ data: UnsafeRawBufferPointer) {
        let frames = protocolFrames(data)
        let message: Message
        do {
            message = try Codec.decode(frames)
        } catch {
            return
        }
        let encoded = Codec.encode(message)
        let again: Message
        do {
            again = try Codec.decode(encoded)
        } catch {
            fuzzCheck(false, "a decoded \(message.type) message encodes to frames that do not decode: \(error)")
            return
        }
        fuzzCheck(again.type == message.type, "a decoded \(message.type) message decodes as \(again.type) after encoding")
        fuzzCheck(Codec.encode(again) == encoded, "a decoded \(message.type) message does not encode the same way twice")
    }

    /// The frames of a protocolDecoder input (see there).
    public static func protocolFrames(_ data: UnsafeRawBufferPointer) -> [[UInt8]] {
        guard let first = data.first else { return [] }
        let count = Int(first % 4)
        var frames: [[UInt8]] = []
        var at = 1
        for k in 0..<count {
            if k == count - 1 {
                frames.append(Array(data[min(at, data.count)...]))
                break
            }
            var length = 0
            if at < data.count { length = Int(data[at]) }
            if at + 1 < data.count { length |= Int(data[at + 1]) << 8 }
            at = min(at + 2, data.count)
            let end = min(at + length, data.count)
            frames.append(Array(data[at..<end]))
            at = end
        }
        return frames
    }

    /// The protocolDecoder input of `frames` (the inverse of `protocolFrames` for 1 to 3
    /// frames of at most 65,535 bytes but the last), for seed corpora.
    public static func protocolInput(_ frames: [[UInt8]]) -> [UInt8] {
        precondition((1...3).contains(frames.count))
        var out: [UInt8] = [UInt8(frames.count)]
        for (k, f) in frames.enumerated() {
            if k < frames.count - 1 {
                precondition(f.count <= 0xFFFF)
                out.append(UInt8(f.count & 0xFF))
                out.append(UInt8(f.count >> 8))
            }
            out += f
        }
        return out
    }
}
