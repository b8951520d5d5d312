// A sweep far larger than the coordinator's staging memory (issue 12): a million games of a
// cheap market, 200 MB of results. The coordinator killed mid-way and resumed from its
// journal gives the file of one worker in one process, bit for bit, and neither
// coordinator's own peak memory comes near the size of the results.

import Foundation
import ResultStore
import XCTest

final class LargeGridTests: XCTestCase {
    static let spec = """
        name: large-grid
        markets: [{market: gsm8k/chain-of-thought, models: [R1-D-Qwen-7B]}]
        axes: {beta: {logspace: [0, 6, 1000]}, seed: {range: [0, 1000]}}
        outputs: {chunk: 4096, all_equilibria: false}
        """

    func testMillionGamesKilledAndResumedEqualOneWorker() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("large.yaml").path
        try Self.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        let reference = dir.appendingPathComponent("reference.h5").path
        let one = try ttcg(["run", spec, "--workers", "1", "--threads", "1", "--out", reference])
        XCTAssertEqual(one.status, 0, one.stderr)

        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("resumed.h5").path
        func coordinator(_ resume: Bool, stats: String) throws -> Background {
            try Background(["coordinator", spec, "--out", out, "--bind", "tcp://127.0.0.1:\(port)",
                            "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--linger", "1", "--stats", stats]
                           + (resume ? ["--resume"] : []))
        }
        let workers = try (0..<2).map { _ in
            try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1", "--connect-timeout", "60"])
        }
        let first = try coordinator(false, stats: dir.appendingPathComponent("first.json").path)
        // Killed once a third of the games are journaled (the deadline only guards a hang).
        let deadline = Date().addingTimeInterval(300)
        var done = 0
        while done < 333_000 && first.process.isRunning && Date() < deadline {
            let s = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "1"])
            if s.status == 0, let d = try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any] {
                done = d["points_done"] as? Int ?? 0
            }
            usleep(100_000)
        }
        XCTAssertTrue(first.process.isRunning, "the sweep ended before the kill: \(first.stderr)")
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let secondStats = dir.appendingPathComponent("second.json").path
        let second = try coordinator(true, stats: secondStats)
        XCTAssertEqual(second.wait(seconds: 300), 0, second.stderr)
        for w in workers { XCTAssertEqual(w.wait(seconds: 60), 0, w.stderr) }
        try assertSameResults(reference, out)

        // The results are 206 bytes a game (about 200 MB); the coordinator that rebuilt them
        // from the journal and finished the sweep stays far below (about 65 MB measured). A
        // coordinator that held the grid in memory would not (about 150 bytes a game).
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: out)[.size] as? Int)
        XCTAssertGreaterThan(size, 150_000_000)
        let cost = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: secondStats))) as? [String: Any])
        let peak = try XCTUnwrap((cost["peak_rss_bytes"] as? NSNumber)?.intValue)
        print("large grid: \(size / 1_000_000) MB of results, the resumed coordinator's peak \(peak / 1_000_000) MB")
        XCTAssertLessThan(peak, 120_000_000, "the resumed coordinator's own peak memory")
    }
}
