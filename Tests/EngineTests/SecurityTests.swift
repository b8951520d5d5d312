// The security layer over real sockets: key files written by keygen load back; bad key files
// give one line naming the file; a ROUTER guarded by CurveGuard talks to an authorized
// DEALER and to nobody else (unknown key, no CURVE, wrong server key, or a guard stopped),
// and every refusal is counted and logged; the loopback rule.

import Engine
import Foundation
import Wire
import XCTest

final class SecurityTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(ZMQLibrary.hasCurve, "libzmq \(ZMQLibrary.versionString) was built without CURVE")
        directory = NSTemporaryDirectory() + "ttcg-security-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    // MARK: Key files

    func testKeygenFilesLoadBack() throws {
        let generated = try CurveKeyFiles.generate(into: directory, force: false)
        XCTAssertEqual(generated.files, [path("coordinator.key"), path("coordinator.pub"), path("worker.key"),
                                         path("worker.pub"), path("authorized/worker.pub")])
        XCTAssertEqual(try mode(path("coordinator.key")), 0o600)
        XCTAssertEqual(try mode(path("worker.key")), 0o600)
        XCTAssertEqual(try mode(path("coordinator.pub")), 0o644)
        XCTAssertEqual(try mode(directory), 0o700)

        let server = try CurveServerConfig.load(secretFile: path("coordinator.key"),
                                                authorizedKeysDirectory: path("authorized"))
        XCTAssertEqual(server.secretKey, generated.coordinator)
        XCTAssertEqual(server.authorizedKeys, [generated.worker.publicKey])
        XCTAssertEqual(server.keyFiles[generated.worker.publicKey], path("authorized/worker.pub"))
        let client = try CurveClientConfig.load(secretFile: path("worker.key"), serverKeyFile: path("coordinator.pub"))
        XCTAssertEqual(client.keys, generated.worker)
        XCTAssertEqual(client.serverPublicKey, generated.coordinator.publicKey)
        XCTAssertEqual(try CurveKeyFiles.readPublic(path("worker.pub")), generated.worker.publicKey)

        // The format: comments, then labelled Z85 keys; the .pub holds no secret.
        let secretText = try String(contentsOfFile: path("coordinator.key"), encoding: .utf8)
        XCTAssertTrue(secretText.hasPrefix("# ttcg CURVE secret key: coordinator\n"), secretText)
        XCTAssertTrue(secretText.contains("\nsecret-key: \(generated.coordinator.secretKey)\n"))
        XCTAssertTrue(secretText.contains("\npublic-key: \(generated.coordinator.publicKey)\n"))
        let publicText = try String(contentsOfFile: path("coordinator.pub"), encoding: .utf8)
        XCTAssertEqual(publicText, "# ttcg CURVE public key: coordinator\npublic-key: \(generated.coordinator.publicKey)\n")

        // A bare key line is accepted too (a key pasted from another tool).
        try "\(generated.worker.publicKey)\n".write(toFile: path("authorized/bare.pub"), atomically: true, encoding: .utf8)
        let other = try CurveKeyPair.generate()
        try "# node 7\n\n  public-key:   \(other.publicKey)  \n".write(toFile: path("authorized/node7.pub"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveKeyFiles.readAuthorizedKeys(directory: path("authorized"))) { error in
            XCTAssertEqual("\(error)", "\(path("authorized/worker.pub")): the same key as \(path("authorized/bare.pub")); remove one of them")
        }
        try FileManager.default.removeItem(atPath: path("authorized/bare.pub"))
        try "not a key, and not a .pub file".write(toFile: path("authorized/README"), atomically: true, encoding: .utf8)
        XCTAssertEqual(Set(try CurveKeyFiles.readAuthorizedKeys(directory: path("authorized")).keys),
                       [generated.worker.publicKey, other.publicKey])
    }

    func testKeygenRefusesToOverwriteUnlessForced() throws {
        let first = try CurveKeyFiles.generate(into: directory, force: false)
        XCTAssertThrowsError(try CurveKeyFiles.generate(into: directory, force: false)) { error in
            XCTAssertEqual("\(error)", "\(path("coordinator.key")): exists; refusing to overwrite keys (use --force to replace them all)")
            XCTAssertEqual((error as? KeyFileError)?.exitCode, 2)
        }
        // One existing file is enough, and nothing is written then.
        for name in ["coordinator.key", "coordinator.pub", "worker.key", "worker.pub"] {
            try FileManager.default.removeItem(atPath: path(name))
        }
        XCTAssertThrowsError(try CurveKeyFiles.generate(into: directory, force: false)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path("authorized/worker.pub")): exists"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("coordinator.key")))
        let second = try CurveKeyFiles.generate(into: directory, force: true)
        XCTAssertNotEqual(second.coordinator, first.coordinator)
        XCTAssertEqual(try CurveKeyFiles.readSecret(path("coordinator.key")), second.coordinator)
        XCTAssertEqual(try mode(path("coordinator.key")), 0o600)
        // --out naming a file.
        try "x".write(toFile: path("file"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveKeyFiles.generate(into: path("file"), force: false)) { error in
            XCTAssertEqual("\(error)", "\(path("file")): exists and is not a directory")
        }
    }

    func testBadKeyFilesGiveOneLineNamingTheFile() throws {
        let generated = try CurveKeyFiles.generate(into: directory, force: false)
        let pair = generated.worker, stranger = try CurveKeyPair.generate()
        func secretFile(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
            let p = path(name)
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
            return p
        }
        let short = String(pair.secretKey.dropLast())
        let badChar = "~" + pair.secretKey.dropFirst()
        let overflow = "#####" + pair.secretKey.dropFirst(5)   // 84 x 85^4 + ... > 2^32
        let cases: [(String, String, Int, String)] = [
            ("missing.key", "", -1, "no such key file"),
            ("empty.key", "", 0o600, "no key in the file; expected a line `secret-key: KEY`"),
            ("comments.key", "# nothing here\n\n", 0o600, "no key in the file; expected a line `secret-key: KEY`"),
            ("short.key", "secret-key: \(short)\n", 0o600, "line 1: not a CURVE key: a CURVE key is 40 characters of Z85, got 39"),
            ("char.key", "# c\nsecret-key: \(badChar)\n", 0o600, "line 2: not a CURVE key: '~' at position 1 is not a Z85 character"),
            ("overflow.key", "secret-key: \(overflow)\n", 0o600, "line 1: not a CURVE key: characters 1-5 do not decode (a Z85 group above 2^32)"),
            ("mismatch.key", "public-key: \(stranger.publicKey)\nsecret-key: \(pair.secretKey)\n", 0o600,
             "line 1: the public key is not the public half of the secret key in line 2; the file was edited or mixed up, regenerate it with ttcg keygen"),
            ("twice.key", "secret-key: \(pair.secretKey)\nsecret-key: \(pair.secretKey)\n", 0o600,
             "line 2: a second secret-key (the first is in line 1); a key file holds one key of each kind"),
            ("label.key", "private-key: \(pair.secretKey)\n", 0o600, "line 1: unknown label 'private-key'; expected public-key or secret-key"),
            ("junk.key", "secret key \(pair.secretKey)\n", 0o600,
             "line 1: expected `public-key: KEY`, `secret-key: KEY` or a 40-character Z85 key"),
            ("public-only.key", "public-key: \(pair.publicKey)\n", 0o600,
             "holds a public key only; give the secret key file (written by ttcg keygen as *.key)"),
            ("open.key", "secret-key: \(pair.secretKey)\n", 0o644, "permissions 0644 are too open for a secret key; run chmod 600 \(path("open.key"))"),
        ]
        for (name, text, fileMode, expected) in cases {
            let p = fileMode < 0 ? path(name) : try secretFile(name, text, mode: fileMode)
            XCTAssertThrowsError(try CurveKeyFiles.readSecret(p), name) { error in
                XCTAssertEqual("\(error)", "\(p): \(expected)")
                XCTAssertFalse("\(error)".contains("\n"))
                XCTAssertFalse("\(error)".contains(pair.secretKey), "an error line must not print a secret key")
            }
        }
        XCTAssertThrowsError(try CurveKeyFiles.readSecret(directory)) { XCTAssertEqual("\($0)", "\(directory): a directory, not a key file") }

        // Public key files and the authorized directory.
        let leaked = try secretFile("authorized/leaked.pub", "public-key: \(pair.publicKey)\nsecret-key: \(pair.secretKey)\n", mode: 0o644)
        XCTAssertThrowsError(try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("authorized"))) {
            XCTAssertEqual("\($0)", "\(leaked): holds a secret key; a public key file must not (share only *.pub files, keep *.key private)")
        }
        try FileManager.default.removeItem(atPath: leaked)
        XCTAssertThrowsError(try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("nowhere"))) {
            XCTAssertEqual("\($0)", "\(path("nowhere")): no such directory of authorized client keys")
        }
        XCTAssertThrowsError(try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("worker.pub"))) {
            XCTAssertEqual("\($0)", "\(path("worker.pub")): not a directory; --authorized-keys takes a directory of *.pub files")
        }
        try FileManager.default.createDirectory(atPath: path("none"), withIntermediateDirectories: false)
        XCTAssertThrowsError(try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("none"))) {
            XCTAssertEqual("\($0)", "\(path("none")): no *.pub key files: no worker could connect (ttcg keygen writes one to DIR/authorized)")
        }
        XCTAssertThrowsError(try CurveClientConfig.load(secretFile: path("worker.key"), serverKeyFile: path("worker.pub"))) {
            XCTAssertEqual("\($0)", "\(path("worker.pub")): is this client's own public key, not the coordinator's (give coordinator.pub)")
        }
        XCTAssertThrowsError(try CurveClientConfig.load(secretFile: path("worker.key"), serverKeyFile: path("worker.key"))) {
            XCTAssertTrue("\($0)".hasPrefix("\(path("worker.key")): holds a secret key"), "\($0)")
        }
        // Z85 itself.
        XCTAssertTrue(Z85Key.isValid(pair.publicKey))
        XCTAssertFalse(Z85Key.isValid(pair.publicKey + "0"))
        XCTAssertFalse(Z85Key.isValid(String(repeating: "é", count: 40)))
        guard case .success(let bytes) = Z85Key.decode("HelloWorld" + String(repeating: "0", count: 30)) else { return XCTFail() }
        XCTAssertEqual(Array(bytes.prefix(8)), [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])   // RFC 32's example
    }

    // MARK: The guard over real sockets

    /// A coordinator-like ROUTER guarded by `CurveGuard`: returns it and its endpoint.
    func guardedRouter(_ context: ZMQContext, _ guardian: CurveGuard) throws -> (ZMQSocket, String) {
        let router = try context.socket(.router)
        try guardian.configureServer(router)
        try router.bind("tcp://127.0.0.1:*")
        return (router, try XCTUnwrap(router.lastEndpoint))
    }

    func client(_ context: ZMQContext, _ config: CurveClientConfig?, _ endpoint: String) throws -> ZMQSocket {
        let dealer = try context.socket(.dealer)
        if let config { try config.configureClient(dealer) }
        try dealer.connect(endpoint)
        return dealer
    }

    /// Everything the router receives within `seconds`, admitted or not.
    func drain(_ router: ZMQSocket, seconds: Double) throws -> [RoutedMessage] {
        var out: [RoutedMessage] = []
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if let m = try router.receiveRouted(timeout: .milliseconds(50)) { out.append(m) }
        }
        return out
    }

    func testAuthorizedWorkerTalksOthersGetNothingAndRefusalsAreCountedAndLogged() throws {
        let generated = try CurveKeyFiles.generate(into: directory, force: false)
        let server = try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("authorized"))
        let log = LogLines()
        let coordinatorContext = try ZMQContext()
        let guardian = try CurveGuard(context: coordinatorContext, config: server) { log.add($0) }
        defer { guardian.stop() }
        let (router, endpoint) = try guardedRouter(coordinatorContext, guardian)
        let (status, statusEndpoint) = try guardedRouter(coordinatorContext, guardian)
        defer { router.close(); status.close() }

        // Workers live in their own contexts, as in their own processes.
        let workerContext = try ZMQContext()
        let workerConfig = try CurveClientConfig.load(secretFile: path("worker.key"), serverKeyFile: path("coordinator.pub"))
        let worker = try client(workerContext, workerConfig, endpoint)
        try worker.send(Codec.encode(.hello(Hello(host: "w", pid: 1, threads: 1))))
        let hello = try XCTUnwrap(try router.receiveRouted(timeout: .seconds(10)))
        XCTAssertEqual(hello.userID, generated.worker.publicKey)
        XCTAssertTrue(CurveGuard.isAuthenticated(hello))
        XCTAssertTrue(guardian.admits(hello))
        XCTAssertEqual(try Codec.decode(hello.frames), .hello(Hello(host: "w", pid: 1, threads: 1)))
        try router.send(to: hello.peer, Codec.encode(.heartbeat))
        XCTAssertEqual(try worker.receive(timeout: .seconds(10)).map { try Codec.decode($0) }, .heartbeat)

        // The status socket takes the same keys.
        let statusClient = try client(workerContext, workerConfig, statusEndpoint)
        try statusClient.send(Codec.encode(.statusRequest))
        let request = try XCTUnwrap(try status.receiveRouted(timeout: .seconds(10)))
        XCTAssertTrue(guardian.admits(request))

        // A valid CURVE client whose key is not authorized, one without CURVE, and one that
        // has the wrong server key: none gets a message through.
        let strangerKeys = try CurveKeyPair.generate()
        let stranger = try client(workerContext, CurveClientConfig(keys: strangerKeys, serverPublicKey: server.secretKey.publicKey), endpoint)
        let plain = try client(workerContext, nil, endpoint)
        let confused = try client(workerContext, CurveClientConfig(keys: generated.worker, serverPublicKey: try CurveKeyPair.generate().publicKey), endpoint)
        let statusStranger = try client(workerContext, CurveClientConfig(keys: strangerKeys, serverPublicKey: server.secretKey.publicKey), statusEndpoint)
        for socket in [stranger, plain, confused] {
            try socket.send(Codec.encode(.hello(Hello(host: "intruder", pid: 2, threads: 1))))
        }
        try statusStranger.send(Codec.encode(.statusRequest))
        XCTAssertEqual(try drain(router, seconds: 1).count, 0, "an intruder got a message through")
        XCTAssertEqual(try drain(status, seconds: 0.2).count, 0, "an intruder reached the status socket")
        for socket in [stranger, plain, confused, statusStranger] {
            XCTAssertNil(try socket.receive(timeout: .zero))
        }

        // The authorized worker still talks.
        try worker.send(Codec.encode(.heartbeat))
        XCTAssertTrue(guardian.admits(try XCTUnwrap(try router.receiveRouted(timeout: .seconds(10)))))

        // The unknown key was refused (on both sockets), counted and logged with its key;
        // the plaintext and wrong-server-key clients fail the handshake before ZAP.
        let lines = log.all
        print("curve guard: \(guardian.refusedCount) handshakes refused, \(guardian.acceptedCount) accepted, \(lines.count) log lines: \(lines.first ?? "")")
        XCTAssertGreaterThanOrEqual(guardian.refusedCount, 2)
        XCTAssertGreaterThanOrEqual(guardian.acceptedCount, 2)
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("refused a connection from 127.0.0.1: CURVE key \(strangerKeys.publicKey) is not among the authorized keys") }, "\(lines)")
        XCTAssertLessThanOrEqual(lines.count, CurveGuard.logBurst, "the refusal log is rate-limited")
        XCTAssertFalse(lines.joined().contains(server.secretKey.secretKey))
        for socket in [worker, statusClient, stranger, plain, confused, statusStranger] { socket.close() }
    }

    /// libzmq fails open once no ZAP handler is bound: a client with the server key then gets
    /// in without a user id, and `isAuthenticated`/`admits` are what still keep it out.
    func testAfterTheGuardStopsMessagesCarryNoUserIDAndAreNotAdmitted() throws {
        try CurveKeyFiles.generate(into: directory, force: false)
        let server = try CurveServerConfig.load(secretFile: path("coordinator.key"), authorizedKeysDirectory: path("authorized"))
        let context = try ZMQContext()
        let guardian = try CurveGuard(context: context, config: server)
        let (router, endpoint) = try guardedRouter(context, guardian)
        guardian.stop()
        XCTAssertThrowsError(try guardian.configureServer(try context.socket(.router)), "a stopped guard must not configure sockets")
        let strangerContext = try ZMQContext()
        let stranger = try client(strangerContext, CurveClientConfig(keys: try CurveKeyPair.generate(), serverPublicKey: server.secretKey.publicKey), endpoint)
        try stranger.send([[1]])
        let m = try XCTUnwrap(try router.receiveRouted(timeout: .seconds(10)), "libzmq no longer fails open? then this caveat can go")
        XCTAssertNil(m.userID)
        XCTAssertFalse(CurveGuard.isAuthenticated(m))
        XCTAssertFalse(guardian.admits(m))
        XCTAssertFalse(CurveGuard.isAuthenticated(RoutedMessage(peer: [1], frames: [[2]])))
        XCTAssertFalse(guardian.admits(RoutedMessage(peer: [1], frames: [[2]], userID: "someone else's key, not authorized")))
        router.close()
        stranger.close()
    }

    func testGuardNeedsKeysAndOnePerContext() throws {
        let keys = try CurveKeyPair.generate()
        let context = try ZMQContext()
        XCTAssertThrowsError(try CurveGuard(context: context, config: CurveServerConfig(secretKey: keys, authorizedKeys: []))) {
            XCTAssertEqual(($0 as? EngineError)?.exitCode, 2)
        }
        let config = CurveServerConfig(secretKey: keys, authorizedKeys: [try CurveKeyPair.generate().publicKey])
        let first = try CurveGuard(context: context, config: config)
        XCTAssertThrowsError(try CurveGuard(context: context, config: config), "a second ZAP handler in one context")
        first.stop()
    }

    // MARK: The loopback rule

    func testLoopbackEndpoints() {
        let local = ["tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://127.1.2.3:80", "tcp://localhost:5555",
                     "tcp://LOCALHOST:1", "tcp://[::1]:5555", "tcp://[::1]:*", "tcp://[0:0:0:0:0:0:0:1]:9",
                     "tcp://[::ffff:127.0.0.1]:5555", "ipc:///tmp/ttcg.sock", "ipc://@abstract", "inproc://coordinator"]
        let open = ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://[::]:5555", "tcp://[*]:1", "tcp://192.168.1.10:5555",
                    "tcp://10.0.0.1:5555", "tcp://eth0:5555", "tcp://node7:5555", "tcp://127.0.0.1.evil.com:5555",
                    "tcp://127.evil.com:5555", "tcp://127.0.0.256:5555", "tcp://127.0.0:5555", "tcp://[::ffff:10.0.0.1]:1",
                    "tcp://127.0.0.1;10.0.0.1:5555", "tcp://localhost.example.org:5555", "udp://127.0.0.1:5555",
                    "pgm://eth0;239.192.1.1:5555", "ws://127.0.0.1:80", "tcp://", "ipc://", "127.0.0.1:5555", ""]
        for e in local { XCTAssertTrue(isLoopbackEndpoint(e), e) }
        for e in open { XCTAssertFalse(isLoopbackEndpoint(e), e) }
    }
}

/// Log lines from the ZAP handler's thread.
final class LogLines: @unchecked Sendable {
    // @unchecked: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
