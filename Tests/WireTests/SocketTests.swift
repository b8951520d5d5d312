// ROUTER/DEALER over real loopback TCP: what the coordinator and the workers will rely on.
import Foundation
import Wire
import XCTest

final class SocketTests: XCTestCase {
    func testWildcardBindReportsThePortTheOSChose() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        XCTAssertNil(router.lastEndpoint)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(router.lastEndpoint)
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = try XCTUnwrap(Int(endpoint.split(separator: ":").last ?? ""), endpoint)
        XCTAssertGreaterThan(port, 0)
        try router.unbind(endpoint)
    }

    func testMultipartRoundTripCarriesTheRoutingID() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(router.lastEndpoint)
        let dealer = try context.socket(.dealer)
        try dealer.set(.routingID(Array("worker-7".utf8)))
        XCTAssertEqual(dealer.routingID, Array("worker-7".utf8))
        try dealer.connect(endpoint)

        let request: [[UInt8]] = [[1, 2, 3], [], Array("héllo".utf8), [0, 0, 255]]
        XCTAssertTrue(try dealer.send(request))
        let atRouter = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertEqual(atRouter.peer, Array("worker-7".utf8))
        XCTAssertEqual(atRouter.frames, request)
        XCTAssertNil(atRouter.userID, "no ZAP handler, so no user id")

        let answer = [Data("ok".utf8), Data([9, 8, 7])]
        XCTAssertTrue(try router.send(to: atRouter.peer, answer))
        XCTAssertEqual(try dealer.receive(timeout: patience), answer.map { Array($0) })
    }

    func testAPeerWithoutRoutingIDGetsOneMadeUpByLibzmq() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try context.socket(.dealer)
        try dealer.connect(try XCTUnwrap(router.lastEndpoint))
        try dealer.send([[42]])
        let message = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertEqual(message.peer.count, 5)
        XCTAssertEqual(message.peer.first, 0, "libzmq's made-up ids start with a zero byte")
        XCTAssertEqual(message.frames, [[42]])
        // The made-up id routes the answer back all the same.
        try router.send(to: message.peer, [[43]])
        XCTAssertEqual(try dealer.receive(timeout: patience), [[43]])
    }

    func testReceiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try context.socket(.dealer)
        try dealer.connect(try XCTUnwrap(router.lastEndpoint))

        XCTAssertNil(try dealer.tryReceive())
        XCTAssertNil(try dealer.receive(timeout: .zero))
        let clock = ContinuousClock()
        let start = clock.now
        XCTAssertNil(try dealer.receive(timeout: .milliseconds(200)))
        let waited = clock.now - start
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(195))
        // Only that the timeout returns at all: how late depends on the machine's load.
        XCTAssertLessThan(waited, .seconds(60), "a 200 ms timeout took \(waited)")
    }

    func testPollTellsWhichOfTwoSocketsIsReadable() throws {
        let context = try ZMQContext()
        let first = try context.socket(.router), second = try context.socket(.router)
        try first.bind("tcp://127.0.0.1:*")
        try second.bind("tcp://127.0.0.1:*")
        let toFirst = try context.socket(.dealer), toSecond = try context.socket(.dealer)
        try toFirst.connect(try XCTUnwrap(first.lastEndpoint))
        try toSecond.connect(try XCTUnwrap(second.lastEndpoint))
        let items = [PollItem(first), PollItem(second)]

        XCTAssertEqual(try ZMQSocket.poll(items, timeout: .milliseconds(50)), [[], []])
        try toSecond.send([Array("to second".utf8)])
        XCTAssertEqual(try ZMQSocket.poll(items, timeout: patience), [[], .readable])
        XCTAssertEqual(try second.receiveRouted(timeout: .zero)?.frames, [Array("to second".utf8)])

        try toFirst.send([Array("to first".utf8)])
        XCTAssertEqual(try ZMQSocket.poll(items, timeout: patience), [.readable, []])
        XCTAssertEqual(try first.receiveRouted(timeout: .zero)?.frames, [Array("to first".utf8)])

        // A connected DEALER can send without blocking.
        XCTAssertEqual(try ZMQSocket.poll([PollItem(toFirst, events: [.readable, .writable])],
                                          timeout: patience), [.writable])
    }

    func testBindingABusyPortThrowsWithTheEndpoint() throws {
        let context = try ZMQContext()
        let owner = try context.socket(.router)
        try owner.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(owner.lastEndpoint)
        let intruder = try context.socket(.router)
        XCTAssertThrowsError(try intruder.bind(endpoint)) { error in
            let error = error as? WireError
            XCTAssertEqual(error?.code, EADDRINUSE)
            XCTAssertEqual(error?.description, "bind \(endpoint): Address already in use")
        }
    }

    func testBadEndpointsThrowWithTheEndpoint() throws {
        let context = try ZMQContext()
        let dealer = try context.socket(.dealer)
        for endpoint in ["nonsense://x", "tcp://", "tcp://127.0.0.1"] {
            XCTAssertThrowsError(try dealer.connect(endpoint)) { error in
                XCTAssertTrue("\(error)".hasPrefix("connect \(endpoint): "), "\(error)")
            }
        }
        XCTAssertThrowsError(try dealer.disconnect("tcp://127.0.0.1:1")) { error in
            XCTAssertTrue("\(error)".hasPrefix("disconnect tcp://127.0.0.1:1: "), "\(error)")
        }
    }

    func testConnectingToNothingSucceedsButNothingComesBack() throws {
        let context = try ZMQContext()
        // A port that was free a moment ago and that nothing listens on now.
        let probe = try context.socket(.router)
        try probe.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(probe.lastEndpoint)
        probe.close()

        let dealer = try context.socket(.dealer)
        try dealer.set(.reconnectInterval(milliseconds: 50))
        try dealer.connect(endpoint)
        XCTAssertTrue(try dealer.send([Array("anyone?".utf8)], dontWait: true),
                      "without .immediate the message waits in the connect pipe")
        XCTAssertNil(try dealer.receive(timeout: .milliseconds(300)))

        // With .immediate there is no pipe until a connection completes: a non-blocking send
        // says so instead of queueing.
        let eager = try context.socket(.dealer)
        try eager.set(.immediate(true))
        try eager.connect(endpoint)
        XCTAssertFalse(try eager.send([Array("anyone?".utf8)], dontWait: true))
    }

    func testRouterMandatoryReportsAnUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        XCTAssertTrue(try router.send(to: Array("ghost".utf8), [[1]]), "dropped silently by default")
        try router.set(.routerMandatory(true))
        XCTAssertThrowsError(try router.send(to: Array("ghost".utf8), [[1]])) { error in
            XCTAssertEqual((error as? WireError)?.code, EHOSTUNREACH)
        }
    }

    func testLargeFramesRoundTrip() throws {
        let context = try ZMQContext()
        let (server, endpoint) = try startEchoServer(context)
        let dealer = try context.socket(.dealer)
        try dealer.connect(endpoint)
        var generator = SeededGenerator(seed: 7)
        let big = (0..<(16 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let message: [[UInt8]] = [Array(big.prefix(1 << 20)), big, [], [1]]
        XCTAssertEqual(try pump(dealer, count: 3, window: 1, frames: message), 3)
        try dealer.send([stopFrame])
        try server.join()
    }

    func testMaxMessageSizeDisconnectsAPeerThatSendsTooMuch() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.set(.maxMessageSize(1_024))
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(router.lastEndpoint)
        let honest = try context.socket(.dealer), greedy = try context.socket(.dealer)
        try honest.connect(endpoint)
        try greedy.connect(endpoint)
        try greedy.send([[UInt8](repeating: 1, count: 4_096)])
        try honest.send([[UInt8](repeating: 2, count: 1_000)])
        let message = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertEqual(message.frames, [[UInt8](repeating: 2, count: 1_000)])
        XCTAssertNil(try router.receiveRouted(timeout: .milliseconds(300)))
    }

    func testOneHundredThousandSmallMessagesRoundTrip() throws {
        let context = try ZMQContext()
        let (server, endpoint) = try startEchoServer(context)
        let dealer = try context.socket(.dealer)
        try dealer.connect(endpoint)
        // Every message comes back, none lost or duplicated (the rate is `make bench`'s
        // dispatch case, not a test's).
        let count = try pump(dealer, count: 100_000, window: 256, frames: [[1, 2, 3, 4], Array("item".utf8)])
        XCTAssertEqual(count, 100_000)
        try dealer.send([stopFrame])
        try server.join()
    }

    func testClosingTheContextWakesABlockedReceive() throws {
        let context = try ZMQContext()
        let waiter = Background("blocked") {
            let dealer = try context.socket(.dealer)
            try dealer.connect("tcp://127.0.0.1:1")
            do throws(WireError) {
                _ = try dealer.receive(timeout: nil)
                throw WireError.malformed("a receive with nothing to receive returned")
            } catch .terminated {
                return
            }
        }
        Thread.sleep(forTimeInterval: 0.1)
        context.close()
        try waiter.join()
        XCTAssertThrowsError(try context.socket(.dealer)) { error in
            XCTAssertEqual(error as? WireError, .terminated)
        }
    }

    func testMisuseThrowsInsteadOfTrapping() throws {
        let context = try ZMQContext()
        let dealer = try context.socket(.dealer)
        XCTAssertThrowsError(try dealer.send([[UInt8]]()))
        XCTAssertThrowsError(try dealer.set(.routingID([])))
        XCTAssertThrowsError(try dealer.set(.routingID([UInt8](repeating: 1, count: 256))))
        XCTAssertThrowsError(try dealer.set(.curveServerKey("too short")))
        XCTAssertThrowsError(try dealer.set(.curveServerKey(String(repeating: "\u{7f}", count: 40)))) { error in
            XCTAssertEqual((error as? WireError)?.code, EINVAL, "not Z85")
        }
        dealer.close()
        dealer.close()
        XCTAssertTrue(dealer.isClosed)
        XCTAssertThrowsError(try dealer.send([[1]])) { XCTAssertEqual($0 as? WireError, .closed) }
        XCTAssertThrowsError(try dealer.receive(timeout: .zero)) { XCTAssertEqual($0 as? WireError, .closed) }
        XCTAssertThrowsError(try dealer.connect("tcp://127.0.0.1:1")) { XCTAssertEqual($0 as? WireError, .closed) }
        XCTAssertNil(dealer.lastEndpoint)
    }

    func testErrorDescriptionsAreOneLine() {
        let errors: [WireError] = [
            .zmq(operation: "bind", endpoint: "tcp://127.0.0.1:5555", code: EADDRINUSE),
            .zmq(operation: "send", endpoint: nil, code: EHOSTUNREACH),
            .terminated, .closed, .invalidArgument("x"), .malformed("truncated"),
        ]
        XCTAssertEqual(errors[0].description, "bind tcp://127.0.0.1:5555: Address already in use")
        XCTAssertEqual(errors[1].description, "send: Host unreachable")
        for error in errors {
            XCTAssertFalse(error.description.contains("\n"))
            XCTAssertFalse(error.description.isEmpty)
        }
    }
}
