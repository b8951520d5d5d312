// Dispatch under misbehaving workers (issue 13): a worker that heartbeats but never answers,
// one that answers everything with FAILED, and the cost model behind lookahead leasing.
// Real coordinator, real sockets; the misbehaving peers speak the protocol by hand.

import Engine
import Foundation
import GameCore
import Sweep
import Wire
import XCTest

extension LogLines {
    func count(containing text: String) -> Int { all.filter { $0.contains(text) }.count }
}

/// A peer that speaks the protocol by hand on its own thread until DONE: says hello, asks
/// for `credit` once `go` is set, heartbeats, and answers items as `answer` says (nil: never).
final class HandPeer: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var _items: [UInt32] = [], _revoked: [UInt32] = []
    private var _go = false
    var items: [UInt32] { lock.lock(); defer { lock.unlock() }; return _items }
    var revoked: [UInt32] { lock.lock(); defer { lock.unlock() }; return _revoked }
    func go() { lock.lock(); _go = true; lock.unlock() }
    private var isGo: Bool { lock.lock(); defer { lock.unlock() }; return _go }

    init(endpoint: String, name: String, credit: UInt32, startNow: Bool = true,
         answer: @escaping @Sendable (_ sweep: UInt64, _ id: UInt32, _ attempt: UInt32) -> Message?) throws {
        let context = try ZMQContext()
        let socket = try context.socket(.dealer)
        try socket.connect(endpoint)
        _go = startNow
        let box = UncheckedBox((context, socket))
        Thread.detachNewThread { [self] in
            let s = box.value.1
            _ = try? s.send(Codec.encode(.hello(Hello(host: name, pid: 7, threads: 1))))
            var welcomed = false, asked = false, lastBeat = 0.0
            while true {
                let now = Date().timeIntervalSince1970
                if welcomed && now - lastBeat > 0.05 {
                    _ = try? s.send(Codec.encode(.heartbeat))
                    lastBeat = now
                }
                if welcomed && !asked && isGo {
                    _ = try? s.send(Codec.encode(.ready(credit: credit)))
                    asked = true
                }
                guard let frames = try? s.receive(timeout: .milliseconds(20)), let m = try? Codec.decode(frames) else { continue }
                switch m {
                case .welcome: welcomed = true
                case .item(let sweep, let id, let attempt):
                    lock.lock(); _items.append(id); lock.unlock()
                    if let reply = answer(sweep, id, attempt) {
                        _ = try? s.send(Codec.encode(reply))
                        _ = try? s.send(Codec.encode(.ready(credit: 1)))
                    }
                case .revoke(_, let id):
                    lock.lock(); _revoked.append(id); lock.unlock()
                case .done:
                    s.close()
                    done.signal()
                    return
                default: break
                }
            }
        }
    }
}

final class DispatchTests: XCTestCase {
    /// Enough items that no worker can hold them all (credit is capped at 64).
    static let spec = "markets: [gsm8k/chain-of-thought, gpqa/majority]\naxes: {beta: [{logspace: [0, 4, 40]}], seed: {range: [0, 4]}}\noutputs: {chunk: 2}"

