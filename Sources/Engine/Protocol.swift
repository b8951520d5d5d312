// The coordinator <-> worker protocol (docs/protocol.md). Every message is two frames:
// a 7-byte header (magic "TTCG", protocol version, message type) and a body encoded with
// Wire's little-endian codec. Decoding validates everything: sizes, counts, finite
// numbers where they must be, ids in range; anything else is `WireError.malformed`.

import GameCore
import Profiles
import Sweep
import Wire

/// The protocol version; a peer with another one is refused with a message saying so.
public let protocolVersion: UInt16 = 2

/// Limits that keep memory bounded whatever a peer sends.
public enum ProtocolLimits {
    /// Largest message accepted on either socket (ZMQ_MAXMSGSIZE), bytes.
    public static let maxMessageBytes: Int64 = 256 << 20
    public static let maxSpecBytes = SweepSpec.maxTextBytes
    public static let maxMarketBytes = MarketFile.maxTextBytes
    public static let maxMarkets = 10_000
    public static let maxText = 64 << 10
    public static let maxPointsPerItem = 100_000
    public static let maxProviders = 100_000
    public static let maxTrajectoryRows = 10_000_000
}

/// The tag of a sweep in item, result and failure messages: the first 64 bits of its spec
/// hash, so a result computed for another spec (an old coordinator's) is never accepted.
public func sweepTag(_ specHash: String) -> UInt64 {
    UInt64(specHash.prefix(16), radix: 16) ?? 0
}

/// Message types.
public enum MessageType: UInt8, Sendable, CaseIterable {
    /// worker -> coordinator: version, host, pid, threads.
    case hello = 1
    /// coordinator -> worker: the spec, its hash, the markets, heartbeat settings.
    case welcome = 2
    /// coordinator -> worker: refused (other version, other spec, sweep over); reason.
    case refuse = 3
    /// worker -> coordinator: ready for `credit` more items.
    case ready = 4
    /// coordinator -> worker: play this item.
    case item = 5
    /// worker -> coordinator: the results of an item.
    case result = 6
    /// worker -> coordinator: an item failed, with the error.
    case failed = 7
    /// both ways: still alive.
    case heartbeat = 8
    /// coordinator -> worker: the sweep is complete; exit 0.
    case done = 9
    /// client -> coordinator status socket: send the status.
    case statusRequest = 10
    /// coordinator -> client: the status as JSON text.
    case statusReply = 11
    /// coordinator -> worker: skip this item if it has not started (another worker's copy
    /// of it was stored first).
    case revoke = 12
}

/// A decoded message.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case refuse(reason: String)
    case ready(credit: UInt32)
    case item(sweep: UInt64, id: UInt32, attempt: UInt32)
    /// `seconds`: how long the worker took to play the item (the coordinator's cost model).
    case result(sweep: UInt64, id: UInt32, attempt: UInt32, seconds: Double, block: ResultBlock)
    case failed(sweep: UInt64, id: UInt32, attempt: UInt32, seconds: Double, error: String)
    case revoke(sweep: UInt64, id: UInt32)
    case heartbeat
    case done
    case statusRequest
    case statusReply(json: String)

    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .refuse: return .refuse
        case .ready: return .ready
        case .item: return .item
        case .result: return .result
        case .failed: return .failed
        case .heartbeat: return .heartbeat
        case .done: return .done
        case .statusRequest: return .statusRequest
        case .statusReply: return .statusReply
        case .revoke: return .revoke
        }
    }
}

public struct Hello: Sendable, Equatable {
    public var host: String
    public var pid: UInt32
    public var threads: UInt32
    public init(host: String, pid: UInt32, threads: UInt32) {
        self.host = host
        self.pid = pid
        self.threads = threads
    }
}

public struct Welcome: Sendable, Equatable {
    public var specHash: String
    public var specText: String
    public var specSource: String
    /// One market per spec entry, as market-file JSON (`MarketFile.renderJSON`).
    public var markets: [String]
    public var heartbeatMilliseconds: UInt32
    public var timeoutMilliseconds: UInt32

