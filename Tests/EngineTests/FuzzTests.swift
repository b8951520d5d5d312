// The coordinator under fire. A fuzzer process sends over 100,000 random and mutated
// messages to a running coordinator over tcp loopback: random frames, valid headers with
// random bodies, valid messages with bit flips, truncations, extensions, other versions and
// types, huge length prefixes, item ids out of range, NaN and infinities, results for items
// not leased or with another sweep tag, another item's block, duplicates, messages of the
// wrong direction, and hellos from hundreds of fake peers; the status socket gets its share.
// Then an honest worker plays the sweep while welcomed peers keep forging results.
//
// Asserted: the coordinator survives; every garbage message is dropped and counted (the
// status counters equal the fuzzer's own tally); the sweep completes and every block equals
// `plan.evaluate(item, threads: 1)` bit for bit, from the honest worker alone; the
// coordinator process's peak resident memory (VmHWM) grows by less than 200 MB.
//
// Four more tests probe issue 5 item 4 (memory bounded whatever peers send) one attack at a
// time: a 40-byte result claiming a huge block, 3,000 fake peers, a hello flood from a peer
// that never reads, and a peer sending faster than the coordinator reads. They fail on the
// coordinator; the notes at each bound say which protection it checks.
// The coordinator runs in a child process of its own (this test binary again, on
// `testFuzzerProcess`), and so do the attackers; the honest worker runs in the test process
// and connects over tcp. The memory bound is on the coordinator child's own peak growth,
// measured inside it: the test process is shared by every test, so its resident set depends
// on test order and on what earlier tests left in malloc, and a coordinator that crashes
// takes only its child down.

import Engine
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GameCore
import Profiles
import Sweep
import Wire
import XCTest

// MARK: - Tools

/// A field of /proc/self/status in bytes (`VmRSS`, `VmHWM`), 0 if unreadable.
func procStatusBytes(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let fields = line.split(whereSeparator: \.isWhitespace)
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * 1024
    }
    return 0
}

/// The process's resident set (VmRSS), bytes.
func residentBytes() -> Int { procStatusBytes("VmRSS") }

/// Resets the process's peak resident set (VmHWM) to the current one; false if the kernel
/// does not allow it.
func resetPeakResident() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    return (try? handle.write(contentsOf: Data("5".utf8))) != nil
}

/// The peak resident memory growth of this process from `init` to `stop`: the kernel's
/// VmHWM (reset at the start), so no spike between samples is missed; where it cannot be
/// reset, VmRSS sampled every 10 ms.
final class RSSMonitor: @unchecked Sendable {
    // @unchecked: `peakBytes` and `running` are only touched under `lock`.
    private let lock = NSLock()
    private var peakBytes = 0
    private var running = true
    private let finished = DispatchSemaphore(value: 0)
    let baseline = residentBytes()
    let exact = resetPeakResident()

    init() {
        peakBytes = baseline
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let now = residentBytes()
                lock.withLock { peakBytes = max(peakBytes, now) }
                usleep(10_000)
            }
            finished.signal()
        }
    }

    /// Stops; returns the peak growth over the baseline, in MB.
    func stop() -> Double {
        lock.withLock { running = false }
        finished.wait()
        var peak = lock.withLock { max(peakBytes, residentBytes()) }
        if exact { peak = max(peak, procStatusBytes("VmHWM")) }
        return Double(peak - baseline) / 1_048_576
    }
}

/// SplitMix64, so a failing run replays from its seed.
struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// The sweep, its reference results, and valid encodings to mutate.
struct FuzzCorpus: Sendable {
    let plan: SweepPlan
    let json: [String]
    let tag: UInt64
    /// `plan.evaluate(item, threads: 1)` for every item.
    let blocks: [ResultBlock]
    /// RESULT(tag, item, attempt 1, block) per item.
    let results: [[[UInt8]]]
    /// Offsets of every UInt32 length field in each result body (for huge-length mutations).
    let lengthOffsets: [[Int]]
    /// Messages a worker may send and messages only a coordinator sends.
    let workerMessages: [[[UInt8]]]
    let coordinatorMessages: [[[UInt8]]]

    static let spec = """
        markets: [gsm8k/chain-of-thought, {market: aime/majority, models: [Llama-3.2-3B, Llama-3.1-8B, Qwen2-7B]}]
        axes: {beta: [{logspace: [0, 3, 4]}, inf], margin: [0.1, 0.25], seed: {range: [0, 2]}}
        outputs: {chunk: 4, trajectories: {beta: [inf]}}
        """

    init() throws {
        (plan, json) = try makePlan(Self.spec)
        tag = sweepTag(plan.spec.hash)
        let plan = self.plan, tag = self.tag
        blocks = plan.items.map { plan.evaluate($0, threads: 1) }
        results = plan.items.map { Codec.encode(.result(sweep: tag, id: UInt32($0.id), attempt: 1, seconds: 0, block: plan.evaluate($0, threads: 1))) }
        lengthOffsets = blocks.map(Self.lengthOffsets)
        workerMessages = [
            Codec.encode(.hello(Hello(host: "fuzz", pid: 7, threads: 1))),
            Codec.encode(.ready(credit: 0)),
            Codec.encode(.heartbeat),
            Codec.encode(.failed(sweep: tag, id: 0, attempt: 1, seconds: 0, error: "forged failure")),
            Codec.encode(.statusRequest),
        ]
        coordinatorMessages = [
            Codec.encode(.welcome(Welcome(specHash: plan.spec.hash, specText: plan.spec.text, specSource: plan.spec.source,
                                          markets: json, heartbeatMilliseconds: 100, timeoutMilliseconds: 1000))),
            Codec.encode(.item(sweep: tag, id: 0, attempt: 1)),
            Codec.encode(.refuse(reason: "no")),
            Codec.encode(.done),
            Codec.encode(.statusReply(json: "{}")),
        ]
    }

    /// Where the count fields of an encoded RESULT body are (docs/protocol.md's layout).
    static func lengthOffsets(_ b: ResultBlock) -> [Int] {
        var offsets: [Int] = []
        var o = 16 + 16   // tag, id, attempt; start, count, providers
        func size(_ c: Column) -> Int { c.perProvider ? b.count * b.providers : b.count }
        let columns = ResultSchema.columns
        for c in columns where c.kind == .float64 { offsets.append(o); o += 4 + 8 * size(c) }
        for c in columns where c.kind == .int32 { offsets.append(o); o += 4 + 4 * size(c) }
        for c in columns where c.kind == .int64 { offsets.append(o); o += 4 + 8 * size(c) }
        for c in columns where c.kind == .uint8 { offsets.append(o); o += 4 + size(c) }
        offsets.append(o); o += 4
        for (_, message) in b.errors.sorted(by: { $0.key < $1.key }) { o += 8; offsets.append(o); o += 4 + message.utf8.count }
        offsets.append(o); o += 4
        for t in b.trajectories {
            o += 8; offsets.append(o); o += 4
            let rows = t.trajectory.welfare.count, n = t.trajectory.providerCount
            for (elements, width) in [(rows * n, 4), (rows * n, 8), (rows * n, 8), (rows, 8), (rows, 8), (rows, 8), (rows, 4), (rows, 1)] {
                offsets.append(o); o += 4 + elements * width
            }
        }
        return offsets
    }
}

