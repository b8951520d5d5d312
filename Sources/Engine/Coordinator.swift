// The coordinator: one ROUTER socket for workers, one for status clients, one thread.
// It leases work items to workers that asked for them (credit), expects heartbeats both
// ways, takes items back from workers that fall silent, retries failed items a few times,
// accepts a result only from the worker its item is leased to, drops late duplicates,
// and is the only writer of the results (through a `ResultSink`).

import Foundation
import Profiles
import Sweep
import Wire

public final class Coordinator {
    enum ItemState: Equatable {
        case queued
        case leased(worker: Int, attempt: UInt32, since: Double)
        case done
        case failed
    }

    final class WorkerState {
        let id: Int
        let peer: [UInt8]
        let hello: Hello
        var credit = 0
        /// Its leases (its own and copies) in the order sent: the order it plays them.
        var order: [Lease] = []
        /// Estimated seconds of its leased items, at its speed, and their results' bytes.
        var outstanding = 0.0, outstandingBytes = 0.0
        var lastSeen: Double
        /// When it last answered an item (or said hello): its current item started then.
        var lastFinish: Double
        /// Its play times over the cost model's estimates (moving average; 1: average).
        var speed = 1.0
        /// Seconds it reported playing items.
        var busySeconds = 0.0
        var itemsDone = 0
        var pointsDone = 0
        /// Items it failed that later succeeded on another worker.
        var failuresRefuted = 0
        /// No more items: its failures were refuted by other workers (`quarantineAfter`).
        var quarantined = false
        /// An item of it ran past its deadline: no more items until it answers one.
        var stalled = false
        init(id: Int, peer: [UInt8], hello: Hello, now: Double) {
            self.id = id
            self.peer = peer
            self.hello = hello
            self.lastSeen = now
            self.lastFinish = now
        }
        var name: String { "\(hello.host):\(hello.pid)" }
        func holds(_ i: Int) -> Bool { order.contains { $0.item == i } }
    }

    /// An item leased to a worker, when, and its estimate then (seconds at that worker's speed).
    struct Lease {
        var item: Int
        var at: Double
        var estimate: Double
        var bytes: Double
    }

    public let plan: SweepPlan
    let options: CoordinatorOptions
    let sink: ResultSink
    let welcome: Welcome
    /// `sweepTag` of this sweep's spec hash.
    let tag: UInt64
    let context: ZMQContext
    let socket: ZMQSocket
    let statusSocket: ZMQSocket?
    /// The ZAP handler admitting only authorized CURVE keys (nil without CURVE).
    let curveGuard: CurveGuard?
    /// Connections kept under the limit on open files; handshakes failed before ZAP.
    let connections: ConnectionGuard
    /// When each peer was last sent a WELCOME: at most one per heartbeat period, so a
    /// peer flooding HELLOs cannot make the coordinator flood back.
    var lastWelcome: [[UInt8]: Double] = [:]
    /// The endpoint actually bound (port 0 / `*` resolved).
    public let endpoint: String
    public let statusEndpoint: String?

