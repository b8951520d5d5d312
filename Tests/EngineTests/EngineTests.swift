// The coordinator and workers over real ZeroMQ sockets on loopback, in one process:
// every item is played once, results equal a direct evaluation bit for bit, a worker that
// disappears loses its items to the others, failures are retried then recorded.

import Engine
import Foundation
import GameCore
import Profiles
import Sweep
import Wire
import XCTest

func makePlan(_ yaml: String) throws -> (SweepPlan, [String]) {
    let spec = try SweepSpec.parse(yaml: yaml, source: "t.yaml")
    let markets = try SweepPlan.resolveMarkets(spec)
    return (try SweepPlan(spec: spec, markets: markets), markets.map(MarketFile.renderJSON))
}

/// Runs a worker on its own thread until it exits.
final class WorkerThread: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var exit: WorkerExit?
    var error: Error?
    init(_ options: WorkerOptions) {
        Thread.detachNewThread { [self] in
            do {
                exit = try Worker(options: options).run()
            } catch {
                self.error = error
            }
            done.signal()
        }
    }
    func wait(seconds: Double = 60) -> Bool { done.wait(timeout: .now() + seconds) == .success }
}

final class EngineTests: XCTestCase {
    static let spec = """
        markets: [gsm8k/chain-of-thought, {market: aime/majority, models: [Llama-3.2-3B, Llama-3.1-8B, Qwen2-7B]}]
        axes: {beta: [{logspace: [0, 4, 9]}, inf], margin: [0.1, 0.25], seed: {range: [0, 3]}}
        outputs: {chunk: 7, trajectories: {beta: [inf]}}
        """

    func testTwoWorkersGiveTheDirectResults() throws {
        let (plan, json) = try makePlan(Self.spec)
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.heartbeatMilliseconds = 100
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        var w = WorkerOptions(connect: coordinator.endpoint)
        w.threads = 1
        let workers = [WorkerThread(w), WorkerThread(w)]
        var seen: [SweepStatus] = []
        let final = try coordinator.run { seen.append($0) }
        for t in workers {
            XCTAssertTrue(t.wait())
            XCTAssertEqual(t.exit, .done)
        }
        XCTAssertEqual(final.itemsDone, plan.items.count)
        XCTAssertEqual(final.pointsDone, plan.pointCount)
        XCTAssertEqual(final.itemsFailed, 0)
        XCTAssertEqual(Set(sink.order), Set(plan.items.map(\.id)))
        XCTAssertEqual(sink.order.count, plan.items.count)
        for item in plan.items {
            XCTAssertTrue(sink.blocks[item.id]!.isIdentical(to: plan.evaluate(item, threads: 1)), "item \(item.id)")
        }
        // Progress only goes up.
        for (a, b) in zip(seen, seen.dropFirst()) { XCTAssertLessThanOrEqual(a.pointsDone, b.pointsDone) }
    }

    /// A resumed sweep never plays again what its journal already holds.
    func testItemsAlreadyDoneAreNotPlayedAgain() throws {
        let (plan, json) = try makePlan(Self.spec)
        let done: Set<Int> = [0, 2, 5, Set(plan.items.map(\.id)).max()!]
        let sink = MemorySink()
        let coordinator = try Coordinator(plan: plan, sink: sink, options: CoordinatorOptions(bind: "tcp://127.0.0.1:*"),
                                          marketsJSON: json, alreadyDone: done)
        var w = WorkerOptions(connect: coordinator.endpoint)
        w.threads = 1
        let worker = WorkerThread(w)
        let final = try coordinator.run()
        XCTAssertTrue(worker.wait())
        XCTAssertEqual(final.itemsDone, plan.items.count)
        XCTAssertEqual(Set(sink.order), Set(plan.items.map(\.id)).subtracting(done))
        XCTAssertEqual(sink.order.count, plan.items.count - done.count)
        XCTAssertEqual(final.pointsDone, plan.pointCount)
    }