/// What the coordinator should do with a message from a fuzz peer, decided with the codec
/// itself and the coordinator's rules (docs/protocol.md): count it, or take it (a hello, or a
/// heartbeat or zero-credit ready from a welcomed peer). A fuzz peer never holds a lease, so
/// every RESULT and FAILED it sends is counted.
enum Verdict { case counted, taken }

func mainSocketVerdict(_ frames: [[UInt8]], welcomed: inout Bool) -> Verdict {
    guard let message = try? Codec.decode(frames) else { return .counted }   // malformed, or refused version
    switch message {
    case .hello:
        welcomed = true
        return .taken
    case .ready(let credit):
        precondition(credit == 0, "a fuzz peer must never ask for items")
        return welcomed ? .taken : .counted
    case .heartbeat:
        return welcomed ? .taken : .counted
    default:
        return .counted
    }
}

func statusSocketVerdict(_ frames: [[UInt8]]) -> Verdict {
    if case .statusRequest? = try? Codec.decode(frames) { return .taken }
    return .counted
}

/// Makes fuzz messages.
struct MessageFuzzer {
    let corpus: FuzzCorpus
    var random: FuzzRandom
    var last: [[UInt8]] = [[0]]
    /// How many messages of each kind were made.
    var kinds: [String: Int] = [:]

    init(corpus: FuzzCorpus, seed: UInt64) {
        self.corpus = corpus
        random = FuzzRandom(seed: seed)
    }

    mutating func header(type: UInt8, version: UInt16 = 1) -> [UInt8] {
        Array("TTCG".utf8) + [UInt8(version & 0xFF), UInt8(version >> 8), type]
    }

    mutating func anyValid() -> [[UInt8]] {
        let pool = random.chance(0.5) ? corpus.results : corpus.workerMessages + corpus.coordinatorMessages
        return pool.randomElement(using: &random)!
    }

    /// A message for the main socket. Never a READY with credit: a fuzz peer must not lease.
    mutating func next() -> [[UInt8]] {
        var (kind, frames) = make()
        if case .ready(let credit)? = try? Codec.decode(frames), credit > 0 {
            frames = Codec.encode(.ready(credit: 0))
            kind += " (credit zeroed)"
        }
        kinds[kind, default: 0] += 1
        last = frames
        return frames
    }

    private mutating func make() -> (String, [[UInt8]]) {
        let items = corpus.plan.items.count
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<8:
            let frames = (0..<Int.random(in: 1...5, using: &random)).map { _ in
                random.bytes(random.chance(0.02) ? Int.random(in: 0...65_536, using: &random) : Int.random(in: 0...200, using: &random))
            }
            return ("random frames", frames)
        case 8..<16:
            let type = random.chance(0.7) ? UInt8.random(in: 1...11, using: &random) : UInt8.random(in: 0...255, using: &random)
            return ("valid header, random body", [header(type: type), random.bytes(Int.random(in: 0...300, using: &random))])
        case 16..<24:
            var frames = anyValid()
            guard !frames[1].isEmpty else { return ("bit flips", [frames[0], [UInt8.random(in: 0...255, using: &random)]]) }
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let i = Int.random(in: 0..<frames[1].count, using: &random)
                frames[1][i] ^= 1 << UInt8.random(in: 0...7, using: &random)
            }
            if random.chance(0.1) { frames[0][Int.random(in: 0..<7, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random) }
            return ("bit flips", frames)
        case 24..<30:
            var frames = anyValid()
            frames[1] = Array(frames[1].prefix(Int.random(in: 0...max(0, frames[1].count - 1), using: &random)))
            if frames[1].isEmpty && random.chance(0.5) { frames[0] = Array(frames[0].prefix(Int.random(in: 0...6, using: &random))) }
            return ("truncated", frames)
        case 30..<35:
            var frames = anyValid()
            frames[1] += random.bytes(Int.random(in: 1...64, using: &random))
            return ("extended", frames)
        case 35..<39:
            var frames = anyValid()
            var version = UInt16.random(in: 0...UInt16.max, using: &random)
            if version == 1 { version = 2 }
            frames[0][4] = UInt8(version & 0xFF)
            frames[0][5] = UInt8(version >> 8)
            return ("other protocol version", frames)
        case 39..<44:
            var frames = anyValid()
            frames[0][6] = random.chance(0.5) ? UInt8.random(in: 1...11, using: &random) : UInt8.random(in: 12...255, using: &random)
            return ("other message type", frames)
        case 44..<51:
            let i = Int.random(in: 0..<items, using: &random)
            var frames = corpus.results[i]
            let offsets = corpus.lengthOffsets[i]
            let at = random.chance(0.8) ? offsets.randomElement(using: &random)! : Int.random(in: 0..<(frames[1].count - 4), using: &random)
            let huge: UInt32 = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x1000_0000, 100_001, UInt32(frames[1].count), UInt32.random(in: 0...UInt32.max, using: &random)]
                .randomElement(using: &random)!
            for k in 0..<4 { frames[1][at + k] = UInt8(truncatingIfNeeded: huge >> (8 * UInt32(k))) }
            return ("huge length prefix", frames)
        case 51..<54:
            var frames = anyValid()
            switch Int.random(in: 0..<4, using: &random) {
            case 0: frames = [frames[0]]
            case 1: frames.append(random.bytes(Int.random(in: 0...16, using: &random)))
            case 2: frames = [frames[1], frames[0]]
            default: frames.insert([], at: 0)
            }
            return ("wrong frame count or order", frames)
        case 54..<56:
            var frames = anyValid()
            frames[0][Int.random(in: 0..<4, using: &random)] = UInt8.random(in: 0...255, using: &random)
            return ("bad magic", frames)
        case 56..<61:
            let i = Int.random(in: 0..<items, using: &random)
            let id: UInt32 = random.chance(0.3) ? UInt32.max : UInt32(items + Int.random(in: 0...1000, using: &random))
            let kind = random.chance(0.7)
            return ("item id out of range", kind
                ? Codec.encode(.result(sweep: corpus.tag, id: id, attempt: 1, seconds: 0, block: corpus.blocks[i]))
                : Codec.encode(.failed(sweep: corpus.tag, id: id, attempt: 1, seconds: 0, error: "x")))
        case 61..<66:
            let i = Int.random(in: 0..<items, using: &random)
            var block = corpus.blocks[i]
            let column = Int.random(in: 0..<block.float64.count, using: &random)
            let bad: [Double] = [.nan, .infinity, -.infinity, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001)]
            block.float64[column][Int.random(in: 0..<block.float64[column].count, using: &random)] = bad.randomElement(using: &random)!
            if let t = block.trajectories.indices.randomElement(using: &random), random.chance(0.3), !block.trajectories[t].trajectory.welfare.isEmpty {
                block.trajectories[t].trajectory.welfare[0] = .nan
            }
            return ("NaN or infinity in a result", Codec.encode(.result(sweep: corpus.tag, id: UInt32(i), attempt: UInt32.random(in: 1...3, using: &random), seconds: 0, block: block)))
        case 66..<74:
            let i = Int.random(in: 0..<items, using: &random)
            var frames = corpus.results[i]
            let attempt = UInt32.random(in: 0...4, using: &random)
            for k in 0..<4 { frames[1][12 + k] = UInt8(truncatingIfNeeded: attempt >> (8 * UInt32(k))) }
            return ("result for an item not leased", frames)
        case 74..<78:
            let i = Int.random(in: 0..<items, using: &random)
            return ("failed for an item not leased", Codec.encode(.failed(sweep: corpus.tag, id: UInt32(i), attempt: UInt32.random(in: 1...3, using: &random), seconds: 0, error: "forged")))
        case 78..<81:
            let i = Int.random(in: 0..<items, using: &random)
            var frames = corpus.results[i]
            let wrong = corpus.tag ^ (UInt64.random(in: 1...UInt64.max, using: &random))
            for k in 0..<8 { frames[1][k] = UInt8(truncatingIfNeeded: wrong >> (8 * UInt64(k))) }
            return ("another sweep tag", frames)
        case 81..<83:
            let i = Int.random(in: 0..<items, using: &random), j = (i + 1) % items
            return ("another item's block", Codec.encode(.result(sweep: corpus.tag, id: UInt32(i), attempt: 1, seconds: 0, block: corpus.blocks[j])))
        case 83..<87:
            return ("duplicate", last)
        case 87..<91:
            return ("coordinator-only message", corpus.coordinatorMessages.randomElement(using: &random)!)
        case 91..<97:
            return random.chance(0.5) ? ("heartbeat", Codec.encode(.heartbeat))
                : ("ready", Codec.encode(.ready(credit: random.chance(0.8) ? 0 : UInt32.random(in: 1...UInt32.max, using: &random))))
        default:
            let host = String(repeating: "h", count: random.chance(0.1) ? Int.random(in: 1000...1100, using: &random) : Int.random(in: 0...40, using: &random))
            return ("hello again", Codec.encode(.hello(Hello(host: host, pid: UInt32.random(in: 0...UInt32.max, using: &random), threads: UInt32.random(in: 0...UInt32.max, using: &random)))))
        }
    }

    /// A message for the status socket: mostly garbage and mutations, some real requests.
    mutating func nextStatus() -> [[UInt8]] {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<2: return Codec.encode(.statusRequest)
        case 2..<4: return (0..<Int.random(in: 1...4, using: &random)).map { _ in random.bytes(Int.random(in: 0...100, using: &random)) }
        case 4..<6:
            var frames = Codec.encode(.statusRequest)
            frames[Int.random(in: 0...1, using: &random)] += random.bytes(Int.random(in: 1...10, using: &random))
            return frames
        case 6..<8:
            var frames = Codec.encode(.statusRequest)
            frames[0][Int.random(in: 0..<7, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
            return frames
        default:
            var frames = anyValid()
            if frames[1].count > 100_000 { frames[1] = Array(frames[1].prefix(60_000)) }   // the status socket's cap is 64 KiB
            return frames
        }
    }
}

