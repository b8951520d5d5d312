// Fault injection with real processes (issue 5): workers killed again and again, the
// coordinator killed twice and resumed, a worker frozen past its timeout, a full disk,
// live reads of a running sweep. Every case ends with the numbers of a clean run.

import Foundation
import ResultStore
import Sweep
import XCTest

final class FaultTests: XCTestCase {
    let slow = "Tests/TTCGCommandsTests/Fixtures/slow.yaml"
    nonisolated(unsafe) static var referencePath: String?
    static let referenceDir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-fault-ref-\(getpid())")

    /// The clean run every case is compared with (made once).
    func reference() throws -> String {
        if let p = Self.referencePath { return p }
        try FileManager.default.createDirectory(at: Self.referenceDir, withIntermediateDirectories: true)
        let path = Self.referenceDir.appendingPathComponent("clean.h5").path
        let run = try ttcg(["run", slow, "--out", path, "--force"])
        XCTAssertEqual(run.status, 0, run.stderr)
        Self.referencePath = path
        return path
    }

    func status(_ port: Int) throws -> [String: Any]? {
        let s = try ttcg(["status", "--connect", "tcp://127.0.0.1:\(port)", "--json", "--timeout", "1"])
        guard s.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [String: Any]
    }

    func coordinator(_ out: String, port: Int, statusPort: Int, resume: Bool = false, extra: [String] = []) throws -> Background {
        try Background(["coordinator", slow, "--out", out, "--bind", "tcp://127.0.0.1:\(port)",
                        "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--heartbeat-ms", "100", "--timeout-ms", "800",
                        "--attempts", "1000", "--linger", "3", "--snapshot-seconds", "0.5"] + (resume ? ["--resume"] : []) + extra)
    }

    func worker(_ port: Int) throws -> Background {
        try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1", "--connect-timeout", "60"])
    }

