// Issue 14's broken promises, end to end with the release binary: each test failed before
// its fix. (Cases 1, 7 and 8 are in FaultTests and SweepEndToEndTests; the bad-input rows
// of docs/bad-input.md run in BadInputTableTests.)

import Engine
import Foundation
import ResultStore
import Sweep
import Wire
import XCTest

final class HardeningTests: XCTestCase {
    /// A coordinator made by hand: a ROUTER that answers the first HELLO with `welcome`.
    func welcomeOneWorker(_ welcome: Welcome) throws -> Background {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        defer { router.close() }
        try router.set(.linger(milliseconds: 2_000))
        let port = freePort()
        try router.bind("tcp://127.0.0.1:\(port)")
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            guard let message = try router.receiveRouted(timeout: .milliseconds(200)) else { continue }
            guard case .hello = try Codec.decode(message.frames) else { continue }
            _ = try router.send(to: message.peer, Codec.encode(.welcome(welcome)))
            return worker
        }
        XCTFail("no HELLO from the worker in 30 s: \(worker.stderr)")
        return worker
    }

    /// Case 2: a worker handed a spec or a market nested 5,000 deep says so and exits; it
    /// used to overflow its stack in the YAML parser (SIGSEGV).
    func testAWorkerRefusesADeeplyNestedSpecOrMarketFromItsCoordinator() throws {
        let deep = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let specs = [("name: deep\nmarkets: \(deep)\n", [String]()),
                     ("name: deep\nmarkets: [m.yaml]\n", ["{\"name\": \"m\", \"providers\": \(deep)}"])]
        for (spec, markets) in specs {
            // The hash of the deep spec is never reached: its text is refused first.
            let hash = markets.isEmpty ? "0" : try SweepSpec.parse(yaml: spec, source: "deep.yaml").hash
            let worker = try welcomeOneWorker(Welcome(specHash: hash, specText: spec, specSource: "deep.yaml", markets: markets,
                                                      heartbeatMilliseconds: 1_000, timeoutMilliseconds: 10_000))
            let status = worker.wait(seconds: 30)
            XCTAssertEqual(worker.process.terminationReason, .exit, worker.stderr)
            XCTAssertNotEqual(status, 0, worker.stderr)
            XCTAssertTrue(worker.stderr.contains("nests deeper than 64 levels"), worker.stderr)
        }
    }

    /// Case 5: under `ulimit -n 200`, 300 idle TCP connections (no handshake) in the middle
    /// of a sweep. The coordinator used to run out of descriptors and die writing a snapshot
    /// ("Too many open files", with a hint to free disk space); now the connections beyond
    /// its cap are shut down and counted, status still answers, and the sweep completes.
    func testIdleConnectionsBeyondTheLimitOnOpenFilesAreRefusedAndTheSweepCompletes() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("fd.h5").path
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/slow.yaml", "--out", out,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--status-bind", "tcp://127.0.0.1:\(statusPort)",
                                          "--snapshot-seconds", "0.1", "--linger", "0.2"], openFiles: 200)
        XCTAssertTrue(waitForListener(port), coordinator.stderr)
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        let status = try StatusClient(connect: "tcp://127.0.0.1:\(statusPort)")
        // Wait for the sweep to be under way, then open the idle connections.
        let deadline = Date().addingTimeInterval(60)
        var s = try XCTUnwrap(status.fetch(timeoutSeconds: 10))
        while s.pointsDone == 0 && Date() < deadline {
            usleep(50_000)
            s = try XCTUnwrap(status.fetch(timeoutSeconds: 10))
        }
        var idle: [Int32] = []
        for _ in 0..<300 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            XCTAssertEqual(rc, 0)
            idle.append(fd)
        }
        defer { for fd in idle { close(fd) } }
        // Held while snapshots are written and the sweep goes on to its end.
        var refused = 0
        while Date() < deadline && coordinator.process.isRunning {
            if let t = try status.fetch(timeoutSeconds: 2) { refused = t.refusedConnections; if t.finished { break } }
            usleep(100_000)
        }
        print("file descriptors: 300 idle connections under ulimit -n 200: \(refused) refused")
        XCTAssertGreaterThan(refused, 100, coordinator.stderr)
        XCTAssertEqual(coordinator.wait(seconds: 60), 0, coordinator.stderr)
        XCTAssertEqual(worker.wait(seconds: 30), 0, worker.stderr)
        XCTAssertTrue(coordinator.stderr.contains("connections refused"), coordinator.stderr)
        XCTAssertFalse(coordinator.stderr.contains("Too many open files"), coordinator.stderr)
        let reader = try ResultsReader(path: out)
        XCTAssertTrue(reader.completed)
        try reader.close()
    }

    /// Case 9: a worker's host name with terminal codes and a line break (it comes from the
    /// peer) is escaped in the status table and in the coordinator's log.
    func testAHostNameWithEscapeCodesIsEscapedInStatusAndLog() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/e2e.yaml", "--out", dir.appendingPathComponent("h.h5").path,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--status-bind", "tcp://127.0.0.1:\(statusPort)"])
        XCTAssertTrue(waitForListener(port), coordinator.stderr)
        let context = try ZMQContext()
        let peer = try context.socket(.dealer)
        defer { peer.close() }
        try peer.connect("tcp://127.0.0.1:\(port)")
        let evil = "node\u{1b}[2J\u{1b}[31m\nworker 99 forged\r"
        _ = try peer.send(Codec.encode(.hello(Hello(host: evil, pid: 7, threads: 1))))
        XCTAssertNotNil(try peer.receive(timeout: .seconds(10)), "no welcome")
        let table = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("node"), table.stdout)
        for text in [table.stdout, coordinator.stderr] {
            XCTAssertFalse(text.contains("\u{1b}"), text)
            XCTAssertFalse(text.contains("\r"), text)
            XCTAssertFalse(text.split(separator: "\n").contains { $0.hasPrefix("worker 99 forged") }, text)
        }
    }

    /// Case 6: eight peers each send one 64 MB message. The coordinator took every one in
    /// (ZeroMQ allocates a message whole once its header is in), 8 x 64 MB; now a message is
    /// capped at what a result of the plan can need, and the peer is cut off at the header.
    func testLargeMessagesFromManyPeersDoNotAddUp() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let out = dir.appendingPathComponent("big.h5").path
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/e2e.yaml", "--out", out,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--linger", "0.2"])
        XCTAssertTrue(waitForListener(port), coordinator.stderr)
        func peakMegabytes() -> Double {
            let text = (try? String(contentsOfFile: "/proc/\(coordinator.process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        let before = peakMegabytes()
        let payload = [UInt8](repeating: 0x55, count: 64 << 20)
        do {
            let context = try ZMQContext()
            for _ in 0..<8 {
                let peer = try context.socket(.dealer)
                try peer.set(.linger(milliseconds: 20_000))
                try peer.connect("tcp://127.0.0.1:\(port)")
                _ = try peer.send([Array("TTCG".utf8) + [0, 2, 1], payload])
                peer.close()   // with the linger, the message still goes out
            }
        }   // the context's end waits until every byte has left (or the linger ran out)
        usleep(500_000)
        let after = peakMegabytes()
        print(String(format: "large messages: 8 x 64 MB sent; coordinator peak RSS %.1f -> %.1f MB", before, after))
        XCTAssertTrue(coordinator.process.isRunning, coordinator.stderr)
        XCTAssertLessThan(after - before, 100, "peak RSS \(before) -> \(after) MB")
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        XCTAssertEqual(coordinator.wait(seconds: 60), 0, coordinator.stderr)
        XCTAssertEqual(worker.wait(seconds: 30), 0, worker.stderr)
    }

    /// A fuzzing find: a CSV market whose model is named with 70 braces loaded and validated,
    /// but its JSON (what workers are sent) was over the nesting bound, so every worker
    /// refused the welcome and `ttcg run` sat at 0 games. Names are now written with their
    /// brackets escaped, and a welcome a worker would not load is refused up front.
    func testAMarketNamedWithManyBracesRuns() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let braces = String(repeating: "{", count: 70)
        let csv = "dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok\n"
            + "gsm8k,best-of-n,\(braces),0,1,0.5,100,0.2\ngsm8k,best-of-n,\(braces),1,4,0.6,400,0.2\n"
            + "gsm8k,best-of-n,B,0,1,0.4,50,0.1\ngsm8k,best-of-n,B,1,4,0.7,300,0.1\n"
        try csv.write(to: dir.appendingPathComponent("braces.csv"), atomically: true, encoding: .utf8)
        let spec = dir.appendingPathComponent("braces.yaml").path
        try "name: braces\nmarkets: [braces.csv]\naxes:\n  beta: [1, 2]\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("braces.h5").path
        let run = try Background(["run", spec, "--out", out, "--workers", "1"])
        XCTAssertEqual(run.wait(seconds: 60), 0, run.stderr)
        let document = try jsonObject(try ttcg(["inspect", out, "--json"]))
        XCTAssertEqual(document["points_done"] as? Int, 2)
        let market = try XCTUnwrap((document["markets"] as? [[String: Any]])?.first)
        XCTAssertEqual(market["providers"] as? [String], [braces, "B"])
    }
}