/// A fuzzer's tally.
struct FuzzTally: Codable {
    var sent = 0
    var counted = 0
    var taken = 0
    var peers = 0
    var sendFailures = 0
    var seconds = 0.0
    var kinds: [String: Int] = [:]

    mutating func add(_ other: FuzzTally) {
        sent += other.sent; counted += other.counted; taken += other.taken; peers += other.peers
        sendFailures += other.sendFailures
        kinds.merge(other.kinds, uniquingKeysWith: +)
    }
}

/// A socket of a fuzz peer. Every message sent must arrive, for the tally to be exact:
/// `immediate` so nothing is queued before the connection exists (libzmq drops what a socket
/// closed while still connecting had queued), linger so what was queued still goes out after
/// `close`, and bounded send waits so a dead coordinator cannot hang the test.
func fuzzSocket(_ context: ZMQContext, _ endpoint: String) throws -> ZMQSocket {
    let s = try context.socket(.dealer)
    try s.set(.linger(milliseconds: 5_000), .sendTimeout(milliseconds: 10_000), .sendHighWaterMark(10_000), .immediate(true))
    try s.connect(endpoint)
    return s
}

/// Fuzz peers' sockets, kept open until the coordinator has taken in what they sent: a
/// ROUTER (linger 0) drops the unread messages of a peer that disconnects, which would
/// spoil the tally. Closed by whoever holds it once its thread is done with it.
final class OpenSockets: @unchecked Sendable {
    // @unchecked: filled by one fuzzer thread, closed by another after joining it.
    let context: ZMQContext
    var sockets: [ZMQSocket] = []
    init() throws { context = try ZMQContext() }
    func closeAll() {
        for s in sockets { s.close() }
        sockets.removeAll()
    }
}

/// Optionally keeps the fuzzer at most `maxBacklog` counted messages ahead of the
/// coordinator (read from its status socket), so that what is measured is what the
/// coordinator keeps, not the queue of messages it has not read yet.
final class Pacer: @unchecked Sendable {
    // @unchecked: `total` is only touched under `lock`; each thread has its own client.
    private let lock = NSLock()
    private var total = 0
    let statusEndpoint: String
    let maxBacklog: Int?
    init(statusEndpoint: String, maxBacklog: Int?) {
        self.statusEndpoint = statusEndpoint
        self.maxBacklog = maxBacklog
    }

    /// Adds `counted` messages just sent; waits while the coordinator is too far behind.
    func sent(counted: Int, client: inout StatusClient?) throws {
        let goal = lock.withLock { total += counted; return total }
        guard let maxBacklog else { return }
        if client == nil { client = try StatusClient(connect: statusEndpoint) }
        // A hang guard only (a loaded machine may be slow to catch up): it returns as soon
        // as the coordinator is close enough.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let s = client!.fetch(timeoutSeconds: 5), FuzzTests.countedTotal(s) >= goal - maxBacklog { return }
            usleep(5_000)
        }
    }
}

/// Sends `count` fuzz messages to the main socket from fresh peers (each sends 20 to 400
/// messages; most say hello first; half read what they get and half never do).
func fuzzMainSocket(_ corpus: FuzzCorpus, endpoint: String, count: Int, seed: UInt64, keep: OpenSockets, pacer: Pacer) throws -> FuzzTally {
    var fuzzer = MessageFuzzer(corpus: corpus, seed: seed)
    var tally = FuzzTally()
    var client: StatusClient?, reported = 0
    while tally.sent < count {
        let socket = try fuzzSocket(keep.context, endpoint)
        keep.sockets.append(socket)
        tally.peers += 1
        var welcomed = false
        let reads = fuzzer.random.chance(0.5)
        let life = Int.random(in: 20...400, using: &fuzzer.random)
        if fuzzer.random.chance(0.8) {
            let hello = Codec.encode(.hello(Hello(host: "fuzz-\(tally.peers)", pid: UInt32(tally.peers), threads: 1)))
            _ = mainSocketVerdict(hello, welcomed: &welcomed)
            guard try socket.send(hello) else { tally.sendFailures += 1; break }
            tally.sent += 1
            tally.taken += 1
        }
        for n in 0..<life where tally.sent < count {
            let frames = fuzzer.next()
            guard try socket.send(frames) else { tally.sendFailures += 1; break }
            tally.sent += 1
            if mainSocketVerdict(frames, welcomed: &welcomed) == .counted { tally.counted += 1 } else { tally.taken += 1 }
            if reads && n % 16 == 0 { while try socket.tryReceive() != nil {} }
            if tally.sent % 1_000 == 0 {
                try pacer.sent(counted: tally.counted - reported, client: &client)
                reported = tally.counted
            }
        }
        if reads { while try socket.tryReceive() != nil {} }
    }
    tally.kinds = fuzzer.kinds
    return tally
}

