// A worker: a DEALER that says hello, receives the spec and its markets, asks for items,
// plays them with Dispatch on a compute queue while its I/O thread keeps heartbeats
// flowing, streams results back, and reconnects when the coordinator goes away.

import Dispatch
import Foundation
import GameCore
import Profiles
import Sweep
import Wire

public struct WorkerOptions: Sendable {
    public var connect: String
    /// Threads per item (0: every core).
    public var threads: Int = 0
    /// Items asked for (leased, queued or playing): the coordinator sends fewer, about its
    /// `--lookahead-seconds` of estimated work, so this only caps what a worker can hold.
    public var credit: UInt32 = 64
    /// Give up when no coordinator answers for this long (at start and after losing one).
    public var connectTimeoutSeconds: Double = 30
    public var host: String = ProcessInfo.processInfo.hostName
    /// CURVE: this worker's keys and the coordinator's public key (nil: plaintext).
    public var curve: CurveClientConfig? = nil
    /// Answer every item with an unplayed (pending) block instead of playing it: the
    /// dispatch benchmark measures the protocol alone this way.
    public var emptyItems = false

    public init(connect: String) { self.connect = connect }
}

/// Why a worker stopped.
public enum WorkerExit: Equatable, Sendable {
    /// The coordinator said the sweep is done.
    case done
    /// Refused (other protocol version, ...): the reason.
    case refused(String)
    /// No coordinator answered in time.
    case timedOut(String)
}

/// Results computed on the compute queue, waiting for the I/O thread; and the items the
/// coordinator revoked, which the compute queue skips if it has not started them.
private final class Outbox: @unchecked Sendable {
    private let lock = NSLock()
    /// A result (nil: a revoked item skipped), the seconds its item took to play, and the
    /// connection it was asked on.
    private var messages: [(Message?, Double, Int)] = []
    /// Items received and not yet answered, and those of them revoked.
    private var pending = Set<UInt32>(), revoked = Set<UInt32>()
    func received(_ id: UInt32) { lock.lock(); pending.insert(id); lock.unlock() }
    func push(_ m: Message?, id: UInt32, seconds: Double, connection: Int) {
        lock.lock()
        messages.append((m, seconds, connection))
        pending.remove(id)
        revoked.remove(id)
        lock.unlock()
    }
    func drain() -> [(Message?, Double, Int)] {
        lock.lock(); defer { lock.unlock() }
        let out = messages
        messages.removeAll(keepingCapacity: true)
        return out
    }
    func revoke(_ id: UInt32) {
        lock.lock()
        if pending.contains(id) { revoked.insert(id) }
        lock.unlock()
    }
    func isRevoked(_ id: UInt32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return revoked.contains(id)
    }
}

/// An inproc PAIR the compute queue rings when a result is ready, so the I/O thread,
/// asleep in poll, sends it at once. The sending socket is used only from the serial
/// compute queue (ZeroMQ allows a socket to move between threads with a full barrier,
/// which the queue provides), hence `@unchecked Sendable`.
private final class WakeUp: @unchecked Sendable {
    let receiver: ZMQSocket
    private let sender: ZMQSocket
    init(context: ZMQContext) throws(WireError) {
        let endpoint = "inproc://ttcg-worker-wake-\(UInt64.random(in: 0...UInt64.max))"
        receiver = try context.socket(.pair)
        try receiver.bind(endpoint)
        sender = try context.socket(.pair)
        try sender.connect(endpoint)
    }
    func ring() { _ = try? sender.send([[UInt8(1)]], dontWait: true) }
}

/// The plan a welcome describes, shared with the compute queue.
private final class PlanBox: @unchecked Sendable {
    let plan: SweepPlan
    let hash: String
    /// What the coordinator accepts in one message (`ProtocolLimits.maxMessageBytes(for:)`).
    let maxMessageBytes: Int
    init(plan: SweepPlan, hash: String) {
        self.plan = plan
        self.hash = hash
        maxMessageBytes = ProtocolLimits.maxMessageBytes(for: plan)
    }

    /// Whether `block`'s RESULT would exceed the cap: a rough overestimate first, encoded
    /// only when near it (long trajectories), so ordinary results are encoded once.
    func exceeds(_ result: Message, block: ResultBlock) -> Int? {
        let rows = block.trajectories.reduce(0) { $0 + $1.trajectory.welfare.count }
        let rough = 64 + block.count * (block.providers * 200 + 200) + rows * (block.providers * 20 + 48)
            + block.errors.values.reduce(0) { $0 + $1.utf8.count + 12 }
        guard rough > maxMessageBytes / 2 else { return nil }
        let bytes = Codec.encode(result).reduce(0) { $0 + $1.count }
        return bytes > maxMessageBytes ? bytes : nil
    }
}

