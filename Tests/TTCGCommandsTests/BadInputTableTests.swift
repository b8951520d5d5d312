// docs/bad-input.md, row by row: each command runs on its fixture and must fail the way the
// table says (exit 2 and one line containing the text), or, for wire messages, be dropped
// and counted by a running coordinator that then completes its sweep.

import Engine
import Foundation
import Sweep
import Wire
import XCTest

final class BadInputTableTests: XCTestCase {
    struct Row {
        var number: Int
        var what: String
        var command: [String]
        var expected: String
    }

    /// The table of docs/bad-input.md.
    func rows() throws -> [Row] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/bad-input.md"), encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, let n = Int(cells[1]) else { continue }
            func unquote(_ s: String) -> String { s.hasPrefix("`") && s.hasSuffix("`") ? String(s.dropFirst().dropLast()) : s }
            let command = unquote(cells[3]).split(separator: " ").map(String.init)
            rows.append(Row(number: n, what: cells[2], command: command, expected: unquote(cells[4])))
        }
        return rows
    }

    func testTheTableHasAtLeast25RowsNumberedInOrder() throws {
        let r = try rows()
        XCTAssertGreaterThanOrEqual(r.count, 25)
        XCTAssertEqual(r.map(\.number), Array(1...r.count))
    }

    func testEveryFileAndFlagRow() throws {
        let bad = packageRoot.appendingPathComponent("Tests/TTCGCommandsTests/Fixtures/bad").path
        // Fixtures git cannot hold or should not: a 5 MB spec, a FIFO where a journal goes.
        let generated = ["spec-over-4mib.yaml", "fifo.h5.journal"].map { bad + "/" + $0 }
        defer { for path in generated { try? FileManager.default.removeItem(atPath: path) } }
        try ("name: big\nmarkets: [gsm8k/majority]\naxes:\n  beta: [" + Array(repeating: "1.5", count: 1_000_000).joined(separator: ", ") + "]\n")
            .write(toFile: generated[0], atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: generated[1])
        XCTAssertEqual(mkfifo(generated[1], 0o644), 0)
        for row in try rows() where row.command.first == "ttcg" {
            let arguments = row.command.dropFirst().map { $0.hasPrefix("bad/") || $0 == "bad" ? bad + $0.dropFirst(3) : $0 }
            let run = try ttcg(Array(arguments))
            XCTAssertEqual(run.status, 2, "row \(row.number) (\(row.what)): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.count, 1, "row \(row.number) (\(row.what)): \(run.stderr)")
            let expected = row.expected.replacingOccurrences(of: "bad/", with: bad + "/")
            XCTAssertTrue(run.stderr.contains(expected), "row \(row.number) (\(row.what)): expected '\(expected)' in: \(run.stderr)")
        }
        for leftover in ["never.h5", "never.csv", "fifo.h5", "fifo.h5.partial"] + [".lock", ".journal", ".partial", ".snapshot"].map { "spec-no-markets.yaml" + $0 } {
            XCTAssertFalse(FileManager.default.fileExists(atPath: bad + "/" + leftover), leftover)
        }
        // --force left the spec given as --out as it was (row 40).
        let spec = try String(contentsOfFile: bad + "/spec-no-markets.yaml", encoding: .utf8)
        XCTAssertTrue(spec.contains("markets"), spec)
    }

    func testEveryMessageRow() throws {
        let spec = "Tests/TTCGCommandsTests/Fixtures/e2e.yaml"
        let tag = sweepTag(try SweepSpec.load(path: packageRoot.appendingPathComponent(spec).path).hash)
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort(), statusPort = freePort()
        let coordinator = try Background(["coordinator", spec, "--out", dir.appendingPathComponent("m.h5").path,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--status-bind", "tcp://127.0.0.1:\(statusPort)", "--linger", "0.2"])
        let context = try ZMQContext()
        let status = try StatusClient(connect: "tcp://127.0.0.1:\(statusPort)")
        func counters() throws -> SweepStatus { try XCTUnwrap(status.fetch(timeoutSeconds: 10)) }
        func counter(_ s: SweepStatus, _ name: String) -> Int {
            switch name {
            case "dropped_malformed": return s.droppedMalformed
            case "dropped_not_leased": return s.droppedNotLeased
            case "dropped_duplicate": return s.droppedDuplicate
            case "refused_peers": return s.refusedPeers
            default: XCTFail("unknown counter \(name)"); return 0
            }
        }
        let hello = Codec.encode(.hello(Hello(host: "tester", pid: 1, threads: 1)))
        let someBlock = ResultBlock(start: 0, count: 16, providers: 3)
        for row in try rows() where row.command.first == "message" {
            let before = try counters()
            let peer = try context.socket(.dealer)
            try peer.connect("tcp://127.0.0.1:\(port)")
            switch row.command[1] {
            case "bad-magic": try peer.send([Array("XXXX".utf8) + [1, 0, 4], [0, 0, 0, 0]])
            case "other-version": try peer.send([Array("TTCG".utf8) + [9, 0, 1], hello[1]])
            case "unknown-type": try peer.send([Array("TTCG".utf8) + [UInt8(protocolVersion & 0xFF), UInt8(protocolVersion >> 8), 200], []])
            case "three-frames": try peer.send(hello + [[1]])
            case "truncated-hello": try peer.send([hello[0], Array(hello[1].dropLast(3))])
            case "result-before-hello":
                try peer.send(Codec.encode(.result(sweep: tag, id: 0, attempt: 1, seconds: 0, block: someBlock)))
            case "result-not-leased":
                try peer.send(hello)
                XCTAssertNotNil(try peer.receive(timeout: .seconds(10)), "welcome")
                try peer.send(Codec.encode(.result(sweep: tag, id: 0, attempt: 1, seconds: 0, block: someBlock)))
            default: XCTFail("row \(row.number): unknown message kind \(row.command[1])")
            }
            // The counter grows (allow the coordinator a moment: the deadline only guards
            // against a hang, the loop ends as soon as the counter moves).
            var after = try counters()
            let deadline = Date().addingTimeInterval(60)
            while counter(after, row.expected) <= counter(before, row.expected) && Date() < deadline {
                usleep(20_000)
                after = try counters()
            }
            XCTAssertGreaterThan(counter(after, row.expected), counter(before, row.expected), "row \(row.number) (\(row.what))")
            peer.close()
        }
        // A normal worker still completes the sweep.
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "2"])
        XCTAssertEqual(coordinator.wait(), 0, coordinator.stderr)
        XCTAssertEqual(worker.wait(), 0, worker.stderr)
        let r = try ResultsReaderCheck.completed(dir.appendingPathComponent("m.h5").path)
        XCTAssertTrue(r)
    }
}

import ResultStore

enum ResultsReaderCheck {
    static func completed(_ path: String) throws -> Bool {
        let r = try ResultsReader(path: path)
        defer { try? r.close() }
        return r.completed && r.pointsDone == r.pointsTotal
    }
}