/// Sends `count` fuzz messages to the status socket (200 per peer), reading the replies.
func fuzzStatusSocket(_ corpus: FuzzCorpus, endpoint: String, count: Int, seed: UInt64, keep: OpenSockets, pacer: Pacer) throws -> FuzzTally {
    var fuzzer = MessageFuzzer(corpus: corpus, seed: seed)
    var tally = FuzzTally()
    var client: StatusClient?, reported = 0
    while tally.sent < count {
        let socket = try fuzzSocket(keep.context, endpoint)
        keep.sockets.append(socket)
        tally.peers += 1
        for n in 0..<200 where tally.sent < count {
            let frames = fuzzer.nextStatus()
            guard try socket.send(frames) else { tally.sendFailures += 1; break }
            tally.sent += 1
            if statusSocketVerdict(frames) == .counted { tally.counted += 1 } else { tally.taken += 1 }
            if n % 8 == 0 { while try socket.tryReceive() != nil {} }
            if tally.sent % 1_000 == 0 {
                try pacer.sent(counted: tally.counted - reported, client: &client)
                reported = tally.counted
            }
        }
    }
    return tally
}

/// Runs `body` on a thread; `join` returns its value or rethrows.
final class Job<T>: @unchecked Sendable {
    // @unchecked: `result` is written once before `done` is signalled, read after waiting.
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?
    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }
    func join(seconds: Double = 120) throws -> T {
        guard done.wait(timeout: .now() + seconds) == .success else { throw EngineError("a fuzz thread did not finish in \(seconds) s") }
        return try result!.get()
    }
}

/// A flag set by one thread and read by others.
final class Flag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

func counted(_ s: SweepStatus) -> Int { FuzzTests.countedTotal(s) }

func describe(_ s: SweepStatus) -> String {
    "malformed \(s.droppedMalformed), duplicate \(s.droppedDuplicate), not leased \(s.droppedNotLeased), refused \(s.refusedPeers)"
}

/// Polls the status socket until the drop counters reach `atLeast` and hold still for half a
/// second (or `seconds` pass); the last status seen. It returns as soon as they settle, so a
/// generous `seconds` costs nothing on a fast machine and keeps a slow one from failing.
/// The first status for which `holds` is true, polled every 20 ms; nil after `seconds`.
func firstStatus(_ client: StatusClient, seconds: Double, _ holds: (SweepStatus) -> Bool) -> SweepStatus? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let s = client.fetch(timeoutSeconds: 5), holds(s) { return s }
        usleep(20_000)
    }
    return nil
}

func settledStatus(_ client: StatusClient, atLeast: Int, seconds: Double = 300) -> SweepStatus? {
    var seen: SweepStatus?
    var last = -1, stableSince = Date()
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let s = client.fetch(timeoutSeconds: 5) {
            seen = s
            let c = counted(s)
            if c != last {
                last = c
                stableSince = Date()
            } else if c >= atLeast && Date().timeIntervalSince(stableSince) > 0.5 {
                break
            }
        }
        usleep(50_000)
    }
    return seen
}

// MARK: - Child processes

/// What a child process does. A child is this test binary run again on
/// `EngineTests.FuzzTests/testFuzzerProcess`, so that the coordinator's process holds
/// nothing but the coordinator, and a coordinator that crashes takes only its child down.
enum ChildMode: String {
    /// Main-socket and status-socket fuzzers; writes the tallies.
    case fuzz
    /// `count` peers say hello and stay connected.
    case peers
    /// One peer says hello `count` times and never reads.
    case helloFlood = "hello-flood"
    /// One peer sends `count` full-size results as fast as it can.
    case resultFlood = "result-flood"
    /// Runs a coordinator (options as `FuzzTests.coordinatorOptions()`, plan from `spec`),
    /// reading nothing until told to go, until an honest worker in the test process has
    /// played the sweep; reports a `CoordinatorReport`.
    case coordinator
}

/// A running child process and the folder it writes to.
final class ChildProcess {
    let directory: String
    let process = Process()

    init(_ mode: ChildMode, _ settings: [String: String]) throws {
        directory = NSTemporaryDirectory() + "ttcg-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = directory + "/log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["EngineTests.FuzzTests/testFuzzerProcess"]
        var environment = ProcessInfo.processInfo.environment
        environment["TTCG_FUZZ_MODE"] = mode.rawValue
        environment["TTCG_FUZZ_DIR"] = directory
        for (key, value) in settings { environment["TTCG_FUZZ_" + key] = value }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The text of a file the child writes, once it exists. (`seconds` is a hang guard.)
    func waitForFile(_ name: String, seconds: Double = 120) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) { return text }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw EngineError("the \(name) file of the child process never came: \(log.suffix(2000))")
    }

    /// Tells the child to go on (`coordinator`: start reading its sockets).
    func go() { _ = FileManager.default.createFile(atPath: directory + "/go", contents: nil) }

    /// Waits for the child to end (terminating it after `seconds`, a hang guard); true if it
    /// exited with 0.
    @discardableResult
    func wait(seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    var exitDescription: String {
        process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "killed by signal \(process.terminationStatus)"
    }

    var log: String { (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? "" }

    /// The JSON result the child wrote to `out.json`.
    func output<T: Decodable>(_ type: T.Type) throws -> T {
        guard let data = FileManager.default.contents(atPath: directory + "/out.json") else {
            throw EngineError("the child process (\(exitDescription)) wrote no result: \(log.suffix(2000))")
        }
        return try childJSONDecoder().decode(T.self, from: data)
    }
}

/// The coding of the children's reports: a status may hold an infinite rate or ETA, coded
/// as `SweepStatus.json()` does.
func childJSONEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
}

func childJSONDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
}

/// What the attacker modes (`peers`, `hello-flood`, `result-flood`) report.
struct ChildReport: Codable {
    var sent = 0
    var sendFailures = 0
}

/// What the `coordinator` child reports once its sweep is over: everything the tests
/// assert on, measured where the coordinator lives.
struct CoordinatorReport: Codable {
    /// The child's peak resident memory growth (VmHWM) from before the coordinator was made
    /// to the end of `run`, MB. The child holds nothing else that grows: the plan is made
    /// before, the reference blocks after.
    var growthMB: Double
    /// What `run` returned: items and points done or failed, the drop counters, and every
    /// worker with its host and items done.
    var final: SweepStatus
    /// The most workers a progress status listed, and its longest JSON, in bytes.
    var peakWorkers: Int
    var peakStatusBytes: Int
    /// Items the sink took (`MemorySink.order.count`).
    var itemsWritten: Int
    /// Items whose block is bit for bit `plan.evaluate(item, threads: 1)`, and those whose
    /// block is missing or differs.
    var identicalBlocks: Int
    var differentBlocks: [Int]
}

/// Writes `text` to `name` in `directory` at once: the parent polls for the file and must
/// never read it half written.
func publish(_ text: String, as name: String, in directory: String) throws {
    try text.write(toFile: directory + "/" + name + ".tmp", atomically: false, encoding: .utf8)
    guard rename(directory + "/" + name + ".tmp", directory + "/" + name) == 0 else { throw EngineError("cannot publish \(name)") }
}