    public init(specHash: String, specText: String, specSource: String, markets: [String],
                heartbeatMilliseconds: UInt32, timeoutMilliseconds: UInt32) {
        self.specHash = specHash
        self.specText = specText
        self.specSource = specSource
        self.markets = markets
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// Encoding and decoding of messages.
public enum Codec {
    static let magic: [UInt8] = Array("TTCG".utf8)

    /// The two frames of `message`.
    public static func encode(_ message: Message) -> [[UInt8]] {
        var header = WireWriter(capacity: 7)
        header.writeRawBytes(magic)
        header.writeUInt16(protocolVersion)
        header.writeUInt8(message.type.rawValue)
        var body = WireWriter(capacity: 64)
        switch message {
        case .hello(let h):
            body.writeString(h.host)
            body.writeUInt32(h.pid)
            body.writeUInt32(h.threads)
        case .welcome(let w):
            body.writeString(w.specHash)
            body.writeString(w.specText)
            body.writeString(w.specSource)
            body.writeUInt32(UInt32(w.markets.count))
            for m in w.markets { body.writeString(m) }
            body.writeUInt32(w.heartbeatMilliseconds)
            body.writeUInt32(w.timeoutMilliseconds)
        case .refuse(let reason):
            body.writeString(reason)
        case .ready(let credit):
            body.writeUInt32(credit)
        case .item(let sweep, let id, let attempt):
            body.writeUInt64(sweep)
            body.writeUInt32(id)
            body.writeUInt32(attempt)
        case .result(let sweep, let id, let attempt, let seconds, let block):
            body.writeUInt64(sweep)
            body.writeUInt32(id)
            body.writeUInt32(attempt)
            body.writeFloat64(seconds)
            encode(block, into: &body)
        case .failed(let sweep, let id, let attempt, let seconds, let error):
            body.writeUInt64(sweep)
            body.writeUInt32(id)
            body.writeUInt32(attempt)
            body.writeFloat64(seconds)
            body.writeString(error)
        case .revoke(let sweep, let id):
            body.writeUInt64(sweep)
            body.writeUInt32(id)
        case .heartbeat, .done, .statusRequest:
            break
        case .statusReply(let json):
            body.writeString(json)
        }
        return [header.bytes, body.bytes]
    }

    /// What went wrong with a header, so the peer can be told (version) or the message dropped.
    public enum HeaderProblem: Error, Equatable {
        case malformed(String)
        case version(UInt16)
    }

    /// Decodes the two frames of a message. A peer speaking another protocol version gets
    /// `.version` so it can be refused politely; everything else invalid is `.malformed`.
    public static func decode(_ frames: [[UInt8]]) throws(HeaderProblem) -> Message {
        guard frames.count == 2 else { throw .malformed("expected 2 frames, got \(frames.count)") }
        var header = WireReader(frames[0])
        let type: UInt8
        do {
            guard try header.readRawBytes(count: 4) == magic else { throw HeaderProblem.malformed("not a ttcg message (bad magic)") }
            let version = try header.readUInt16()
            type = try header.readUInt8()
            try header.finish()
            guard version == protocolVersion else { throw HeaderProblem.version(version) }
        } catch let e as HeaderProblem {
            throw e
        } catch {
            throw .malformed("header: \(error)")
        }
        guard let kind = MessageType(rawValue: type) else { throw .malformed("unknown message type \(type)") }
        var r = WireReader(frames[1])
        do {
            let message = try decodeBody(kind, &r)
            try r.finish()
            return message
        } catch let e as HeaderProblem {
            throw e
        } catch {
            throw .malformed("\(kind): \(error)")
        }
    }

    static func decodeBody(_ kind: MessageType, _ r: inout WireReader) throws -> Message {
        let text = ProtocolLimits.maxText
        switch kind {
        case .hello:
            return .hello(Hello(host: try r.readString(maxUTF8Count: 1024), pid: try r.readUInt32(), threads: try r.readUInt32()))
        case .welcome:
            let hash = try r.readString(maxUTF8Count: 128)
            let spec = try r.readString(maxUTF8Count: ProtocolLimits.maxSpecBytes)
            let source = try r.readString(maxUTF8Count: 4096)
            let n = Int(try r.readUInt32())
            guard n <= ProtocolLimits.maxMarkets else { throw WireError.malformed("\(n) markets exceed the cap") }
            var markets: [String] = []
            for _ in 0..<n { markets.append(try r.readString(maxUTF8Count: ProtocolLimits.maxMarketBytes)) }
            return .welcome(Welcome(specHash: hash, specText: spec, specSource: source, markets: markets,
                                    heartbeatMilliseconds: try r.readUInt32(), timeoutMilliseconds: try r.readUInt32()))
        case .refuse: return .refuse(reason: try r.readString(maxUTF8Count: text))
        case .ready: return .ready(credit: try r.readUInt32())
        case .item: return .item(sweep: try r.readUInt64(), id: try r.readUInt32(), attempt: try r.readUInt32())
        case .result:
            let sweep = try r.readUInt64(), id = try r.readUInt32(), attempt = try r.readUInt32()
            let seconds = try readPlaySeconds(&r)
            return .result(sweep: sweep, id: id, attempt: attempt, seconds: seconds, block: try decodeBlock(&r))
        case .failed:
            let sweep = try r.readUInt64(), id = try r.readUInt32(), attempt = try r.readUInt32()
            let seconds = try readPlaySeconds(&r)
            return .failed(sweep: sweep, id: id, attempt: attempt, seconds: seconds, error: try r.readString(maxUTF8Count: text))
        case .revoke:
            return .revoke(sweep: try r.readUInt64(), id: try r.readUInt32())
        case .heartbeat: return .heartbeat
        case .done: return .done
        case .statusRequest: return .statusRequest
        case .statusReply: return .statusReply(json: try r.readString(maxUTF8Count: 16 << 20))
        }
    }

    /// The seconds a worker says an item took: finite, 0 or more, at most a year.
    static func readPlaySeconds(_ r: inout WireReader) throws -> Double {
        let seconds = try r.readFloat64(.finite)
        guard seconds >= 0 && seconds <= 3.2e7 else { throw WireError.malformed("play seconds \(seconds) outside 0...3.2e7") }
        return seconds
    }

    // MARK: result blocks

    /// Bytes of a RESULT body before its block: sweep tag (8), item id (4), attempt (4),
    /// seconds (8).
    static let resultBlockOffset = 24

    /// The encoded block of a RESULT message's body (the second frame): what the journal
    /// stores as it came (`JournalWriter.appendResult(item:encodedBlock:)`).
    public static func resultBlockBytes(ofBody body: [UInt8]) -> ArraySlice<UInt8> {
        body[min(resultBlockOffset, body.count)...]
    }

    static func encode(_ b: ResultBlock, into w: inout WireWriter) {
        w.writeUInt64(UInt64(b.start))
        w.writeUInt32(UInt32(b.count))
        w.writeUInt32(UInt32(b.providers))
        for c in b.float64 { w.writeFloat64Array(c) }
        for c in b.int32 { w.writeInt32Array(c) }
        for c in b.int64 {
            w.writeUInt32(UInt32(c.count))
            for x in c { w.writeInt64(x) }
        }
        for c in b.uint8 { w.writeBytes(c) }
        let errors = b.errors.sorted { $0.key < $1.key }
        w.writeUInt32(UInt32(errors.count))
        for (point, message) in errors {
            w.writeUInt64(UInt64(point))
            w.writeString(message)
        }
        w.writeUInt32(UInt32(b.trajectories.count))
        for t in b.trajectories {
            let tr = t.trajectory
            w.writeUInt64(UInt64(t.point))
            w.writeUInt32(UInt32(tr.providerCount))
            w.writeInt32Array(tr.profiles.map { Int32(clamping: $0) })
            w.writeFloat64Array(tr.shares)
            w.writeFloat64Array(tr.utilities)
            w.writeFloat64Array(tr.welfare)
            w.writeFloat64Array(tr.potential)
            w.writeFloat64Array(tr.inefficiency)
            w.writeInt32Array(tr.visited.map { Int32(clamping: $0) })
            w.writeBytes(tr.moved.map { $0 ? UInt8(1) : 0 })
        }
    }

    static func decodeBlock(_ r: inout WireReader) throws -> ResultBlock {
        let start = Int(clamping: try r.readUInt64())
        let count = Int(try r.readUInt32())
        let providers = Int(try r.readUInt32())
        guard count >= 1, count <= ProtocolLimits.maxPointsPerItem, providers >= 1, providers <= ProtocolLimits.maxProviders,
              start <= Int(Int64.max) - count else {
            throw WireError.malformed("block of \(count) points x \(providers) providers out of range")
        }
        let cols = ResultSchema.columns
        func size(_ c: Column) -> Int { c.perProvider ? count * providers : count }
        // The columns must be in the message before anything is allocated for them: a few
        // bytes claiming a huge block are rejected, not turned into gigabytes.
        let needed = cols.reduce(0) { total, c in total + 4 + c.kind.byteSize * size(c) }
        guard r.remaining >= needed else {
            throw WireError.malformed("block of \(count) points x \(providers) providers needs \(needed) bytes of columns, the message has \(r.remaining)")
        }
        var float64: [[Double]] = [], int32: [[Int32]] = [], int64: [[Int64]] = [], uint8: [[UInt8]] = []
        func expect(_ n: Int, _ c: Column) throws {
            guard n == size(c) else { throw WireError.malformed("column \(c.name): \(n) values, expected \(size(c))") }
        }
        for c in cols where c.kind == .float64 {
            // NaN marks "undefined" (a PoA without positive welfare, an enumeration not run);
            // an infinity is never a result.
            let values = try r.readFloat64Array(maxCount: size(c), .notInfinite)
            try expect(values.count, c)
            float64.append(values)
        }
        for c in cols where c.kind == .int32 {
            let values = try r.readInt32Array(maxCount: size(c))
            try expect(values.count, c)
            int32.append(values)
        }
        for c in cols where c.kind == .int64 {
            let n = Int(try r.readUInt32())
            try expect(n, c)
            var values = [Int64](repeating: 0, count: n)
            for j in 0..<n { values[j] = try r.readInt64() }
            int64.append(values)
        }
        for c in cols where c.kind == .uint8 {
            let values = try r.readBytes(maxCount: size(c))
            try expect(values.count, c)
            uint8.append(values)
        }
        // Columns taken as read: no block of fill values made first and overwritten.
        var b = ResultBlock(start: start, count: count, providers: providers,
                            float64: float64, int32: int32, int64: int64, uint8: uint8)
        // Status and profile values must be meaningful; the rest are measurements (NaN allowed).
        guard b.bytes("status").allSatisfy({ $0 <= PointStatus.failed.rawValue }) else {
            throw WireError.malformed("status values must be 0, 1 or 2")
        }
        let errorCount = Int(try r.readUInt32())
        guard errorCount <= count else { throw WireError.malformed("\(errorCount) errors for \(count) points") }
        for _ in 0..<errorCount {
            let point = Int(clamping: try r.readUInt64())
            guard point >= start && point < start + count else { throw WireError.malformed("error for point \(point) outside the block") }
            b.errors[point] = try r.readString(maxUTF8Count: ProtocolLimits.maxText)
        }
        let trajectoryCount = Int(try r.readUInt32())
        guard trajectoryCount <= count else { throw WireError.malformed("\(trajectoryCount) trajectories for \(count) points") }
        for _ in 0..<trajectoryCount {
            let point = Int(clamping: try r.readUInt64())
            guard point >= start && point < start + count else { throw WireError.malformed("trajectory of point \(point) outside the block") }
            let n = Int(try r.readUInt32())
            guard n == providers else { throw WireError.malformed("trajectory with \(n) providers, expected \(providers)") }
            let cap = ProtocolLimits.maxTrajectoryRows
            var t = Trajectory(providerCount: n)
            t.profiles = try r.readInt32Array(maxCount: cap * n).map(Int.init)
            t.shares = try r.readFloat64Array(maxCount: cap * n)
            t.utilities = try r.readFloat64Array(maxCount: cap * n)
            t.welfare = try r.readFloat64Array(maxCount: cap)
            let rows = t.welfare.count
            t.potential = try r.readFloat64Array(maxCount: cap)
            t.inefficiency = try r.readFloat64Array(maxCount: cap)
            t.visited = try r.readInt32Array(maxCount: cap).map(Int.init)
            t.moved = try r.readBytes(maxCount: cap).map { $0 != 0 }
            guard t.profiles.count == rows * n, t.shares.count == rows * n, t.utilities.count == rows * n,
                  t.potential.count == rows, t.inefficiency.count == rows, t.visited.count == rows, t.moved.count == rows else {
                throw WireError.malformed("trajectory of point \(point): inconsistent row counts")
            }
            b.trajectories.append(PointTrajectory(point: point, trajectory: t))
        }
        return b
    }
}