    var states: [ItemState]
    var attempts: [UInt32]
    var queue: [Int]          // item ids, taken from `queueHead`
    var queueHead = 0
    var workers: [[UInt8]: WorkerState] = [:]
    var workersByID: [Int: WorkerState] = [:]
    var nextWorkerID = 1
    /// Items put back (failed, lost or taken from a stalled worker): leased before the queue.
    var requeued: [Int] = []
    /// The second holder of an item copied to an idle worker at the tail (at most one copy).
    var copies: [Int: Int] = [:]
    /// The workers an item failed on (so a retry goes elsewhere, and one node cannot fail it).
    var failedOn: [Int: [Int]] = [:]
    /// Hosts and pids of quarantined workers: a quarantined worker saying hello again stays so.
    var quarantinedNames = Set<String>()
    var costs: CostModel
    /// Copies made at the tail, leases taken from workers past an item's deadline.
    var itemsCopied = 0, leasesExpired = 0
    /// The lookahead in force (`dispatch`), and when it was computed.
    var guided: (at: Double, lookahead: Double) = (-1, 0)
    /// The cost model's seconds of the items done in this run (the cost-weighted rate).
    var workDone = 0.0
    /// Seconds the workers reported playing items in this run (utilization: this over
    /// workers x `sweepSeconds`).
    public private(set) var workerBusySeconds = 0.0
    /// When the last queued item was leased (nothing left to hand out but copies), and the
    /// longest play time reported: the tail is judged against that item.
    var queueDrainedTime: Double?
    public private(set) var longestItemSeconds = 0.0
    /// Seconds from the last queued item leased to the last result stored.
    public var tailSeconds: Double {
        guard let drained = queueDrainedTime, let last = lastResultTime else { return 0 }
        return max(0, last - drained)
    }
    var pointsDoneByMarket: [Int]
    var itemsDone = 0, itemsFailed = 0, pointsDone = 0, pointsFailed = 0, failedItemPoints = 0
    var pointsAtStart = 0
    var lastErrors: [Int: String] = [:]
    /// Counters for `ttcg status`: what was dropped and why.
    var droppedMalformed = 0, droppedDuplicate = 0, droppedNotLeased = 0, refusedPeers = 0
    /// Items put back in the queue (a worker failed or fell silent while playing them).
    var itemsRedone = 0
    /// Sum of the workers' credit: dispatch has nothing to do while it is 0.
    var creditTotal = 0
    let startTime = monotonicSeconds()
    /// When the first item was leased and the last result stored (monotonic seconds; nil
    /// until then): the sweep itself, without the set-up before it and the finish after.
    public internal(set) var firstLeaseTime: Double?, lastResultTime: Double?
    /// Seconds from the first item leased to the last result stored in this run (0 if no
    /// item was played): what worker-process scaling is measured on.
    public var sweepSeconds: Double {
        guard let first = firstLeaseTime, let last = lastResultTime else { return 0 }
        return max(0, last - first)
    }
    var finished = false
    /// Set from outside (SIGINT, SIGTERM) to end `run` early; `interrupted` tells it did.
    public let stop = StopFlag()
    public private(set) var interrupted = false

