// Real hosts (issue 13): the coordinator and three workers each in a network namespace of
// their own, joined by veth pairs on a bridge, CURVE on. One worker reaches the coordinator
// through a relay that delays every byte by 50 ms each way (this kernel has no netem). The
// test cuts one worker's link for longer than the timeout and brings it back, then cuts
// the coordinator's link for two seconds; the file must equal a one-host run's, bit for bit.
// Needs root (`ip netns`), as CI runs; without root it fails, saying so.

import Foundation
import XCTest

/// Network namespaces on a bridge, removed again on deinit.
final class NetworkLab {
    let tag: String
    let subnet: String
    let bridge: String
    private(set) var hosts: [String] = []

    init() throws {
        tag = String(UInt32.random(in: 0...0xFFFF), radix: 16)
        subnet = "10.77.\(Int.random(in: 1...250))"
        bridge = "ttb\(tag)"
        try sh("ip link add \(bridge) type bridge && ip addr add \(subnet).254/24 dev \(bridge) && ip link set \(bridge) up")
    }

    /// The namespace of host `name`, and its address (`SUBNET.number`).
    func namespace(_ name: String) -> String { "ttcg\(tag)\(name)" }
    func address(_ number: Int) -> String { "\(subnet).\(number)" }
    /// The bridge side of host `name`'s link: down cuts the host off.
    func link(_ name: String) -> String { "tv\(tag)\(name)" }

    func addHost(_ name: String, number: Int) throws {
        let ns = namespace(name)
        try sh("""
            ip netns add \(ns) && \
            ip link add \(link(name)) type veth peer name eth0 netns \(ns) && \
            ip link set \(link(name)) master \(bridge) up && \
            ip -n \(ns) addr add \(address(number))/24 dev eth0 && \
            ip -n \(ns) link set eth0 up && ip -n \(ns) link set lo up
            """)
        hosts.append(name)
    }

    func cut(_ name: String) throws { try sh("ip link set \(link(name)) down") }
    func restore(_ name: String) throws { try sh("ip link set \(link(name)) up") }

    deinit {
        for h in hosts { _ = try? sh("ip link del \(link(h)); ip netns del \(namespace(h))") }
        _ = try? sh("ip link del \(bridge)")
    }
}

/// Runs a shell command; throws with its output when it fails.
@discardableResult
func sh(_ command: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard p.terminationStatus == 0 else { throw ShellError(description: "`\(command)` failed (\(p.terminationStatus)): \(text)") }
    return text
}

struct ShellError: Error, CustomStringConvertible { var description: String }

final class MultiHostTests: XCTestCase {
    let spec = "Tests/TTCGCommandsTests/Fixtures/multihost.yaml"