/// The child's side: runs `mode` with the settings of its environment.
func runChild(_ mode: ChildMode, _ environment: [String: String], directory: String) throws {
    let endpoint = environment["TTCG_FUZZ_ENDPOINT"] ?? ""
    let statusEndpoint = environment["TTCG_FUZZ_STATUS_ENDPOINT"] ?? ""
    let count = environment["TTCG_FUZZ_COUNT"].flatMap { Int($0) } ?? 0
    let output = URL(fileURLWithPath: directory + "/out.json")
    var report = ChildReport()
    switch mode {
    case .fuzz:
        let corpus = try FuzzCorpus()
        let started = Date()
        let threads = 2
        let keeps = try (0...threads).map { _ in try OpenSockets() }
        let pacer = Pacer(statusEndpoint: statusEndpoint, maxBacklog: environment["TTCG_FUZZ_MAX_BACKLOG"].flatMap { Int($0) })
        let jobs = (0..<threads).map { k in
            Job { try fuzzMainSocket(corpus, endpoint: endpoint, count: count / threads, seed: 100 + UInt64(k), keep: keeps[k], pacer: pacer) }
        }
        let statusJob = Job { try fuzzStatusSocket(corpus, endpoint: statusEndpoint, count: count / 10, seed: 7, keep: keeps[threads], pacer: pacer) }
        var main = FuzzTally()
        for job in jobs { main.add(try job.join()) }
        let status = try statusJob.join()
        main.seconds = Date().timeIntervalSince(started)
        _ = settledStatus(try StatusClient(connect: statusEndpoint), atLeast: main.counted + status.counted)
        for keep in keeps { keep.closeAll() }
        try JSONEncoder().encode(["main": main, "status": status]).write(to: output)
        return
    case .peers:
        // At most 1,000 sockets per context (libzmq's ZMQ_MAX_SOCKETS is 1,023).
        var keeps: [OpenSockets] = []
        defer { for keep in keeps { keep.closeAll() } }
        for k in 0..<count {
            if k % 1_000 == 0 { keeps.append(try OpenSockets()) }
            let s = try fuzzSocket(keeps[keeps.count - 1].context, endpoint)
            keeps[keeps.count - 1].sockets.append(s)
            if try s.send(Codec.encode(.hello(Hello(host: String(repeating: "x", count: 1000), pid: UInt32(k), threads: 1)))) {
                report.sent += 1
            } else {
                report.sendFailures += 1
            }
        }
        // Stay connected until the coordinator has seen every hello (it drops the unread
        // messages of a peer that leaves); give up only if it stops making progress for long
        // (a hang guard: a loaded machine may pause it for a few seconds).
        let client = try StatusClient(connect: statusEndpoint)
        var last = -1, stableSince = Date()
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            if let s = client.fetch(timeoutSeconds: 5) {
                let n = s.workers.count + s.refusedPeers
                if n >= count { break }
                if n != last { last = n; stableSince = Date() } else if Date().timeIntervalSince(stableSince) > 30 { break }
            }
            usleep(100_000)
        }
    case .helloFlood:
        let context = try ZMQContext()
        let flood = try fuzzSocket(context, endpoint)
        let hello = Codec.encode(.hello(Hello(host: "flood", pid: 1, threads: 1)))
        for _ in 0..<count {
            guard try flood.send(hello) else { report.sendFailures += 1; break }
            report.sent += 1
        }
        // Give the coordinator time to answer them all, without reading a byte.
        let client = try StatusClient(connect: statusEndpoint)
        for _ in 0..<20 { _ = client.fetch(timeoutSeconds: 1); usleep(100_000) }
        flood.close()
    case .resultFlood:
        let corpus = try FuzzCorpus()
        let largest = corpus.results.max { $0[1].count < $1[1].count }!
        let context = try ZMQContext()
        let flood = try fuzzSocket(context, endpoint)
        try flood.set(.sendTimeout(milliseconds: 2_000))
        for _ in 0..<count {
            guard try flood.send(largest) else { report.sendFailures += 1; break }
            report.sent += 1
        }
        usleep(1_000_000)   // the coordinator's I/O thread takes in what it will
        flood.close()
    case .coordinator:
        try runCoordinatorChild(environment, directory: directory, output: output)
        return
    }
    try JSONEncoder().encode(report).write(to: output)
}

/// The `coordinator` child: this process holds the coordinator and nothing else that grows.
func runCoordinatorChild(_ environment: [String: String], directory: String, output: URL) throws {
    // An address-space limit makes an oversized allocation fail the same way everywhere
    // (instead of calling the OOM killer on a machine that overcommits).
    // No core file if it crashes.
    var limit = rlimit(rlim_cur: 8 << 30, rlim_max: 8 << 30)
    _ = withUnsafePointer(to: &limit) { setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), $0) }
    var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = withUnsafePointer(to: &noCore) { setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), $0) }
    // A test process that dies leaves no coordinator behind, waiting for a worker forever.
    let parent = getppid()
    Thread.detachNewThread {
        while getppid() == parent { sleep(1) }
        exit(3)
    }
    let (plan, json) = try makePlan(environment["TTCG_FUZZ_SPEC"] ?? FuzzCorpus.spec)
    let sink = MemorySink()
    let rss = RSSMonitor()
    let coordinator = try Coordinator(plan: plan, sink: sink, options: FuzzTests.coordinatorOptions(), marketsJSON: json)
    try publish(coordinator.statusEndpoint ?? "", as: "status-endpoint", in: directory)
    try publish(coordinator.endpoint, as: "endpoint", in: directory)
    // Until told to go, nothing is read: an attack can queue up what it will first.
    let deadline = Date().addingTimeInterval(600)
    while !FileManager.default.fileExists(atPath: directory + "/go") {
        guard Date() < deadline else { throw EngineError("never told to go") }
        usleep(20_000)
    }
    var peakWorkers = 0, peakStatusBytes = 0
    let final = try coordinator.run {
        peakWorkers = max(peakWorkers, $0.workers.count)
        peakStatusBytes = max(peakStatusBytes, $0.json().utf8.count)
    }
    let growth = rss.stop()
    let different = plan.items.filter { item in sink.blocks[item.id]?.isIdentical(to: plan.evaluate(item, threads: 1)) != true }.map(\.id)
    let report = CoordinatorReport(growthMB: growth, final: final, peakWorkers: peakWorkers, peakStatusBytes: peakStatusBytes,
                                   itemsWritten: sink.order.count, identicalBlocks: plan.items.count - different.count,
                                   differentBlocks: different)
    try childJSONEncoder().encode(report).write(to: output)
}

// MARK: - Tests

final class FuzzTests: XCTestCase {
    /// Messages the fuzzer process sends to the main socket (and a tenth more to the status socket).
    static let messages = 110_000
    /// The stated bound on the growth of the coordinator process's resident memory (VmHWM).
    static let rssBoundMB = 200.0

    /// Everything the coordinator dropped and counted, or refused.
    static func countedTotal(_ s: SweepStatus) -> Int { s.droppedMalformed + s.droppedDuplicate + s.droppedNotLeased + s.refusedPeers }