    /// Waits until the coordinator reports `points` done (or, with `orEndOf`, has exited).
    /// The deadline only guards against a hang.
    func waitForProgress(_ statusPort: Int, atLeast points: Int, orEndOf c: Background? = nil, seconds: Double = 120) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let c, !c.process.isRunning { return }
            if let d = try status(statusPort), (d["points_done"] as? Int ?? 0) >= points { return }
            usleep(50_000)
        }
        XCTFail("no progress to \(points) points within \(seconds) s")
    }

    /// Waits until `condition` holds for a status reply; the deadline only guards against a hang.
    func waitForStatus(_ statusPort: Int, of c: Background, seconds: Double = 120, _ what: String,
                       _ condition: ([String: Any]) -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let d = try status(statusPort), condition(d) { return }
            guard c.process.isRunning else {
                XCTFail("the coordinator exited before it reported \(what): \(c.stderr)")
                return
            }
            usleep(50_000)
        }
        XCTFail("the coordinator never reported \(what) within \(seconds) s")
    }

    /// Workers killed with SIGKILL again and again, each replaced by a new one.
    ///
    /// The kills are paced by the sweep's progress, not by the clock: one kill each time
    /// another tenth of the points is done (after a random 0 to 0.2 s, so a kill lands
    /// anywhere in an item), up to seven tenths. So the number of kills is the same on a fast
    /// and on a loaded machine, and the sweep always gets the chance to finish: a clock-paced
    /// killer outpaces workers that take longer than its period to start on a busy machine.
    func testWorkersKilledAgainAndAgain() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("killed.h5").path
        let c = try coordinator(out, port: port, statusPort: statusPort)
        var workers = try [worker(port), worker(port)]
        let total = 2400, planned = 7
        var kills = 0
        var rng = SystemRandomNumberGenerator()
        var last: [String: Any] = [:]
        while c.process.isRunning && kills < planned {
            try waitForProgress(statusPort, atLeast: total * (kills + 1) / 10, orEndOf: c, seconds: 120)
            guard c.process.isRunning else { break }
            usleep(UInt32.random(in: 0...200_000, using: &rng))
            let i = Int.random(in: 0..<workers.count, using: &rng)
            kill(workers[i].process.processIdentifier, SIGKILL)
            workers[i].process.waitUntilExit()
            workers[i] = try worker(port)
            kills += 1
        }
        let deadline = Date().addingTimeInterval(120)
        while c.process.isRunning && Date() < deadline {
            if let d = try status(statusPort) { last = d }
            usleep(100_000)
        }
        XCTAssertEqual(c.wait(), 0, c.stderr)
        // A worker started just before the end may be waiting for a coordinator: stop it.
        for w in workers where w.process.isRunning {
            usleep(300_000)
            if w.process.isRunning { kill(w.process.processIdentifier, SIGKILL) }
        }
        // The last kill is at seven tenths of the points: the sweep cannot end before it
        // unless the remaining three tenths are played between one status reply and a kill.
        XCTAssertEqual(kills, planned, "the sweep ended before the faults")
        print("fault figures: \(kills) workers killed, \(last["items_redone"] ?? "?") items redone, \(last["elapsed_seconds"] ?? "?") s")
        try assertSameResults(reference, out)
    }

    /// Issue 14, case 1: a second writer of a running sweep's results (`--resume`, `--force`,
    /// or a plain start) is refused with exit 2 before it touches any file; the running sweep
    /// then completes as if nothing happened. And of two coordinators started at the same
    /// moment on one output, exactly one runs.
    func testASecondWriterIsRefusedAndTheRunningSweepKeepsItsFiles() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("r.h5").path
        let port = freePort(), statusPort = freePort()
        let first = try coordinator(out, port: port, statusPort: statusPort)
        // The first one is up (it answers status) and has made its files.
        let deadline = Date().addingTimeInterval(60)
        while first.process.isRunning && Date() < deadline
                && !(FileManager.default.fileExists(atPath: out) && (try? ttcg(["status", "--connect", "tcp://127.0.0.1:\(statusPort)", "--json", "--timeout", "1"]).status) == 0) {
            usleep(50_000)
        }
        let partialBefore = try Data(contentsOf: URL(fileURLWithPath: out + ".partial"))
        for extra in [["--resume"], ["--force"], []] {
            let second = try ttcg(["coordinator", slow, "--out", out, "--bind", "tcp://127.0.0.1:\(freePort())"] + extra)
            XCTAssertEqual(second.status, 2, "\(extra): \(second.stderr)")
            XCTAssertEqual(second.stderrLines.count, 1, second.stderr)
            XCTAssertTrue(second.stderr.contains("another ttcg process is writing it"), second.stderr)
            let run = try ttcg(["run", slow, "--out", out] + extra)
            XCTAssertEqual(run.status, 2, "run \(extra): \(run.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + ".partial")), partialBefore, "a refused writer touched the partial file")
        let w = try worker(port)
        XCTAssertEqual(first.wait(), 0, first.stderr)
        XCTAssertEqual(w.wait(), 0, w.stderr)
        try assertSameResults(reference, out)

        // Two coordinators at the same moment on one new output: one runs, one is refused.
        let both = dir.appendingPathComponent("both.h5").path
        let ports = [freePort(), freePort()]
        let pair = try ports.map { p in try Background(["coordinator", slow, "--out", both, "--bind", "tcp://127.0.0.1:\(p)", "--linger", "1"]) }
        let until = Date().addingTimeInterval(60)
        while pair.allSatisfy({ $0.process.isRunning }) && Date() < until { usleep(20_000) }
        let refused = try XCTUnwrap(pair.firstIndex { !$0.process.isRunning }, "neither coordinator was refused: \(pair.map(\.stderr))")
        XCTAssertEqual(pair[refused].wait(), 2, pair[refused].stderr)
        let winner = 1 - refused
        XCTAssertTrue(pair[winner].process.isRunning, "the other coordinator did not run either: \(pair[winner].stderr)")
        let w2 = try worker(ports[winner])
        XCTAssertEqual(pair[winner].wait(), 0, pair[winner].stderr)
        XCTAssertEqual(w2.wait(), 0, w2.stderr)
        try assertSameResults(reference, both)
    }

    func testCoordinatorKilledTwiceAndResumed() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("resumed.h5").path
        let workers = try [worker(port), worker(port)]
        var c = try coordinator(out, port: port, statusPort: statusPort)
        var seen = 0
        for round in 0..<2 {
            try waitForProgress(statusPort, atLeast: seen + 200)
            usleep(UInt32.random(in: 0...300_000))
            kill(c.process.processIdentifier, SIGKILL)
            c.process.waitUntilExit()
            // What a reader sees meanwhile: a consistent snapshot, marked not completed.
            let r = try ResultsReader(path: out)
            XCTAssertFalse(r.completed, "round \(round)")
            seen = r.pointsDone
            try r.close()
            c = try coordinator(out, port: port, statusPort: statusPort, resume: true)
        }
        XCTAssertEqual(c.wait(), 0, c.stderr)
        XCTAssertTrue(c.stderr.contains("journaled"), c.stderr)
        for w in workers { XCTAssertEqual(w.wait(), 0, w.stderr) }
        try assertSameResults(reference, out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".journal"), "the journal goes once the file is complete")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
    }

    func testFrozenWorkerIsNeverDoubleCounted() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("frozen.h5").path
        let c = try coordinator(out, port: port, statusPort: statusPort)
        let frozen = try worker(port), other = try worker(port)
        let frozenPid = Int(frozen.process.processIdentifier)
        func frozenRow(_ d: [String: Any]) -> [String: Any]? {
            (d["workers"] as? [[String: Any]])?.first { ($0["pid"] as? Int) == frozenPid }
        }
        // Freeze it while it holds leases, once results are coming in.
        try waitForStatus(statusPort, of: c, "the worker to freeze holding leases after 100 points") { d in
            (d["points_done"] as? Int ?? 0) >= 100 && (frozenRow(d)?["leased"] as? Int ?? 0) > 0
        }
        kill(frozen.process.processIdentifier, SIGSTOP)
        // Past its 0.8 s timeout the coordinator forgets it and its leases go back to the
        // queue. Wait for that (not a fixed time: on a busy machine it can take longer).
        try waitForStatus(statusPort, of: c, "the frozen worker as lost") { d in
            frozenRow(d) == nil && (d["items_redone"] as? Int ?? 0) > 0
        }
        kill(frozen.process.processIdentifier, SIGCONT)
        // The final counters: the coordinator answers status for --linger (3 s) after the end.
        var last: [String: Any] = [:]
        try waitForStatus(statusPort, of: c, "the end of the sweep") { d in
            last = d
            return d["finished"] as? Bool == true
        }
        XCTAssertEqual(c.wait(), 0, c.stderr)
        XCTAssertEqual(frozen.wait(), 0, frozen.stderr)
        XCTAssertEqual(other.wait(), 0, other.stderr)
        XCTAssertEqual(last["points_done"] as? Int, 2400)
        // The frozen worker's late results were for leases it had lost: dropped, counted.
        XCTAssertGreaterThanOrEqual((last["dropped_not_leased"] as? Int ?? 0) + (last["dropped_duplicate"] as? Int ?? 0) + (last["refused_peers"] as? Int ?? 0), 1, "\(last)")
        try assertSameResults(reference, out)
    }

    func testFullDiskFailsClearlyAndResumes() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("full.h5").path
        // A file-size limit of 300 KiB: the journal and the HDF5 file outgrow it midway.
        let binary = try ttcgBinary().path
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        let errFile = dir.appendingPathComponent("err").path
        FileManager.default.createFile(atPath: errFile, contents: nil)
        sh.arguments = ["-c", "ulimit -f 300; exec \"$0\" coordinator \(slow) --out \(out) --bind tcp://127.0.0.1:\(port) --status-bind tcp://127.0.0.1:\(statusPort) --heartbeat-ms 100 --timeout-ms 800 --snapshot-seconds 0.5 2>\(errFile)", binary]
        sh.currentDirectoryURL = packageRoot
        sh.standardOutput = FileHandle.nullDevice
        let workers = try [worker(port), worker(port)]
        try sh.run()
        sh.waitUntilExit()
        let stderr = try String(contentsOfFile: errFile, encoding: .utf8)
        XCTAssertEqual(sh.terminationStatus, 1, stderr)
        // One line says what failed; the others are progress and the event log (timestamped).
        let lines = stderr.split(separator: "\n").filter {
            !$0.hasPrefix("ttcg: ") && !$0.hasPrefix("ttcg coordinator: slow:") && $0.firstMatch(of: /^ttcg coordinator: \d{4}-\d\d-\d\dT/) == nil
        }
        XCTAssertEqual(lines.count, 1, stderr)
        XCTAssertTrue(stderr.contains("File too large") || stderr.contains("No space left"), stderr)
        XCTAssertTrue(stderr.contains("--resume"), stderr)
        // The journal reads back (a valid prefix); the space comes back; resume completes.
        let c = try coordinator(out, port: port, statusPort: statusPort, resume: true)
        XCTAssertEqual(c.wait(), 0, c.stderr)
        for w in workers { XCTAssertEqual(w.wait(), 0, w.stderr) }
        try assertSameResults(reference, out)
    }

    func testLiveReadsSeeCompletedPoints() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let out = dir.appendingPathComponent("live.h5").path
        let c = try coordinator(out, port: port, statusPort: statusPort)
        let w = try worker(port)
        try waitForProgress(statusPort, atLeast: 600)
        usleep(700_000)   // one more snapshot period
        let r = try ResultsReader(path: out)
        XCTAssertFalse(r.completed)
        XCTAssertGreaterThan(r.pointsDone, 0)
        let status = try r.bytes("status", market: 0)
        XCTAssertEqual(status.filter { $0 == 1 }.count, r.pointsDone, "counters match the data in a snapshot")
        try r.close()
        XCTAssertEqual(c.wait(), 0, c.stderr)
        XCTAssertEqual(w.wait(), 0, w.stderr)
        let done = try ResultsReader(path: out)
        XCTAssertTrue(done.completed)
        XCTAssertEqual(done.pointsDone, 2400)
    }

    func testResumeRefusesAnotherSpec() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.h5").path
        let port = freePort(), statusPort = freePort()
        let c = try coordinator(out, port: port, statusPort: statusPort)
        usleep(500_000)
        kill(c.process.processIdentifier, SIGKILL)
        c.process.waitUntilExit()
        let other = dir.appendingPathComponent("other.yaml").path
        try String(contentsOfFile: packageRoot.appendingPathComponent(slow).path, encoding: .utf8)
            .replacingOccurrences(of: "range: [0, 20]", with: "range: [0, 21]").write(toFile: other, atomically: true, encoding: .utf8)
        let refused = try ttcg(["run", other, "--out", out, "--resume"])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cannot resume with this spec"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("range: [0, 20]") && refused.stderr.contains("range: [0, 21]"), refused.stderr)
        // Without --resume the unfinished sweep is not overwritten by accident either.
        let fresh = try ttcg(["run", slow, "--out", out])
        XCTAssertEqual(fresh.status, 2, fresh.stderr)
        XCTAssertTrue(fresh.stderr.contains("--resume"), fresh.stderr)
        // Nothing to resume.
        let none = try ttcg(["run", slow, "--out", dir.appendingPathComponent("none.h5").path, "--resume"])
        XCTAssertEqual(none.status, 2, none.stderr)
        XCTAssertTrue(none.stderr.contains("nothing to resume"), none.stderr)
    }

    func testInterruptKeepsResultsForResume() throws {
        let reference = try reference()
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("int.h5").path
        let run = try Background(["run", slow, "--out", out, "--threads", "1", "--snapshot-seconds", "0.5"])
        usleep(1_500_000)
        kill(run.process.processIdentifier, SIGINT)
        XCTAssertEqual(run.wait(), 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("interrupted after"), run.stderr)
        let resumed = try ttcg(["run", slow, "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        try assertSameResults(reference, out)
    }
}