    func testSilentWorkerLosesItsItems() throws {
        let (plan, json) = try makePlan(Self.spec)
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        // The rogue is noticed 1 s after it falls silent; the honest worker, whose heartbeats
        // go out every 50 ms, would need to be starved for as long to lose an item too.
        options.heartbeatMilliseconds = 50
        options.timeoutMilliseconds = 1_000
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        // A fake worker: says hello, takes items, never answers.
        let context = try ZMQContext()
        let rogue = try context.socket(.dealer)
        try rogue.connect(coordinator.endpoint)
        try rogue.send(Codec.encode(.hello(Hello(host: "rogue", pid: 1, threads: 1))))
        try rogue.send(Codec.encode(.ready(credit: 5)))
        var w = WorkerOptions(connect: coordinator.endpoint)
        w.threads = 1
        let honest = WorkerThread(w)
        let final = try coordinator.run()
        XCTAssertTrue(honest.wait())
        XCTAssertEqual(final.itemsDone, plan.items.count)
        for item in plan.items {
            XCTAssertTrue(sink.blocks[item.id]!.isIdentical(to: plan.evaluate(item, threads: 1)))
        }
        // A late result from the rogue for item 0 is not accepted twice.
        XCTAssertGreaterThanOrEqual(final.workers.count, 1)
        rogue.close()
    }

