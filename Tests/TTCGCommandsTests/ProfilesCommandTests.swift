// `ttcg profiles` and catalog names in `ttcg solve`, through the real binary.

import Foundation
import XCTest

final class ProfilesCommandTests: XCTestCase {
    /// model.md §7 at beta = 1000.
    static let auctions: [(String, String, String)] = [
        ("gsm8k/majority", "Qwen2.5-7B", "Qwen2.5-3B"),
        ("gsm8k/best-of-n", "Qwen2.5-7B", "Qwen2.5-3B"),
        ("gsm8k/chain-of-thought", "R1-D-Qwen-7B", "R1-D-Qwen-1.5B"),
        ("gpqa/majority", "Llama-3-8B", "Qwen2-7B"),
        ("gpqa/best-of-n", "Llama-3-8B", "Llama-3.2-3B"),
        ("gpqa/chain-of-thought", "R1-D-Qwen-7B", "R1-D-Llama-8B"),
        ("aime/majority", "Llama-3.2-3B", "Llama-3.1-8B"),
        ("aime/best-of-n", "Llama-3.2-3B", "Llama-3.1-8B"),
        ("aime/chain-of-thought", "R1-D-Qwen-7B", "R1-D-Qwen-1.5B"),
    ]

    func json(_ run: RunResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], file: file, line: line)
    }

    func testSolveEveryCatalogMarketByName() throws {
        for (name, winner, runnerUp) in Self.auctions {
            let d = try json(try ttcg(["solve", name, "--beta", "1000", "--json"]))
            let auction = try XCTUnwrap(d["auction"] as? [String: Any], name)
            XCTAssertEqual(auction["winner"] as? String, winner, name)
            XCTAssertEqual(auction["runner_up"] as? String, runnerUp, name)
            XCTAssertEqual(d["market"] as? String, name)
            let poa = try XCTUnwrap(d["poa"] as? Double, name)
            if name == "gsm8k/best-of-n" { XCTAssertEqual(poa, 1.186, accuracy: 0.01) }
            if name == "gsm8k/chain-of-thought" { XCTAssertEqual(poa, 1.0056, accuracy: 0.002) }
        }
    }

    func testListAndShowCiteThePaper() throws {
        let list = try ttcg(["profiles", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        for (name, _, _) in Self.auctions { XCTAssertTrue(list.stdout.contains(name), name) }
        XCTAssertTrue(list.stdout.contains("Test-Time Compute Games"))
        let show = try ttcg(["profiles", "show", "gpqa/chain-of-thought"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("Test-Time Compute Games"))
        XCTAssertTrue(show.stdout.contains("approximate"))
        XCTAssertTrue(show.stdout.contains("R1-D-Llama-8B"))
    }

    /// Export in each format, solve the exported file: the same JSON as the catalog name.
    func testExportedFilesSolveLikeTheCatalog() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try ttcg(["solve", "aime/best-of-n", "--json", "--trajectory"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        for format in ["csv", "yaml", "json"] {
            let path = dir.appendingPathComponent("m.\(format)").path
            let export = try ttcg(["profiles", "export", "aime/best-of-n", "--format", format, "--out", path])
            XCTAssertEqual(export.status, 0, export.stderr)
            let again = try ttcg(["solve", path, "--json", "--trajectory"])
            XCTAssertEqual(again.stdout, reference.stdout, format)
            // Export of the exported file: the same bytes.
            let twice = try ttcg(["profiles", "export", path, "--format", format])
            XCTAssertEqual(twice.stdout, try String(contentsOfFile: path, encoding: .utf8), format)
            // An existing file is not overwritten without --force.
            let refused = try ttcg(["profiles", "export", "aime/best-of-n", "--format", format, "--out", path])
            XCTAssertEqual(refused.status, 2)
            XCTAssertEqual(refused.stderr, "\(path): refusing to overwrite an existing file (use --force)\n")
        }
    }

    func testBadInputExitsTwoWithOneLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-badcsv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let header = "dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok"
        let cases: [(String, String, String)] = [
            ("missing column", "dataset,method,model,level_index,level,accuracy,tokens_per_query\ngsm8k,majority,A,0,1,0.5,10\n",
             "field 'price_per_mtok': expected a column"),
            ("non-numeric", "\(header)\ngsm8k,majority,A,0,1,abc,10,0.1\n", ":2: field 'accuracy': expected a fraction in [0, 1], got 'abc'"),
            ("levels do not increase", "\(header)\ngsm8k,majority,A,0,4,0.5,10,0.1\ngsm8k,majority,A,1,2,0.6,20,0.1\n",
             "field 'level' (level 1): expected levels that increase"),
            ("negative tokens", "\(header)\ngsm8k,majority,A,0,1,0.5,-10,0.1\n", "field 'tokens_per_query' (level 0): expected a number of tokens >= 0, got -10"),
        ]
        for (what, text, expected) in cases {
            let path = dir.appendingPathComponent("\(what.replacingOccurrences(of: " ", with: "-")).csv").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for arguments in [["solve", path], ["profiles", "show", path], ["profiles", "export", path, "--format", "yaml"]] {
                let run = try ttcg(arguments)
                XCTAssertEqual(run.status, 2, "\(what) \(arguments[0]): \(run.stderr)")
                XCTAssertEqual(run.stderrLines.count, 1, "\(what): \(run.stderr)")
                XCTAssertTrue(run.stderr.hasPrefix(path), "\(what): \(run.stderr)")
                XCTAssertTrue(run.stderr.contains(expected), "\(what): \(run.stderr)")
            }
        }
        let unknown = try ttcg(["solve", "gsm8k/beam-search"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(unknown.stderrLines.count, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("gsm8k/beam-search: expected a catalog market (gsm8k/majority, "), unknown.stderr)
        let cost = try ttcg(["profiles", "export", "jobs/examples/appendix-a.yaml", "--format", "csv"])
        XCTAssertEqual(cost.status, 2)
        XCTAssertEqual(cost.stderrLines.count, 1, cost.stderr)
        let format = try ttcg(["profiles", "export", "gsm8k/majority", "--format", "xml"])
        XCTAssertEqual(format.status, 2)
        XCTAssertEqual(format.stderrLines.count, 1, format.stderr)
    }
}