    /// Ends `coordinator.run` after `seconds` if it is still going (a stalled sweep fails
    /// the test instead of hanging it).
    func watchdog(_ coordinator: Coordinator, seconds: Double) {
        let box = UncheckedBox(coordinator.stop)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            box.value.request()
        }
    }

    func assertAllIdentical(_ plan: SweepPlan, _ sink: MemorySink, file: StaticString = #filePath, line: UInt = #line) {
        for item in plan.items {
            XCTAssertTrue(sink.blocks[item.id]?.isIdentical(to: plan.evaluate(item, threads: 1)) == true, "item \(item.id)", file: file, line: line)
        }
    }

    /// The stuck client: HELLO, READY(64), then only heartbeats. Its first item runs
    /// past the deadline: that lease and the ones behind it go to the honest worker, which
    /// joins only then, and the stuck peer gets nothing more.
    func testAWorkerThatOnlyHeartbeatsLosesItsLeasesAtTheDeadline() throws {
        let (plan, json) = try makePlan(Self.spec)
        XCTAssertGreaterThan(plan.items.count, 128)
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.heartbeatMilliseconds = 50
        options.timeoutMilliseconds = 600_000   // it heartbeats: silence never takes its items
        options.itemTimeoutSeconds = 0.3
        let events = LogLines()
        options.log = events.add
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        watchdog(coordinator, seconds: 90)
        let stuck = try HandPeer(endpoint: coordinator.endpoint, name: "stuck", credit: 64) { _, _, _ in nil }
        var honest: WorkerThread?
        let final = try coordinator.run { status in
            if honest == nil && status.leasesExpired > 0 {
                var w = WorkerOptions(connect: coordinator.endpoint)
                w.threads = 1
                honest = WorkerThread(w)
            }
        }
        XCTAssertFalse(coordinator.interrupted, "the sweep stalled: \(final.itemsDone) of \(plan.items.count) items")
        XCTAssertTrue(try XCTUnwrap(honest).wait())
        XCTAssertEqual(stuck.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(final.itemsDone, plan.items.count)
        XCTAssertEqual(final.itemsFailed, 0)
        assertAllIdentical(plan, sink)
        // One deadline, and the stuck peer got items once: its first lease expired and every
        // item it held was taken back (and revoked).
        XCTAssertEqual(final.leasesExpired, 1)
        XCTAssertGreaterThan(stuck.items.count, 1)
        XCTAssertEqual(Set(stuck.revoked), Set(stuck.items))
        XCTAssertEqual(final.workers.first { $0.host == "stuck" }?.itemsDone, 0)
        XCTAssertEqual(events.count(containing: "past its deadline"), 1, events.all.joined(separator: "\n"))
        XCTAssertEqual(events.count(containing: "re-queued (stalled on item"), 1, events.all.joined(separator: "\n"))
    }

    /// The same stuck client with a deadline that never comes: once nothing is queued, the
    /// honest worker gets copies of the items the stuck one holds; the stuck one is told to
    /// skip them.
    func testTheTailIsCopiedToAnIdleWorker() throws {
        let (plan, json) = try makePlan(Self.spec)
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.heartbeatMilliseconds = 50
        options.timeoutMilliseconds = 600_000
        options.itemTimeoutSeconds = 600
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        watchdog(coordinator, seconds: 90)
        let stuck = try HandPeer(endpoint: coordinator.endpoint, name: "stuck", credit: 64) { _, _, _ in nil }
        var honest: WorkerThread?
        let final = try coordinator.run { status in
            if honest == nil && status.workers.contains(where: { $0.host == "stuck" && $0.leased > 0 }) {
                var w = WorkerOptions(connect: coordinator.endpoint)
                w.threads = 1
                honest = WorkerThread(w)
            }
        }
        XCTAssertFalse(coordinator.interrupted, "the sweep stalled: \(final.itemsDone) of \(plan.items.count) items")
        XCTAssertTrue(try XCTUnwrap(honest).wait())
        XCTAssertEqual(stuck.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(final.itemsDone, plan.items.count)
        assertAllIdentical(plan, sink)
        XCTAssertEqual(final.leasesExpired, 0)
        // Every item the stuck peer held was copied, and revoked from it once played.
        XCTAssertEqual(final.itemsCopied, stuck.items.count)
        XCTAssertEqual(Set(stuck.revoked), Set(stuck.items))
    }

    /// The broken node: a worker that answers every item with FAILED. Its failures
    /// are retried on the honest worker, which succeeds; after three such refutations it is
    /// quarantined. No item fails, and the numbers are the honest worker's. (Both peers
    /// speak by hand and ask for items at the same moment, once both are welcomed.)
    func testAWorkerThatFailsEverythingIsQuarantined() throws {
        let (plan, json) = try makePlan(Self.spec)
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.heartbeatMilliseconds = 50
        options.timeoutMilliseconds = 600_000
        let events = LogLines()
        options.log = events.add
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        watchdog(coordinator, seconds: 90)
        let broken = try HandPeer(endpoint: coordinator.endpoint, name: "broken", credit: 64, startNow: false) { sweep, id, attempt in
            .failed(sweep: sweep, id: id, attempt: attempt, seconds: 0.001, error: "broken node")
        }
        let honest = try HandPeer(endpoint: coordinator.endpoint, name: "honest", credit: 64, startNow: false) { sweep, id, attempt in
            .result(sweep: sweep, id: id, attempt: attempt, seconds: 0.001, block: plan.evaluate(plan.items[Int(id)], threads: 1))
        }
        // The broken node first, the honest one once it has items: started together, a loaded
        // machine could let the honest node take every item before the broken one asked.
        let final = try coordinator.run { status in
            if status.workers.count == 2 { broken.go() }
            if broken.items.count >= 3 { honest.go() }
        }
        XCTAssertFalse(coordinator.interrupted)
        XCTAssertEqual(honest.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(broken.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(final.itemsFailed, 0, "one broken node failed items")
        XCTAssertEqual(final.itemsDone, plan.items.count)
        XCTAssertTrue(sink.failures.isEmpty)
        assertAllIdentical(plan, sink)
        XCTAssertGreaterThanOrEqual(broken.items.count, 3, "the broken node got too few items to judge")
        XCTAssertEqual(final.workers.first { $0.host == "broken" }?.state, "quarantined")
        XCTAssertEqual(final.workers.first { $0.host == "honest" }?.itemsDone, plan.items.count)
        XCTAssertEqual(events.count(containing: "quarantined:"), 1, events.all.joined(separator: "\n"))
    }

    /// With a single worker, an item that fails on it every time is still recorded as failed
    /// once it used its attempts and nothing else is left.
    func testAnItemThatFailsOnTheOnlyWorkerIsRecordedAtTheEnd() throws {
        let (plan, json) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1, 2, 3]}\noutputs: {chunk: 1}")
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.maxAttempts = 2
        options.timeoutMilliseconds = 600_000
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        watchdog(coordinator, seconds: 120)
        let only = try HandPeer(endpoint: coordinator.endpoint, name: "only", credit: 2) { sweep, id, attempt in
            id == 1 ? .failed(sweep: sweep, id: id, attempt: attempt, seconds: 0, error: "boom \(attempt)")
                    : .result(sweep: sweep, id: id, attempt: attempt, seconds: 0, block: plan.evaluate(plan.items[Int(id)], threads: 1))
        }
        let final = try coordinator.run()
        XCTAssertFalse(coordinator.interrupted)
        XCTAssertEqual(only.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(final.itemsDone, 2)
        XCTAssertEqual(final.itemsFailed, 1)
        XCTAssertEqual(sink.failures[1], "boom 2")
        XCTAssertEqual(only.items.filter { $0 == 1 }.count, 2)
    }
}

final class CostModelTests: XCTestCase {
    /// Items of a market with all equilibria are estimated dearer than those without, before
    /// anything is measured; a measured play time moves the estimate of its class to it.
    func testPriorsOrderMarketsAndMeasurementsCorrectThem() throws {
        let (plan, _) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1, 1000, inf]}\noutputs: {chunk: 1, all_equilibria: false}")
        let (dear, _) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1, 1000, inf]}\noutputs: {chunk: 1, all_equilibria: true}")
        let model = CostModel(plan: plan), dearModel = CostModel(plan: dear)
        for i in plan.items.indices {
            XCTAssertGreaterThan(dearModel.estimate(dear.items[i]), model.estimate(plan.items[i]))
        }
        // beta = 1, 1000 and inf are three classes: measuring one sets its estimate and
        // calibrates the others' priors.
        var m = CostModel(plan: plan)
        m.startRemaining { _ in false }
        let before = m.estimate(plan.items[0])
        m.learn(plan.items[1], seconds: 0.5)
        XCTAssertEqual(m.estimate(plan.items[1]), 0.5, accuracy: 1e-12)
        XCTAssertNotEqual(m.estimate(plan.items[0]), before)
        let all = plan.items.map { m.estimate($0) }.reduce(0, +)
        XCTAssertEqual(m.remainingSeconds, all, accuracy: 1e-12)
        m.finished(plan.items[1])
        XCTAssertEqual(m.remainingSeconds, all - 0.5, accuracy: 1e-12)
        XCTAssertTrue(m.isMeasured(plan.items[1]))
        XCTAssertFalse(m.isMeasured(plan.items[0]))
    }
}