public final class Worker {
    let options: WorkerOptions
    let context: ZMQContext
    let compute = DispatchQueue(label: "ttcg.worker.compute")
    private let outbox = Outbox()
    private let wake: WakeUp
    /// Items played, for tests and logs.
    public private(set) var itemsPlayed = 0
    var log: (String) -> Void

    public init(options: WorkerOptions, log: @escaping (String) -> Void = { _ in }) throws(EngineError) {
        self.options = options
        self.log = log
        do {
            context = try ZMQContext()
            wake = try WakeUp(context: context)
        } catch {
            throw EngineError("ttcg worker: cannot start ZeroMQ: \(error)")
        }
    }

    func openSocket() throws(EngineError) -> ZMQSocket {
        do {
            let s = try context.socket(.dealer)
            try s.set(.maxMessageSize(ProtocolLimits.maxMessageBytes), .reconnectInterval(milliseconds: 200),
                      .reconnectIntervalMax(milliseconds: 2000))
            if let curve = options.curve { try curve.configureClient(s) }
            try s.connect(options.connect)
            return s
        } catch {
            throw EngineError("ttcg worker: --connect \(options.connect): \(error)", exitCode: 2)
        }
    }

    /// Runs until the sweep is done, the worker is refused, or no coordinator answers.
    public func run() throws(EngineError) -> WorkerExit {
        var socket = try openSocket()
        let hello = Message.hello(Hello(host: options.host, pid: UInt32(ProcessInfo.processInfo.processIdentifier),
                                        threads: UInt32(options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount)))
        var plan: PlanBox? = nil
        var welcomed = false
        var heartbeat = 1.0, timeout = 10.0
        var lastHeard = monotonicSeconds()
        var lastHelloSent = -1e9, lastSent = monotonicSeconds()
        var waitingSince = monotonicSeconds()
        /// Items asked for on this connection and not yet answered (credit, leased or playing).
        var inFlight = 0
        /// Counts welcomes: credit belongs to one connection.
        var connection = 0
        /// Moving average of the seconds an item takes.
        var itemSeconds = 0.0
        func wantedInFlight() -> Int { Int(max(1, options.credit)) }

        func send(_ m: Message) {
            _ = try? socket.send(Codec.encode(m), dontWait: true)
            lastSent = monotonicSeconds()
        }

        while true {
            let now = monotonicSeconds()
            if !welcomed {
                if now - waitingSince > options.connectTimeoutSeconds {
                    let hint = options.curve != nil ? " (with CURVE keys: is this worker's public key in the coordinator's --authorized-keys?)" : ""
                    return .timedOut("no coordinator answered at \(options.connect) within \(formatNumber(options.connectTimeoutSeconds)) s\(hint)")
                }
                if now - lastHelloSent > 1 {
                    send(hello)
                    lastHelloSent = now
                }
            } else {
                if now - lastSent >= heartbeat { send(.heartbeat) }
                if now - lastHeard > timeout {
                    // The coordinator went away: start over with a fresh connection, keep computing.
                    log("coordinator silent for \(Int(timeout)) s; reconnecting to \(options.connect)")
                    socket.close()
                    socket = try openSocket()
                    welcomed = false
                    waitingSince = now
                    lastHelloSent = -1e9
                    continue
                }
            }
            for (m, seconds, itemConnection) in outbox.drain() {
                if itemConnection == connection { inFlight -= 1 }
                guard let m else { continue }   // revoked before it started
                itemsPlayed += 1
                itemSeconds = itemSeconds == 0 ? seconds : 0.8 * itemSeconds + 0.2 * seconds
                if welcomed { send(m) }
            }
            // Ask for more once half the wanted credit is free: one READY per several results
            // when items are quick, one per result when they are slow (wanted = 2).
            if welcomed {
                let want = wantedInFlight()
                if want - inFlight >= max(1, want / 2) {
                    send(.ready(credit: UInt32(want - inFlight)))
                    inFlight = want
                }
            }
            // Sleep until the coordinator writes or the compute queue finishes an item.
            let frames: [[UInt8]]?
            do {
                let events = try ZMQSocket.poll([PollItem(socket), PollItem(wake.receiver)], timeout: .milliseconds(50))
                if events[1].contains(.readable) {
                    while try wake.receiver.receive(timeout: .zero) != nil {}
                }
                frames = events[0].contains(.readable) ? try socket.receive(timeout: .zero) : nil
            } catch {
                throw EngineError("ttcg worker: receive failed: \(error)")
            }
            guard let frames else { continue }
            let message: Message
            do {
                message = try Codec.decode(frames)
            } catch {
                log("dropped an invalid message from the coordinator: \(error)")
                continue
            }
            lastHeard = monotonicSeconds()
            switch message {
            case .welcome(let w):
                if plan?.hash != w.specHash {
                    do {
                        plan = PlanBox(plan: try Self.plan(from: w), hash: w.specHash)
                    } catch {
                        return .refused("the coordinator's spec does not load here: \(error)")
                    }
                }
                heartbeat = Double(max(w.heartbeatMilliseconds, 10)) / 1000
                timeout = Double(max(w.timeoutMilliseconds, 100)) / 1000
                welcomed = true
                log("\(connection == 0 ? "connected" : "reconnected") to \(options.connect): sweep \(jsonQuoted(plan?.plan.spec.name ?? "")) (spec \(w.specHash.prefix(12))), \(plan?.plan.items.count ?? 0) items")
                // Ask for work. Credit is per connection: what a previous coordinator granted
                // is gone, and items still playing from before will be sent and dropped.
                inFlight = 0
                connection += 1
                let want = wantedInFlight()
                send(.ready(credit: UInt32(want)))
                inFlight = want
            case .refuse(let reason):
                // "Unknown worker" answers messages a restarted coordinator never saw: say hello
                // (again). Several may be in flight, so it is never fatal; other refusals are.
                if reason.hasPrefix("too many workers") {
                    // The coordinator is full: keep saying hello (once a second) until the
                    // connect timeout, as when no coordinator answers.
                    log("refused for now: \(reason)")
                    continue
                }
                if reason == unknownWorkerReason {
                    if welcomed {
                        welcomed = false
                        waitingSince = monotonicSeconds()
                        lastHelloSent = -1e9
                    }
                    continue
                }
                return .refused(reason)
            case .item(let sweep, let id, let attempt):
                guard welcomed, let box = plan, sweep == sweepTag(box.hash), Int(id) < box.plan.items.count else { continue }
                let item = box.plan.items[Int(id)]
                let threads = options.threads, empty = options.emptyItems, outbox = self.outbox, wake = self.wake
                let itemConnection = connection
                outbox.received(id)
                let play: @Sendable () -> Void = {
                    if outbox.isRevoked(id) {
                        outbox.push(nil, id: id, seconds: 0, connection: itemConnection)
                        return
                    }
                    let started = monotonicSeconds()
                    let block = empty ? ResultBlock(start: item.start, count: item.count,
                                                    providers: box.plan.markets[item.market].market.providerCount)
                                      : box.plan.evaluate(item, threads: threads)
                    let seconds = monotonicSeconds() - started
                    var result = Message.result(sweep: sweep, id: id, attempt: attempt, seconds: seconds, block: block)
                    // A result above what the coordinator takes in one message would be cut
                    // off by its socket: the item fails instead, saying why.
                    if let bytes = box.exceeds(result, block: block) {
                        result = .failed(sweep: sweep, id: id, attempt: attempt, seconds: seconds,
                                         error: "the results of this item come to \(bytes) bytes, above the \(box.maxMessageBytes) the coordinator accepts in one message (long trajectories); a smaller outputs.chunk keeps items under it")
                    }
                    outbox.push(result, id: id, seconds: seconds, connection: itemConnection)
                }
                if itemSeconds > 0 && itemSeconds < 0.001 {
                    // Items this quick are played right here: a hand-off to the compute queue
                    // and back would cost more than the item, and heartbeats wait < 1 ms.
                    play()
                } else {
                    compute.async {
                        play()
                        wake.ring()
                    }
                }
            case .revoke(let sweep, let id):
                // Another worker's copy of this item was stored first: skip it if not started.
                guard welcomed, let box = plan, sweep == sweepTag(box.hash) else { continue }
                outbox.revoke(id)
            case .heartbeat:
                break
            case .done:
                log("the sweep is done: \(itemsPlayed) items played")
                return .done
            default:
                log("dropped an unexpected \(message.type) message")
            }
        }
    }

    /// The plan of a welcome: the spec text and the markets it was sent with.
    static func plan(from w: Welcome) throws -> SweepPlan {
        let spec = try SweepSpec.parse(yaml: w.specText, source: w.specSource)
        guard spec.hash == w.specHash else { throw EngineError("spec hash mismatch") }
        let markets = try w.markets.enumerated().map { (i, json) in
            try MarketFile.parse(yaml: json, source: "market \(i) from the coordinator")
        }
        guard markets.count == spec.markets.count else { throw EngineError("\(markets.count) markets for \(spec.markets.count) spec entries") }
        return try SweepPlan(spec: spec, markets: markets)
    }
}
