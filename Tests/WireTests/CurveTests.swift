// CURVE encryption and ZAP authentication between a ROUTER server and DEALER clients.
import Foundation
import Wire
import XCTest

final class CurveTests: XCTestCase {
    /// ttcg's cluster traffic needs CURVE: a libzmq without it fails here, loudly.
    func testLibzmqHasCurve() {
        XCTAssertTrue(ZMQLibrary.hasCurve, "libzmq \(ZMQLibrary.versionString) was built without CURVE")
    }

    func testKeyPairsAreZ85AndThePublicKeyDerivesFromTheSecret() throws {
        let pair = try CurveKeyPair.generate()
        XCTAssertEqual(pair.publicKey.utf8.count, 40)
        XCTAssertEqual(pair.secretKey.utf8.count, 40)
        XCTAssertNotEqual(pair, try CurveKeyPair.generate())
        XCTAssertEqual(try CurveKeyPair(secretKey: pair.secretKey), pair)
        XCTAssertFalse("\(pair)".contains(pair.secretKey), "the secret key must not be printed")
        XCTAssertThrowsError(try CurveKeyPair(secretKey: "short"))
    }

    func testAClientThatKnowsTheServerKeyTalks() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let (router, endpoint) = try curveServer(context, keys: serverKeys)
        let client = try curveClient(context, serverKey: serverKeys.publicKey, endpoint: endpoint)

        try client.send([Array("hello".utf8)])
        let message = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertEqual(message.frames, [Array("hello".utf8)])
        try router.send(to: message.peer, [Array("welcome".utf8)])
        XCTAssertEqual(try client.receive(timeout: patience), [Array("welcome".utf8)])
    }

    func testAClientWithTheWrongServerKeyGetsNothingThrough() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try curveServer(context, keys: try CurveKeyPair.generate())
        let impostor = try curveClient(context, serverKey: try CurveKeyPair.generate().publicKey,
                                       endpoint: endpoint)
        try impostor.send([Array("hello".utf8)])
        XCTAssertNil(try router.receiveRouted(timeout: .milliseconds(500)))
        XCTAssertNil(try impostor.receive(timeout: .zero))
    }

    func testAClientWithoutCurveGetsNothingThrough() throws {
        let context = try ZMQContext()
        let (router, endpoint) = try curveServer(context, keys: try CurveKeyPair.generate())
        let plain = try context.socket(.dealer)
        try plain.connect(endpoint)
        try plain.send([Array("hello".utf8)])
        XCTAssertNil(try router.receiveRouted(timeout: .milliseconds(500)))
    }

    func testZAPAdmitsAuthorizedKeysOnlyAndNamesTheClient() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let authorized = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let seen = Seen()
        let allowed: Set<String> = [authorized.publicKey]
        let zap = try ZAPAuthenticator(context: context) { request in
            seen.add(request)
            return request.clientPublicKey.map(allowed.contains) ?? false
        }
        defer { zap.stop() }
        XCTAssertThrowsError(try ZAPAuthenticator(context: context) { _ in true },
                             "one handler per context")
        let (router, endpoint) = try curveServer(context, keys: serverKeys, domain: "ttcg")

        let refused = try curveClient(context, serverKey: serverKeys.publicKey, endpoint: endpoint,
                                      keys: stranger)
        try refused.send([Array("let me in".utf8)])
        let accepted = try curveClient(context, serverKey: serverKeys.publicKey, endpoint: endpoint,
                                       keys: authorized)
        try accepted.send([Array("hello".utf8)])

        let message = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertEqual(message.frames, [Array("hello".utf8)])
        XCTAssertEqual(message.userID, authorized.publicKey)
        XCTAssertNil(try router.receiveRouted(timeout: .milliseconds(500)), "the stranger got through")

        let requests = seen.all
        XCTAssertTrue(requests.contains { $0.clientPublicKey == stranger.publicKey })
        XCTAssertTrue(requests.allSatisfy { $0.mechanism == "CURVE" && $0.domain == "ttcg" && $0.address == "127.0.0.1" })
    }

    /// libzmq 4.3 fails open: with no handler bound, a CURVE server accepts any client that
    /// knows its public key (ZMQ_ZAP_ENFORCE_DOMAIN does not change that for CURVE in 4.3.4).
    /// So a ZAP handler must outlive the server sockets it guards, and a server that wants
    /// authentication should also refuse messages whose `userID` is nil.
    func testWithoutAZAPHandlerAnyClientWithTheServerKeyGetsIn() throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let zap = try ZAPAuthenticator(context: context) { _ in false }
        zap.stop()
        let (router, endpoint) = try curveServer(context, keys: serverKeys)
        let client = try curveClient(context, serverKey: serverKeys.publicKey, endpoint: endpoint)
        try client.send([Array("hello".utf8)])
        let message = try XCTUnwrap(router.receiveRouted(timeout: patience))
        XCTAssertNil(message.userID)
    }

    // MARK: Helpers

    private func curveServer(_ context: ZMQContext, keys: CurveKeyPair, domain: String? = nil)
        throws -> (ZMQSocket, String) {
        let router = try context.socket(.router)
        try router.set(.curveServer(true), .curveSecretKey(keys.secretKey))
        if let domain { try router.set(.zapDomain(domain)) }
        try router.bind("tcp://127.0.0.1:*")
        return (router, try XCTUnwrap(router.lastEndpoint))
    }

    private func curveClient(_ context: ZMQContext, serverKey: String, endpoint: String,
                             keys: CurveKeyPair? = nil) throws -> ZMQSocket {
        let keys = try keys ?? CurveKeyPair.generate()
        let dealer = try context.socket(.dealer)
        try dealer.set(.curveServerKey(serverKey), .curvePublicKey(keys.publicKey),
                       .curveSecretKey(keys.secretKey))
        try dealer.connect(endpoint)
        return dealer
    }
}

/// ZAP requests seen by the handler thread.
private final class Seen: @unchecked Sendable {
    // @unchecked: `requests` is only touched under `lock`.
    private let lock = NSLock()
    private var requests: [ZAPRequest] = []
    func add(_ request: ZAPRequest) { lock.withLock { requests.append(request) } }
    var all: [ZAPRequest] { lock.withLock { requests } }
}
