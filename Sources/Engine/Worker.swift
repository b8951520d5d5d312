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
    /// Items asked for ahead of the one being played.
    public var credit: UInt32 = 2
    /// Give up when no coordinator answers for this long (at start and after losing one).
    public var connectTimeoutSeconds: Double = 30
    public var host: String = ProcessInfo.processInfo.hostName
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

/// Results computed on the compute queue, waiting for the I/O thread.
private final class Outbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Message] = []
    func push(_ m: Message) { lock.lock(); messages.append(m); lock.unlock() }
    func drain() -> [Message] {
        lock.lock(); defer { lock.unlock() }
        let out = messages
        messages.removeAll(keepingCapacity: true)
        return out
    }
}

/// The plan a welcome describes, shared with the compute queue.
private final class PlanBox: @unchecked Sendable {
    let plan: SweepPlan
    let hash: String
    init(plan: SweepPlan, hash: String) { self.plan = plan; self.hash = hash }
}

public final class Worker {
    let options: WorkerOptions
    let context: ZMQContext
    let compute = DispatchQueue(label: "ttcg.worker.compute")
    private let outbox = Outbox()
    /// Items played, for tests and logs.
    public private(set) var itemsPlayed = 0
    var log: (String) -> Void

    public init(options: WorkerOptions, log: @escaping (String) -> Void = { _ in }) throws(EngineError) {
        self.options = options
        self.log = log
        do {
            context = try ZMQContext()
        } catch {
            throw EngineError("ttcg worker: cannot start ZeroMQ: \(error)")
        }
    }

    func openSocket() throws(EngineError) -> ZMQSocket {
        do {
            let s = try context.socket(.dealer)
            try s.set(.maxMessageSize(ProtocolLimits.maxMessageBytes), .reconnectInterval(milliseconds: 200),
                      .reconnectIntervalMax(milliseconds: 2000))
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
        var inFlight = 0

        func send(_ m: Message) {
            _ = try? socket.send(Codec.encode(m), dontWait: true)
            lastSent = monotonicSeconds()
        }

        while true {
            let now = monotonicSeconds()
            if !welcomed {
                if now - waitingSince > options.connectTimeoutSeconds {
                    return .timedOut("no coordinator answered at \(options.connect) within \(formatNumber(options.connectTimeoutSeconds)) s")
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
            for m in outbox.drain() {
                inFlight -= 1
                itemsPlayed += 1
                if welcomed {
                    send(m)
                    send(.ready(credit: 1))
                }
            }
            let frames: [[UInt8]]?
            do {
                frames = try socket.receive(timeout: .milliseconds(20))
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
                // Ask for work, counting what is still being played from before a reconnect.
                send(.ready(credit: UInt32(max(1, Int(options.credit) - inFlight))))
            case .refuse(let reason):
                if welcomed && reason == unknownWorkerReason {
                    welcomed = false
                    waitingSince = monotonicSeconds()
                    lastHelloSent = -1e9
                    continue
                }
                return .refused(reason)
            case .item(let sweep, let id, let attempt):
                guard welcomed, let box = plan, sweep == sweepTag(box.hash), Int(id) < box.plan.items.count else { continue }
                let item = box.plan.items[Int(id)]
                inFlight += 1
                let threads = options.threads, empty = options.emptyItems, outbox = self.outbox
                compute.async {
                    let block = empty ? ResultBlock(start: item.start, count: item.count,
                                                    providers: box.plan.markets[item.market].market.providerCount)
                                      : box.plan.evaluate(item, threads: threads)
                    outbox.push(.result(sweep: sweep, id: id, attempt: attempt, block: block))
                }
            case .heartbeat:
                break
            case .done:
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