    func testFailedItemsAreRetriedThenRecorded() throws {
        let (plan, json) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1, 2]}\noutputs: {chunk: 1}")
        let sink = MemorySink()
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*")
        options.maxAttempts = 2
        let coordinator = try Coordinator(plan: plan, sink: sink, options: options, marketsJSON: json)
        // A worker that fails item 0 every time and plays item 1.
        let context = try ZMQContext()
        let fake = try context.socket(.dealer)
        try fake.connect(coordinator.endpoint)
        try fake.send(Codec.encode(.hello(Hello(host: "fake", pid: 2, threads: 1))))
        let done = DispatchSemaphore(value: 0)
        let fakeBox = UncheckedBox(fake)
        Thread.detachNewThread {
            let s = fakeBox.value
            var finished = false
            while !finished {
                guard let frames = try? s.receive(timeout: .milliseconds(100)), let m = try? Codec.decode(frames) else { continue }
                switch m {
                case .welcome: _ = try? s.send(Codec.encode(.ready(credit: 1)))
                case .item(let sweep, let id, let attempt):
                    if id == 0 {
                        _ = try? s.send(Codec.encode(.failed(sweep: sweep, id: id, attempt: attempt, seconds: 0, error: "boom \(attempt)")))
                    } else {
                        _ = try? s.send(Codec.encode(.result(sweep: sweep, id: id, attempt: attempt, seconds: 0, block: plan.evaluate(plan.items[Int(id)], threads: 1))))
                    }
                    _ = try? s.send(Codec.encode(.ready(credit: 1)))
                case .done: finished = true
                default: break
                }
            }
            done.signal()
        }
        let final = try coordinator.run()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(final.itemsFailed, 1)
        XCTAssertEqual(final.itemsDone, 1)
        XCTAssertEqual(sink.failures[0], "boom 2")
        XCTAssertNotNil(sink.blocks[1])
        fake.close()
    }

    func testOtherProtocolVersionIsRefused() throws {
        let (plan, json) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1]}")
        let coordinator = try Coordinator(plan: plan, sink: MemorySink(), options: CoordinatorOptions(bind: "tcp://127.0.0.1:*"), marketsJSON: json)
        let context = try ZMQContext()
        let old = try context.socket(.dealer)
        try old.connect(coordinator.endpoint)
        var frames = Codec.encode(.hello(Hello(host: "old", pid: 3, threads: 1)))
        frames[0][4] = 99   // version 99
        try old.send([[1, 2, 3]])              // garbage: dropped and counted
        try old.send(frames)
        // The honest worker starts only once the old peer has its refusal: a sweep this short
        // would otherwise end before the old peer's messages arrive on a loaded machine.
        final class OldPeer: @unchecked Sendable {
            // @unchecked: the socket and the reply are handed to one thread, then read after it is done.
            let socket: ZMQSocket
            var reply: [[UInt8]]?
            var honest: WorkerThread?
            let done = DispatchSemaphore(value: 0)
            init(_ socket: ZMQSocket) { self.socket = socket }
        }
        let peer = OldPeer(old)
        let endpoint = coordinator.endpoint
        Thread.detachNewThread {
            peer.reply = try? peer.socket.receive(timeout: .seconds(30))
            var w = WorkerOptions(connect: endpoint)
            w.threads = 1
            peer.honest = WorkerThread(w)
            peer.done.signal()
        }
        let final = try coordinator.run()
        peer.done.wait()
        XCTAssertTrue(peer.honest?.wait() ?? false)
        let reply = try XCTUnwrap(peer.reply)
        XCTAssertEqual(try Codec.decode(reply), .refuse(reason: "protocol version 99 is not supported; this coordinator speaks version \(protocolVersion)"))
        XCTAssertEqual(final.refusedPeers, 1)
        XCTAssertEqual(final.droppedMalformed, 1)
        old.close()
    }

    func testWorkerTimesOutWithoutCoordinator() throws {
        var w = WorkerOptions(connect: "tcp://127.0.0.1:9")   // nothing listens there
        w.connectTimeoutSeconds = 0.5
        let exit = try Worker(options: w).run()
        XCTAssertEqual(exit, .timedOut("no coordinator answered at tcp://127.0.0.1:9 within 0.5 s"))
    }

    func testBusyPortIsBadInput() throws {
        let (plan, json) = try makePlan("markets: [gsm8k/chain-of-thought]\naxes: {beta: [1]}")
        let first = try Coordinator(plan: plan, sink: MemorySink(), options: CoordinatorOptions(bind: "tcp://127.0.0.1:*"), marketsJSON: json)
        XCTAssertThrowsError(try Coordinator(plan: plan, sink: MemorySink(), options: CoordinatorOptions(bind: first.endpoint), marketsJSON: json)) { e in
            let error = e as! EngineError
            XCTAssertEqual(error.exitCode, 2)
            XCTAssertTrue(error.description.contains("--bind \(first.endpoint)"), error.description)
            XCTAssertTrue(error.description.lowercased().contains("in use"), error.description)
        }
    }

    func testCodecRoundTripAndRejections() throws {
        let (plan, _) = try makePlan(Self.spec)
        let block = plan.evaluate(plan.items.last!, threads: 1)
        let messages: [Message] = [
            .hello(Hello(host: "h", pid: 1, threads: 2)), .ready(credit: 3), .item(sweep: 7, id: 4, attempt: 5),
            .failed(sweep: 7, id: 1, attempt: 2, seconds: 0, error: "x"), .heartbeat, .done, .statusRequest, .statusReply(json: "{}"),
            .refuse(reason: "r"),
            .welcome(Welcome(specHash: "a", specText: "b", specSource: "c", markets: ["d", "e"], heartbeatMilliseconds: 6, timeoutMilliseconds: 7)),
        ]
        for m in messages { XCTAssertEqual(try Codec.decode(Codec.encode(m)), m) }
        guard case .result(_, _, _, _, let decoded) = try Codec.decode(Codec.encode(.result(sweep: 1, id: 9, attempt: 1, seconds: 0, block: block))) else {
            return XCTFail("not a result")
        }
        XCTAssertTrue(decoded.isIdentical(to: block))
        XCTAssertFalse(block.trajectories.isEmpty)
        // Every truncation of a result is rejected, never a crash.
        let frames = Codec.encode(.result(sweep: 1, id: 9, attempt: 1, seconds: 0, block: block))
        for cut in stride(from: 0, to: frames[1].count, by: max(1, frames[1].count / 500)) {
            XCTAssertThrowsError(try Codec.decode([frames[0], Array(frames[1][..<cut])]))
        }
        XCTAssertThrowsError(try Codec.decode([frames[0]]))
        XCTAssertThrowsError(try Codec.decode([Array("XXXX".utf8) + [1, 0, 6], frames[1]]))
        XCTAssertThrowsError(try Codec.decode([Array("TTCG".utf8) + [UInt8(protocolVersion & 0xFF), UInt8(protocolVersion >> 8), 200], []]))
    }
}

final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