    /// Binds the sockets. `alreadyDone` lists items finished before (a resumed sweep).
    public init(plan: SweepPlan, sink: ResultSink, options: CoordinatorOptions,
                marketsJSON: [String], alreadyDone: Set<Int> = []) throws(EngineError) {
        self.plan = plan
        self.options = options
        self.sink = sink
        self.welcome = Welcome(plan: plan, marketsJSON: marketsJSON, heartbeatMilliseconds: options.heartbeatMilliseconds,
                               timeoutMilliseconds: options.timeoutMilliseconds)
        if let refusal = welcome.refusal { throw EngineError("\(plan.spec.source): \(refusal)", exitCode: 2) }
        tag = sweepTag(plan.spec.hash)
        costs = CostModel(plan: plan)
        pointsDoneByMarket = [Int](repeating: 0, count: plan.markets.count)
        states = [ItemState](repeating: .queued, count: plan.items.count)
        attempts = [UInt32](repeating: 0, count: plan.items.count)
        queue = []
        for item in plan.items {
            if alreadyDone.contains(item.id) {
                states[item.id] = .done
                itemsDone += 1
                pointsDone += item.count
                pointsDoneByMarket[item.market] += item.count
            } else {
                queue.append(item.id)
            }
        }
        pointsAtStart = pointsDone
        costs.startRemaining { alreadyDone.contains($0) }
        if options.curve == nil && !options.insecure {
            for endpoint in [options.bind] + (options.statusBind.map { [$0] } ?? []) where !isLoopbackEndpoint(endpoint) {
                throw EngineError("ttcg coordinator: \(endpoint) is reachable from other machines; give CURVE keys (--curve-secret, --authorized-keys; see ttcg keygen) or pass --insecure", exitCode: 2)
            }
        }
        do {
            context = try ZMQContext()
        } catch {
            throw EngineError("ttcg coordinator: cannot start ZeroMQ: \(error)")
        }
        // The ZAP handler must exist before any CURVE socket binds: without one, libzmq
        // admits every client that knows the server's public key.
        if let curve = options.curve {
            curveGuard = try CurveGuard(context: context, config: curve, log: options.log)
        } else {
            curveGuard = nil
        }
        // High-water marks bound what a peer can queue here (and what the coordinator queues
        // for a peer that never reads); credit keeps honest traffic far below them.
        do {
            socket = try context.socket(.router)
            // A peer's message is capped at what a RESULT of this plan can need, and its
            // queue here at 100 messages (credit keeps an honest worker below 70).
            try socket.set(.maxMessageSize(Int64(ProtocolLimits.maxMessageBytes(for: plan))), .routerMandatory(false),
                           .sendHighWaterMark(1000), .receiveHighWaterMark(100))
            try curveGuard?.configureServer(socket)
        } catch {
            throw EngineError("ttcg coordinator: cannot open a ZeroMQ socket: \(error)")
        }
        do {
            try socket.bind(bindableEndpoint(options.bind))
        } catch {
            throw EngineError("ttcg coordinator: --bind \(options.bind): \(error)", exitCode: 2)
        }
        endpoint = socket.lastEndpoint ?? options.bind
        if let statusBind = options.statusBind {
            do {
                let s = try context.socket(.router)
                try s.set(.maxMessageSize(1 << 16), .sendHighWaterMark(100), .receiveHighWaterMark(100))
                try curveGuard?.configureServer(s)
                try s.bind(bindableEndpoint(statusBind))
                statusSocket = s
                statusEndpoint = s.lastEndpoint ?? statusBind
            } catch {
                throw EngineError("ttcg coordinator: --status-bind \(statusBind): \(error)", exitCode: 2)
            }
        } else {
            statusSocket = nil
            statusEndpoint = nil
        }
        connections = ConnectionGuard(log: options.log)
        do {
            try connections.watch(socket, cap: connections.workerCap)
            if let statusSocket { try connections.watch(statusSocket, cap: ConnectionGuard.statusCap) }
        } catch {
            throw EngineError("ttcg coordinator: cannot monitor the sockets' connections: \(error)")
        }
    }

    deinit {
        connections.close()
        socket.close()
        statusSocket?.close()
        curveGuard?.stop()
    }

    /// Runs until every item is done or failed, calling `progress` about twice a second.
    /// Returns the final status.
    public func run(progress: ((SweepStatus) -> Void)? = nil) throws -> SweepStatus {
        var lastHeartbeat = 0.0, lastProgress = 0.0
        if itemsDone + itemsFailed == plan.items.count { finished = true }
        var pollItems = [PollItem(socket)]
        if let statusSocket { pollItems.append(PollItem(statusSocket)) }
        pollItems += connections.pollItems
        while !finished {
            if stop.isRequested {
                interrupted = true
                return status()
            }
            let events = try Wire.ZMQSocket.poll(pollItems, timeout: .milliseconds(50))
            connections.drain()
            if events[0].contains(.readable) {
                // Drain what is there, bounded so status and heartbeats keep their turn.
                for _ in 0..<10_000 {
                    guard let m = try socket.receiveRouted(timeout: .zero) else { break }
                    try handle(m)
                }
            }
            if let statusSocket, events[1].contains(.readable) {
                while let m = try statusSocket.receiveRouted(timeout: .zero) { answerStatus(m, on: statusSocket) }
            }
            let now = monotonicSeconds()
            if now - lastHeartbeat >= Double(options.heartbeatMilliseconds) / 1000 {
                lastHeartbeat = now
                for w in workers.values { send(.heartbeat, to: w.peer) }
                expireSilentWorkers(now: now)
                expireOverdueItems(now: now)
                do {
                    try sink.tick()
                } catch {
                    fatalStore = "\(error)"
                    stop.request()
                }
            }
            dispatch()
            if itemsDone + itemsFailed == plan.items.count { finished = true }
            if let progress, now - lastProgress >= 0.5 || finished {
                lastProgress = now
                progress(status())
            }
        }
        if !interrupted {
            log("sweep finished: \(itemsDone) items done, \(itemsFailed) failed; \(itemsRedone) re-queued, \(itemsCopied) tail copies, \(leasesExpired) leases past their deadline")
        }
        for w in workers.values { send(.done, to: w.peer) }
        // Tell late workers the sweep is over, and answer status clients, for a moment (SIGINT or
        // SIGTERM ends it: the results are complete, nothing is interrupted).
        let until = monotonicSeconds() + options.lingerSeconds
        while monotonicSeconds() < until && options.lingerEnds?() != true && !stop.isRequested {
            let events = try Wire.ZMQSocket.poll(pollItems, timeout: .milliseconds(20))
            connections.drain()
            if events[0].contains(.readable), let m = try socket.receiveRouted(timeout: .zero) {
                if case .hello? = try? Codec.decode(m.frames) { send(.done, to: m.peer) }
            }
            if let statusSocket, events[1].contains(.readable) {
                while let m = try statusSocket.receiveRouted(timeout: .zero) { answerStatus(m, on: statusSocket) }
            }
        }
        return status()
    }

