// Issue 14's broken promises, end to end with the release binary: each test failed before
// its fix. (Cases 1, 7 and 8 are in FaultTests and SweepEndToEndTests; the bad-input rows
// of docs/bad-input.md run in BadInputTableTests.)

import Engine
import Foundation
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
}