    /// Polls `ttcg status` (from the root namespace, over the bridge) until `holds` or the
    /// coordinator exits; the last status.
    func waitForStatus(_ endpoint: String, keys: String, coordinator: Background, seconds: Double = 300,
                       _ holds: ([String: Any]) -> Bool) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(seconds)
        while coordinator.process.isRunning && Date() < deadline {
            let r = try ttcg(["status", "--connect", endpoint, "--json", "--timeout", "1",
                              "--curve-secret", "\(keys)/worker.key", "--server-key", "\(keys)/coordinator.pub"])
            if r.status == 0, let s = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], holds(s) {
                return s
            }
            usleep(100_000)
        }
        return nil
    }

    func testWorkersOnOtherHostsSurviveCutLinksAndALatentLink() throws {
        guard getuid() == 0 else {
            XCTFail("the multi-host test needs root for ip netns (CI runs as root)")
            return
        }
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys").path
        XCTAssertEqual(try ttcg(["keygen", "--out", keys]).status, 0)
        let reference = dir.appendingPathComponent("one-host.h5").path
        let one = try ttcg(["run", spec, "--out", reference])
        XCTAssertEqual(one.status, 0, one.stderr)

        let lab = try NetworkLab()
        try lab.addHost("c", number: 1)
        for (k, w) in ["w1", "w2", "w3"].enumerated() { try lab.addHost(w, number: 11 + k) }
        let coordinatorAddress = lab.address(1)
        let out = dir.appendingPathComponent("multihost.h5").path
        let coordinator = try Background(["coordinator", spec, "--out", out,
                                          "--bind", "tcp://\(coordinatorAddress):5555", "--status-bind", "tcp://\(coordinatorAddress):5556",
                                          "--heartbeat-ms", "200", "--timeout-ms", "1500", "--linger", "10",
                                          "--curve-secret", "\(keys)/coordinator.key", "--authorized-keys", "\(keys)/authorized"],
                                         netns: lab.namespace("c"))
        let status = "tcp://\(coordinatorAddress):5556"
        XCTAssertNotNil(try waitForStatus(status, keys: keys, coordinator: coordinator) { _ in true },
                        "the coordinator in its namespace never answered status: \(coordinator.stderr)")

        // w3's link is slow: a relay on its host delays every byte 50 ms each way.
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        relay.arguments = ["netns", "exec", lab.namespace("w3"), "python3",
                           packageRoot.appendingPathComponent("Tests/TTCGCommandsTests/Fixtures/delay_relay.py").path,
                           "127.0.0.1", "6000", coordinatorAddress, "5555", "50"]
        let relayOut = Pipe()
        relay.standardOutput = relayOut
        try relay.run()
        defer { if relay.isRunning { relay.terminate() } }
        XCTAssertEqual(String(decoding: relayOut.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "ready")

        let curve = ["--curve-secret", "\(keys)/worker.key", "--server-key", "\(keys)/coordinator.pub", "--threads", "1", "--connect-timeout", "120"]
        let w1 = try Background(["worker", "--connect", "tcp://\(coordinatorAddress):5555"] + curve, netns: lab.namespace("w1"))
        let w2 = try Background(["worker", "--connect", "tcp://\(coordinatorAddress):5555"] + curve, netns: lab.namespace("w2"))
        let w3 = try Background(["worker", "--connect", "tcp://127.0.0.1:6000"] + curve, netns: lab.namespace("w3"))

        // 1. w1's link goes down once a tenth is done, for longer than the timeout: the
        //    coordinator loses it (its items go to the others); then the link comes back.
        func done(_ s: [String: Any]) -> Double { Double(s["points_done"] as? Int ?? 0) / Double(max(1, s["points_total"] as? Int ?? 1)) }
        XCTAssertNotNil(try waitForStatus(status, keys: keys, coordinator: coordinator) { ($0["workers"] as? [Any])?.count == 3 && done($0) >= 0.1 },
                        "three workers never played a tenth: \(coordinator.stderr)")
        try lab.cut("w1")
        let lostDeadline = Date().addingTimeInterval(60)
        while !coordinator.stderr.contains("lost (went silent") && coordinator.process.isRunning && Date() < lostDeadline { usleep(100_000) }
        XCTAssertTrue(coordinator.stderr.contains("lost (went silent"), "the coordinator never noticed the cut link: \(coordinator.stderr)")
        usleep(500_000)
        try lab.restore("w1")

        // 2. Once half is done, the coordinator's own link goes down for two seconds.
        _ = try waitForStatus(status, keys: keys, coordinator: coordinator) { done($0) >= 0.5 }
        if coordinator.process.isRunning {
            try lab.cut("c")
            usleep(2_000_000)
            try lab.restore("c")
        }

        XCTAssertEqual(coordinator.wait(seconds: 600), 0, coordinator.stderr)
        for (name, w) in [("w1", w1), ("w2", w2), ("w3", w3)] { XCTAssertEqual(w.wait(seconds: 120), 0, "\(name): \(w.stderr)") }
        // w1 saw the coordinator fall silent and reconnected; w3 played items over its slow link.
        XCTAssertTrue(w1.stderr.contains("reconnecting to"), w1.stderr)
        let played = w3.stderr.firstMatch(of: /the sweep is done: (\d+) items played/).flatMap { Int($0.1) } ?? 0
        XCTAssertGreaterThan(played, 0, w3.stderr)
        try assertSameResults(reference, out)
        print("multi-host: coordinator log:\n\(coordinator.stderr)")
    }
}