    func send(_ message: Message, to peer: [UInt8]) {
        _ = try? socket.send(to: peer, Codec.encode(message), dontWait: true)
    }

    func handle(_ m: RoutedMessage) throws {
        let now = monotonicSeconds()
        if let curveGuard, !curveGuard.admits(m) {
            droppedMalformed += 1
            return
        }
        let message: Message
        do {
            message = try Codec.decode(m.frames)
        } catch .version(let v) {
            refusedPeers += 1
            send(.refuse(reason: "protocol version \(v) is not supported; this coordinator speaks version \(protocolVersion)"), to: m.peer)
            return
        } catch {
            droppedMalformed += 1
            return
        }
        if case .hello(var hello) = message {
            // The host name came from the peer: escaped once here, so every table, log line
            // and failure message that shows it stays one line without terminal codes.
            hello.host = printable(hello.host)
            if let last = lastWelcome[m.peer], now - last < Double(options.heartbeatMilliseconds) / 1000 {
                droppedDuplicate += 1   // a HELLO flood: one WELCOME per heartbeat period
                return
            }
            if let old = workers[m.peer] {
                release(old, why: "said hello again")
            } else if workers.count >= options.maxWorkers {
                refusedPeers += 1
                send(.refuse(reason: "too many workers (\(options.maxWorkers)); try again later"), to: m.peer)
                return
            }
            let w = WorkerState(id: nextWorkerID, peer: m.peer, hello: hello, now: now)
            nextWorkerID += 1
            workers[m.peer] = w
            workersByID[w.id] = w
            lastWelcome[m.peer] = now
            w.quarantined = quarantinedNames.contains(w.name)
            log("worker \(w.id) joined: host \(jsonQuoted(hello.host)), pid \(hello.pid), \(hello.threads) threads\(w.quarantined ? " (quarantined before: no items)" : "")")
            send(.welcome(welcome), to: m.peer)
            return
        }
        guard let w = workers[m.peer] else {
            // Not welcomed (e.g. this coordinator restarted): ask it to say hello again.
            refusedPeers += 1
            send(.refuse(reason: unknownWorkerReason), to: m.peer)
            return
        }
        w.lastSeen = now
        switch message {
        case .ready(let credit):
            guard !w.quarantined else { return }
            let before = w.credit
            w.credit = min(w.credit + Int(credit), 64)
            creditTotal += w.credit - before
        case .heartbeat:
            break
        case .result(let sweep, let id, let attempt, let seconds, let block):
            w.stalled = false
            guard sweep == tag else { droppedNotLeased += 1; return }
            accept(block, encoded: Codec.resultBlockBytes(ofBody: m.frames[1]), id: Int(id), attempt: attempt, seconds: seconds, from: w)
        case .failed(let sweep, let id, let attempt, let seconds, let error):
            w.stalled = false
            let i = Int(id)
            guard sweep == tag, i < states.count, isLeased(i, to: w, attempt: attempt) else {
                droppedNotLeased += 1
                return
            }
            w.busySeconds += seconds
            workerBusySeconds += seconds
            w.lastFinish = now
            failed(i, on: w, message: error)
        default:
            droppedMalformed += 1   // a worker does not send welcome, item, done, status...
        }
    }

