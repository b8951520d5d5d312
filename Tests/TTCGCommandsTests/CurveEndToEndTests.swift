// CURVE between real processes: a worker with an unknown key and one with no key get
// nothing (and time out saying so), a worker with an authorized key completes the sweep,
// status needs a key too, and plaintext on a non-loopback address is refused.

import Foundation
import XCTest

final class CurveEndToEndTests: XCTestCase {
    let spec = "Tests/TTCGCommandsTests/Fixtures/e2e.yaml"

    func testOnlyAuthorizedKeysGetIn() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys").path, strangers = dir.appendingPathComponent("strangers").path
        XCTAssertEqual(try ttcg(["keygen", "--out", keys]).status, 0)
        XCTAssertEqual(try ttcg(["keygen", "--out", strangers]).status, 0)
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("c.h5").path
        let coordinator = try Background(["coordinator", spec, "--out", out, "--bind", "tcp://127.0.0.1:\(port)",
                                          "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--linger", "0.5",
                                          "--curve-secret", "\(keys)/coordinator.key", "--authorized-keys", "\(keys)/authorized"])
        let endpoint = "tcp://127.0.0.1:\(port)"
        // The coordinator is up once status answers an authorized key (so the strangers below
        // meet a running coordinator however slowly this machine starts processes).
        let deadline = Date().addingTimeInterval(60)
        var up = false
        while !up && coordinator.process.isRunning && Date() < deadline {
            up = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "1",
                           "--curve-secret", "\(keys)/worker.key", "--server-key", "\(keys)/coordinator.pub"]).status == 0
        }
        XCTAssertTrue(up, "the coordinator never answered status: \(coordinator.stderr)")
        // No key at all, and a valid key the coordinator does not know: nothing gets through.
        let plain = try Background(["worker", "--connect", endpoint, "--connect-timeout", "5"])
        let stranger = try Background(["worker", "--connect", endpoint, "--connect-timeout", "5",
                                       "--curve-secret", "\(strangers)/worker.key", "--server-key", "\(keys)/coordinator.pub"])
        XCTAssertEqual(plain.wait(), 1, plain.stderr)
        XCTAssertTrue(plain.stderr.contains("no coordinator answered"), plain.stderr)
        XCTAssertEqual(stranger.wait(), 1, stranger.stderr)
        XCTAssertTrue(stranger.stderr.contains("authorized-keys"), stranger.stderr)
        // Status with the stranger's key: no answer; with an authorized key: the sweep, untouched.
        let nosy = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "1",
                             "--curve-secret", "\(strangers)/worker.key", "--server-key", "\(keys)/coordinator.pub"])
        XCTAssertEqual(nosy.status, 1, nosy.stderr)
        let status = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "5",
                               "--curve-secret", "\(keys)/worker.key", "--server-key", "\(keys)/coordinator.pub"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(d["points_done"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(d["refused_peers"] as? Int ?? 0, 1, "the stranger's handshake is refused and counted")
        // The plaintext worker never reaches ZAP: its handshake fails on the mechanism, and is counted.
        XCTAssertGreaterThanOrEqual(d["failed_handshakes"] as? Int ?? 0, 1, "the plaintext worker's handshake is counted")
        // The authorized worker completes the sweep; the refusal was logged.
        let good = try Background(["worker", "--connect", endpoint, "--threads", "2",
                                   "--curve-secret", "\(keys)/worker.key", "--server-key", "\(keys)/coordinator.pub"])
        XCTAssertEqual(good.wait(), 0, good.stderr)
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        XCTAssertTrue(coordinator.stderr.lowercased().contains("refused"), coordinator.stderr)
        let reference = dir.appendingPathComponent("ref.h5").path
        XCTAssertEqual(try ttcg(["run", spec, "--out", reference]).status, 0)
        try assertSameResults(reference, out)
    }

    func testPlaintextOnANetworkAddressIsRefused() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.h5").path
        let r = try ttcg(["coordinator", spec, "--out", out, "--bind", "tcp://0.0.0.0:\(freePort())"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderrLines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("--insecure"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".journal"))
        // Keys half given.
        let half = try ttcg(["worker", "--connect", "tcp://127.0.0.1:1", "--curve-secret", "x.key"])
        XCTAssertEqual(half.status, 2, half.stderr)
        XCTAssertTrue(half.stderr.contains("expected both or neither"), half.stderr)
    }
}