    /// The child processes' entry point (TTCG_FUZZ_MODE set). In a normal run it fuzzes the
    /// codec once more with another seed: every mutated message decodes or throws, never traps.
    func testFuzzerProcess() throws {
        let environment = ProcessInfo.processInfo.environment
        if let mode = environment["TTCG_FUZZ_MODE"].flatMap(ChildMode.init(rawValue:)), let directory = environment["TTCG_FUZZ_DIR"] {
            try runChild(mode, environment, directory: directory)
            return
        }
        var fuzzer = MessageFuzzer(corpus: try FuzzCorpus(), seed: 2)
        var rejected = 0
        for _ in 0..<50_000 {
            let frames = fuzzer.next()
            if let m = try? Codec.decode(frames) {
                XCTAssertEqual(m.type.rawValue, frames[0][6])
            } else {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 22_500)
    }

    /// The codec alone: mutated frames decode or throw, never trap.
    func testCodecNeverTrapsOnMutatedMessages() throws {
        let corpus = try FuzzCorpus()
        var fuzzer = MessageFuzzer(corpus: corpus, seed: 1)
        var decoded = 0, rejected = 0
        let started = Date()
        let rss = RSSMonitor()
        for _ in 0..<200_000 {
            let frames = fuzzer.next()
            if let m = try? Codec.decode(frames) {
                decoded += 1
                XCTAssertEqual(m.type.rawValue, frames[0][6])
            } else {
                rejected += 1
            }
        }
        // The peak is the largest block a mutated count or provider field made the decoder
        // allocate (see testTinyResultClaimingAHugeBlockIsRejectedCheaply).
        print("codec fuzz: 200,000 messages, \(decoded) decoded, \(rejected) rejected, in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; " +
              "peak memory growth \(String(format: "%.1f", rss.stop())) MB")
        // Most mutations are rejected (a flipped bit in a play time or a result value may
        // still make a valid message).
        XCTAssertGreaterThan(rejected, 90_000)
        // Every truncation and every third single-bit flip of a full result.
        let body = corpus.results[corpus.results.count - 1]
        for cut in 0..<body[1].count {
            XCTAssertThrowsError(try Codec.decode([body[0], Array(body[1][..<cut])]))
        }
        for bit in 0..<(body[1].count * 8) where bit % 3 == 0 {
            var frames = body
            frames[1][bit / 8] ^= 1 << UInt8(bit % 8)
            _ = try? Codec.decode(frames)
        }
    }

    /// The coordinator's options in these tests: a status socket, fast heartbeats, a short linger.
    static func coordinatorOptions() -> CoordinatorOptions {
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*", statusBind: "tcp://127.0.0.1:*")
        options.heartbeatMilliseconds = 100
        options.timeoutMilliseconds = 10_000
        options.lingerSeconds = 0.1
        return options
    }

    /// A coordinator for `spec` in a child process of its own (`ChildMode.coordinator`), and
    /// its endpoints. It reads nothing until told to `go()`.
    func startCoordinator(spec: String = FuzzCorpus.spec) throws -> (ChildProcess, endpoint: String, statusEndpoint: String) {
        let child = try ChildProcess(.coordinator, ["SPEC": spec])
        return (child, try child.waitForFile("endpoint"), try child.waitForFile("status-endpoint"))
    }

    /// The honest worker: in this process, one thread, over tcp loopback, so that none of its
    /// memory is the coordinator child's.
    func startHonestWorker(_ endpoint: String) -> WorkerThread {
        var w = WorkerOptions(connect: endpoint)
        w.threads = 1
        // A hang guard: a full coordinator (testFakePeersAreCapped) or a loaded machine may
        // keep it waiting for a welcome.
        w.connectTimeoutSeconds = 120
        return WorkerThread(w)
    }

    /// Waits for the coordinator child to end its sweep; its report.
    func finish(_ coordinator: ChildProcess) throws -> CoordinatorReport {
        XCTAssertTrue(coordinator.wait(), "the coordinator process: \(coordinator.exitDescription)")
        return try coordinator.output(CoordinatorReport.self)
    }

    /// The issue's fuzz case: a fuzzer process sends over 100,000 messages to a running
    /// coordinator; then a normal worker completes the sweep correctly (while forged results
    /// keep coming), and the coordinator process's memory stayed under the bound.
    ///
    /// The fuzzer keeps at most 5,000 counted messages ahead of the coordinator: the bound is
    /// on what the coordinator keeps, and messages it has not read yet are bounded separately,
    /// per peer, by its receive queue (`testAPeerFasterThanTheCoordinatorIsHeldBackByItsReceiveQueue`).
    func testCoordinatorSurvivesFuzzingAndStillCompletesTheSweep() throws {
        let corpus = try FuzzCorpus()
        let plan = corpus.plan
        let (coordinator, endpoint, statusEndpoint) = try startCoordinator()
        coordinator.go()
        let started = Date()

        // Phase 1: the fuzzer process alone. (If anything throws, the coordinator child is
        // terminated with its ChildProcess.)
        let fuzzer = try ChildProcess(.fuzz, ["ENDPOINT": endpoint, "STATUS_ENDPOINT": statusEndpoint,
                                              "COUNT": String(Self.messages), "MAX_BACKLOG": "5000"])
        XCTAssertTrue(fuzzer.wait(seconds: 1_200), "the fuzzer process: \(fuzzer.exitDescription)")
        let tallies = try fuzzer.output([String: FuzzTally].self)
        let main = try XCTUnwrap(tallies["main"]), status = try XCTUnwrap(tallies["status"])
        let phase1Seconds = Date().timeIntervalSince(started)
        let afterPhase1 = settledStatus(try StatusClient(connect: statusEndpoint), atLeast: main.counted + status.counted)
        let after = try XCTUnwrap(afterPhase1, "no status answer after phase 1")

        // Phase 2: an honest worker plays the sweep while welcomed peers keep forging results.
        // The forgers start first, and the worker only once the coordinator has counted some
        // of their messages: a fast sweep must not end before any forgery was seen.
        let stop = Flag()
        let forger = Job { try fuzzForgedResults(corpus, endpoint: endpoint, until: stop) }
        let forgeriesCounted = firstStatus(try StatusClient(connect: statusEndpoint), seconds: 300) {
            counted($0) > counted(after)
        }
        XCTAssertNotNil(forgeriesCounted, "no forged message was counted before the honest worker started")
        let honest = startHonestWorker(endpoint)
        XCTAssertTrue(honest.wait(seconds: 600), "the honest worker did not finish")
        // The worker is told DONE as the sweep ends: stop forging then, before the coordinator
        // process goes away under the forgers' blocking sends.
        stop.set()
        let forged = try forger.join()
        let report = try finish(coordinator)
        let final = report.final
        let seconds = Date().timeIntervalSince(started)

        let sent = main.sent + status.sent
        print("""
            fuzz: \(sent) messages from the fuzzer process (\(main.sent) to the main socket from \(main.peers) peers, \(status.sent) to the status socket from \(status.peers)), \
            sent in \(String(format: "%.1f", main.seconds)) s, all taken in by \(String(format: "%.1f", phase1Seconds)) s; \(main.counted + status.counted) should be dropped and counted, \
            \(main.taken + status.taken) are valid; send failures \(main.sendFailures + status.sendFailures)
            fuzz: counters after phase 1: \(afterPhase1.map(describe) ?? "no status") = \(afterPhase1.map(counted) ?? -1)
            fuzz: phase 2: \(forged.sent) forged results and failures from \(forged.peers) welcomed peers while the honest worker played
            fuzz: final: \(describe(final)) = \(counted(final)); peak workers \(report.peakWorkers); items \(final.itemsDone)/\(plan.items.count) done, \(final.itemsFailed) failed; \
            coordinator process peak growth \(String(format: "%.1f", report.growthMB)) MB; total \(String(format: "%.1f", seconds)) s
            fuzz: kinds: \(main.kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            """)

        XCTAssertGreaterThanOrEqual(sent, 100_000)
        XCTAssertEqual(main.sendFailures + status.sendFailures, 0)
        // The garbage is accounted for: every message the codec or the rules reject is counted
        // once. (A peer cap would refuse some hellos and then count that peer's heartbeats, so
        // the sum may exceed the tally by at most the messages that were valid.)
        XCTAssertGreaterThanOrEqual(counted(after), main.counted + status.counted, describe(after))
        XCTAssertLessThanOrEqual(counted(after), main.counted + status.counted + main.taken, describe(after))
        XCTAssertGreaterThan(after.droppedMalformed, 0)
        XCTAssertGreaterThan(after.droppedNotLeased, 0)
        XCTAssertGreaterThan(after.refusedPeers, 0)
        // Forged results were counted too (some were still in flight when the sweep ended),
        // and none was accepted: only the honest worker has items done.
        XCTAssertGreaterThan(forged.sent, 0)
        XCTAssertGreaterThan(counted(final), counted(after))
        let honestHost = ProcessInfo.processInfo.hostName
        XCTAssertEqual(final.workers.filter { $0.itemsDone > 0 }.map(\.host), [honestHost], "items done by a fuzz peer")
        XCTAssertEqual(final.workers.filter { $0.host == honestHost }.map(\.itemsDone), [plan.items.count])

        // The sweep completed, from the honest worker's results only, bit for bit.
        XCTAssertEqual(honest.exit, .done)
        XCTAssertEqual(final.itemsDone, plan.items.count)
        XCTAssertEqual(final.itemsFailed, 0)
        XCTAssertEqual(final.pointsDone, plan.pointCount)
        XCTAssertEqual(report.itemsWritten, plan.items.count)
        XCTAssertEqual(report.identicalBlocks, plan.items.count, "items whose block is missing or differs: \(report.differentBlocks)")
        XCTAssertLessThan(report.growthMB, Self.rssBoundMB, "the coordinator process's memory grew by \(report.growthMB) MB")
    }

    /// A 40-byte RESULT whose block claims 100,000 points: the decoder must reject it without
    /// allocating what the claim implies. The coordinator runs in a child process.
    func testTinyResultClaimingAHugeBlockIsRejectedCheaply() throws {
        func crafted(count: UInt32, providers: UInt32) -> [[UInt8]] {
            var body = WireWriter(capacity: 40)
            body.writeUInt64(0)          // sweep tag
            body.writeUInt32(0)          // item
            body.writeUInt32(1)          // attempt
            body.writeFloat64(0)         // seconds
            body.writeUInt64(0)          // start point
            body.writeUInt32(count)
            body.writeUInt32(providers)  // ... and no columns at all
            return [Array("TTCG".utf8) + [UInt8(protocolVersion & 0xFF), UInt8(protocolVersion >> 8), MessageType.result.rawValue], body.bytes]
        }
        let items = try makePlan(FuzzCorpus.spec).0.items.count
        for (count, providers) in [(UInt32(100_000), UInt32(100)), (100_000, 100_000)] {
            let (coordinator, endpoint, _) = try startCoordinator()
            let context = try ZMQContext()
            let attacker = try fuzzSocket(context, endpoint)
            XCTAssertTrue(try attacker.send(crafted(count: count, providers: providers)))
            usleep(200_000)   // queued before the coordinator reads anything
            coordinator.go()
            let honest = startHonestWorker(endpoint)
            let survived = coordinator.wait()
            attacker.close()
            // A worker whose coordinator died gives up on its own (connect timeout).
            if survived { XCTAssertTrue(honest.wait(seconds: 600)) }
            let report = try? coordinator.output(CoordinatorReport.self)
            print("huge block claim: \(count) points x \(providers) providers in a 40-byte message: the coordinator " +
                  (survived ? "survived, memory grew by \(String(format: "%.1f", report?.growthMB ?? -1)) MB" : "CRASHED (\(coordinator.exitDescription))"))
            // Guards against: Codec.decodeBlock builds
            // `ResultBlock(start:count:providers:)` right after reading the three counts, and
            // that init allocates every column at full size (count x providers values for the
            // per-provider ones) before a single column byte is read. 100,000 x 100 makes a
            // 40-byte message cost ~340 MB; 100,000 x 100,000 asks for 80 GB and the process
            // dies ("Could not allocate memory"). Suggested fix, in decodeBlock after the
            // range guard: reject the block unless `r.remaining` covers the minimum encoded size
            // of its columns (sum over ResultSchema.columns of 4 + element size x (perProvider ?
            // count x providers : count), plus 8 for the error and trajectory counts); or decode
            // each column first and build the block from the arrays read.
            XCTAssertTrue(survived, "a 40-byte message claiming \(count) x \(providers) crashed the coordinator (\(coordinator.exitDescription))")
            if let report {
                XCTAssertEqual(report.final.itemsDone, items)
                XCTAssertEqual(report.final.droppedMalformed, 1)
                XCTAssertLessThan(report.growthMB, 64, "a 40-byte message made the coordinator allocate \(report.growthMB) MB")
            }
        }
    }

    /// Issue 5 item 4: "memory stays bounded whatever peers send (caps on ... peers)".
    /// 3,000 fake peers say hello and stay connected.
    func testFakePeersAreCapped() throws {
        let (plan, _) = try makePlan(FuzzCorpus.spec)
        let (coordinator, endpoint, statusEndpoint) = try startCoordinator()
        coordinator.go()
        let fakePeers = 3_000
        let peers = try ChildProcess(.peers, ["ENDPOINT": endpoint, "STATUS_ENDPOINT": statusEndpoint, "COUNT": String(fakePeers)])
        XCTAssertTrue(peers.wait(seconds: 600), "the peers process: \(peers.exitDescription)")
        let report = try peers.output(ChildReport.self)
        let seen = try StatusClient(connect: statusEndpoint).fetch(timeoutSeconds: 60)
        // The fake peers are still held until they have been silent for the timeout: the
        // honest worker is refused until then, and keeps saying hello.
        let honest = startHonestWorker(endpoint)
        XCTAssertTrue(honest.wait(seconds: 600))
        let result = try finish(coordinator)
        print("peers: \(report.sent) fake peers said hello (send failures \(report.sendFailures)); the coordinator held up to \(result.peakWorkers) workers, " +
              "refused \(seen?.refusedPeers ?? -1); status JSON up to \(result.peakStatusBytes) bytes; coordinator process peak growth \(String(format: "%.1f", result.growthMB)) MB")
        XCTAssertEqual(report.sent, fakePeers)
        XCTAssertEqual(honest.exit, .done)
        XCTAssertEqual(result.final.itemsDone, plan.items.count)
        XCTAssertEqual(result.identicalBlocks, plan.items.count, "items whose block is missing or differs: \(result.differentBlocks)")
        XCTAssertLessThan(result.growthMB, Self.rssBoundMB, "the coordinator process's memory grew by \(result.growthMB) MB")
        // Guards against (issue 5 item 4): the coordinator keeps a WorkerState for every
        // hello (Coordinator.handle, `workers[m.peer] = w`) until the peer has been silent for
        // the timeout, with no cap: here all 3,000 fake peers are "workers" at once, each in
        // every heartbeat round, every `dispatch()` sort and every status reply (the JSON grows
        // by ~1.1 KB per peer). The protection: `CoordinatorOptions.maxWorkers` (e.g. 1,024); a
        // hello beyond it gets REFUSE("too many workers") and counts in refused_peers. The default
        // `CoordinatorOptions.maxWorkers` is this bound.
        let peerCap = 1_024
        XCTAssertLessThanOrEqual(result.peakWorkers, peerCap, "no cap on peers: \(result.peakWorkers) workers held at once")
        XCTAssertGreaterThanOrEqual(seen?.refusedPeers ?? 0, fakePeers - peerCap, "hellos beyond the cap should be refused and counted")
    }

    /// Issue 5 item 4 again: one peer that says hello over and over and never reads makes the
    /// coordinator queue a WELCOME (the spec and every market) per hello.
    func testHelloFloodFromAPeerThatNeverReadsStaysBounded() throws {
        // The whole catalog, as in jobs/paper.yaml, on a one-point grid: a 12 KB WELCOME.
        let spec = """
            markets: [gsm8k/majority, gsm8k/best-of-n, gsm8k/chain-of-thought, gpqa/majority, gpqa/best-of-n,
                      gpqa/chain-of-thought, aime/majority, aime/best-of-n, aime/chain-of-thought]
            axes: {beta: [1]}
            """
        let (plan, json) = try makePlan(spec)
        let welcomeBytes = Codec.encode(.welcome(Welcome(specHash: plan.spec.hash, specText: plan.spec.text, specSource: plan.spec.source,
                                                         markets: json, heartbeatMilliseconds: 100, timeoutMilliseconds: 10_000)))
            .reduce(0) { $0 + $1.count }
        let (coordinator, endpoint, statusEndpoint) = try startCoordinator(spec: spec)
        coordinator.go()
        let hellos = 30_000
        let flood = try ChildProcess(.helloFlood, ["ENDPOINT": endpoint, "STATUS_ENDPOINT": statusEndpoint, "COUNT": String(hellos)])
        XCTAssertTrue(flood.wait(seconds: 600), "the flood process: \(flood.exitDescription)")
        let report = try flood.output(ChildReport.self)
        let honest = startHonestWorker(endpoint)
        XCTAssertTrue(honest.wait(seconds: 600))
        let result = try finish(coordinator)
        let growth = result.growthMB
        print("hello flood: \(report.sent) hellos from one peer that never reads; a WELCOME is \(welcomeBytes) bytes " +
              "(\(String(format: "%.0f", Double(report.sent * welcomeBytes) / 1_048_576)) MB if all are queued); coordinator process peak growth \(String(format: "%.1f", growth)) MB")
        XCTAssertEqual(honest.exit, .done)
        XCTAssertEqual(result.final.itemsDone, plan.items.count)
        XCTAssertEqual(result.identicalBlocks, plan.items.count, "items whose block is missing or differs: \(result.differentBlocks)")
        // Guards against (issue 5 item 4): every HELLO is answered with a
        // full WELCOME, and the ROUTER queues up to 100,000 messages per peer
        // (`.sendHighWaterMark(100_000)` in Coordinator.init), so a peer that never reads
        // parks up to 100,000 x the WELCOME size (the spec, up to 4 MiB, and the markets) in the
        // coordinator. The protection: a send high-water mark of about 1,000 per peer (credit is
        // capped at 64 items, so a worker never needs more queued), and at most one WELCOME per
        // peer per heartbeat period (a repeated hello within it is dropped and counted).
        XCTAssertLessThan(growth, Self.rssBoundMB, "one peer made the coordinator hold \(growth) MB")
    }

    /// One peer sends results faster than the coordinator reads them (here: before it reads
    /// at all, as when it is busy): what the coordinator buffers for it must be bounded.
    func testAPeerFasterThanTheCoordinatorIsHeldBackByItsReceiveQueue() throws {
        let corpus = try FuzzCorpus()
        let largest = corpus.results.map { $0[1].count }.max()!
        // Not told to go until the flood is over: the coordinator does not read meanwhile.
        let (coordinator, endpoint, _) = try startCoordinator()
        let flood = 50_000
        let flooder = try ChildProcess(.resultFlood, ["ENDPOINT": endpoint, "COUNT": String(flood)])
        XCTAssertTrue(flooder.wait(seconds: 600), "the flood process: \(flooder.exitDescription)")
        let report = try flooder.output(ChildReport.self)
        coordinator.go()
        let honest = startHonestWorker(endpoint)
        XCTAssertTrue(honest.wait(seconds: 600))
        let result = try finish(coordinator)
        let growth = result.growthMB
        print("result flood: one peer sent \(report.sent) results of \(largest) bytes (send failures \(report.sendFailures)) while the coordinator was not reading; " +
              "coordinator process peak growth \(String(format: "%.1f", growth)) MB (the flood, then the sweep)")
        XCTAssertEqual(result.final.itemsDone, corpus.plan.items.count)
        // Guards against (issue 5 item 4): the ROUTER's receive high-water
        // mark is 100,000 messages per peer (`.receiveHighWaterMark(100_000)` in
        // Coordinator.init) and ZMQ_MAXMSGSIZE is 256 MiB, so one connection can make the
        // coordinator buffer 100,000 messages of up to 256 MiB while it is busy. The protection:
        // a receive high-water mark of about 1,000 per peer (a worker has at most 64 results in
        // flight, plus heartbeats); libzmq then stops reading that peer's socket and the sender
        // waits. (ZMQ_MAXMSGSIZE could also be derived from the plan's largest legitimate
        // result.) The total still grows with the number of connections, which ZeroMQ does not
        // cap: with CURVE keys (docs/security.md) only authorized peers get that far.
        XCTAssertLessThan(growth, Self.rssBoundMB, "one peer made the coordinator buffer \(growth) MB")
    }
}

/// Phase 2: welcomed peers that forge results (correct blocks, and blocks with NaNs) and
/// failures for every item under every plausible attempt, until `stop`. None may be accepted:
/// the items are leased to the honest worker, never to them.
func fuzzForgedResults(_ corpus: FuzzCorpus, endpoint: String, until stop: Flag) throws -> FuzzTally {
    let context = try ZMQContext()
    var random = FuzzRandom(seed: 99)
    var tally = FuzzTally()
    let sockets = try (0..<4).map { k in
        let s = try fuzzSocket(context, endpoint)
        try s.send(Codec.encode(.hello(Hello(host: "forger-\(k)", pid: UInt32(k), threads: 1))))
        tally.peers += 1
        return s
    }
    while !stop.isSet {
        for s in sockets {
            let i = Int.random(in: 0..<corpus.plan.items.count, using: &random)
            let attempt = UInt32.random(in: 1...3, using: &random)
            let message: Message
            switch Int.random(in: 0..<3, using: &random) {
            case 0: message = .result(sweep: corpus.tag, id: UInt32(i), attempt: attempt, seconds: 0, block: corpus.blocks[i])
            case 1:
                var block = corpus.blocks[i]
                block.float64[0][0] = .nan
                message = .result(sweep: corpus.tag, id: UInt32(i), attempt: attempt, seconds: 0, block: block)
            default: message = .failed(sweep: corpus.tag, id: UInt32(i), attempt: attempt, seconds: 0, error: "forged")
            }
            guard try s.send(Codec.encode(message)) else { continue }
            tally.sent += 1
            while try s.tryReceive() != nil {}
        }
        usleep(200)
    }
    for s in sockets { s.close() }
    return tally
}