    func leaseTime(_ i: Int) -> Double {
        if case .leased(_, _, let since) = states[i] { return since }
        return -1
    }

    /// Whether `i` is leased to `w` (as its holder or as the copy) under `attempt`.
    func isLeased(_ i: Int, to w: WorkerState, attempt: UInt32) -> Bool {
        guard case .leased(let owner, let a, _) = states[i], a == attempt else { return false }
        return owner == w.id || copies[i] == w.id
    }

    func accept(_ block: ResultBlock, encoded: ArraySlice<UInt8>, id i: Int, attempt: UInt32, seconds: Double, from w: WorkerState) {
        guard i < states.count else { droppedMalformed += 1; return }
        let item = plan.items[i]
        switch states[i] {
        case .done, .failed:
            droppedDuplicate += 1
            return
        default:
            guard isLeased(i, to: w, attempt: attempt) else {
                droppedNotLeased += 1
                return
            }
        }
        guard block.start == item.start, block.count == item.count,
              block.providers == plan.markets[item.market].market.providerCount else {
            droppedMalformed += 1
            return
        }
        // The time it arrived (the tail is dispatch's, not the storing's).
        let now = monotonicSeconds()
        do {
            try sink.write(block, encoded: encoded, item: item)
        } catch {
            // The sink could not store it (disk full...): stop, the run fails loudly.
            fatalStore = "\(error)"
            stop.request()
            return
        }
        dropLease(i, from: w)
        w.lastFinish = now
        w.busySeconds += seconds
        workerBusySeconds += seconds
        longestItemSeconds = max(longestItemSeconds, seconds)
        // The worker's speed: its time over the model's estimate for items of classes already
        // measured (an unmeasured class says nothing about the worker). The model learns the
        // time as reported, so it averages over the workers.
        if seconds > 0 && costs.isMeasured(item) {
            w.speed = min(10, max(0.1, 0.8 * w.speed + 0.2 * seconds / max(costs.estimate(item), 1e-9)))
        }
        costs.learn(item, seconds: seconds)
        workDone += costs.estimate(item)
        // The other holder of a copied item need not play it.
        if let other = otherHolder(of: i, than: w) {
            dropLease(i, from: other)
            send(.revoke(sweep: tag, id: UInt32(i)), to: other.peer)
        }
        if !copies.isEmpty { copies[i] = nil }
        states[i] = .done
        costs.finished(item)
        lastResultTime = now
        itemsDone += 1
        pointsDone += item.count
        pointsDoneByMarket[item.market] += item.count
        pointsFailed += block.errors.count
        w.itemsDone += 1
        w.pointsDone += item.count
        refuteFailures(of: i, succeededOn: w)
    }

    /// Set when the sink fails; `run` callers turn it into an error.
    public internal(set) var fatalStore: String?

    func answerStatus(_ m: RoutedMessage, on s: ZMQSocket) {
        if let curveGuard, !curveGuard.admits(m) {
            droppedMalformed += 1
            return
        }
        guard case .statusRequest? = try? Codec.decode(m.frames) else {
            droppedMalformed += 1
            return
        }
        _ = try? s.send(to: m.peer, Codec.encode(.statusReply(json: status().json())), dontWait: true)
    }


}
