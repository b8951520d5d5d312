// The built-in catalog against the paper (model.md §7), and profile tables: round trips
// through every export format and one exact error line per kind of bad table.

import GameCore
import Profiles
import XCTest

final class CatalogTests: XCTestCase {
    /// model.md §7: auction winner and runner-up per catalog market at beta = 1000.
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

    func testCatalogHoldsTheNineMarketsWithPublishedSettings() throws {
        XCTAssertEqual(Set(Catalog.names), Set(Self.auctions.map(\.0)))
        XCTAssertEqual(Catalog.markets.count, 9)
        for m in Catalog.markets {
            let alpha = ["gsm8k": 0.008, "gpqa": 0.02, "aime": 0.05][m.dataset!]!
            XCTAssertEqual(m.settings, MarketSettings(alpha: alpha, baseline: 0.1, valueCurve: .linear, margin: 0.25, v0: 0), m.name)
            XCTAssertEqual(m.name, "\(m.dataset!)/\(m.method!)")
            if m.method == "chain-of-thought" {
                XCTAssertEqual(m.levels, ["1", "2", "3", "4", "5"])
                XCTAssertEqual(m.providerCount, 3)
            } else {
                XCTAssertEqual(m.levels, ["1", "4", "8", "16", "32", "64"])
                XCTAssertEqual(m.providerCount, 9)
            }
        }
        XCTAssertTrue(Catalog.provenance.contains("Test-Time Compute Games"))
        XCTAssertEqual(Catalog.market(named: "GSM8K/Best-of-N")?.name, "gsm8k/best-of-n")
        XCTAssertNil(Catalog.market(named: "gsm8k/beam-search"))
    }

    func testAuctionWinnersAndRunnersUpOfThePaper() throws {
        for (name, winner, runnerUp) in Self.auctions {
            let market = Catalog.market(named: name)!
            let game = try Game(market: market, rationality: .bounded(beta: 1000))
            let outcome = game.auction(bids: game.dominantBids())
            XCTAssertEqual(outcome.winner.map { market.providers[$0].name }, winner, name)
            XCTAssertEqual(outcome.runnerUp.map { market.providers[$0].name }, runnerUp, name)
        }
        // The welfare of the three GSM8K winners, to the digits model.md quotes.
        for (name, w) in [("gsm8k/majority", 0.00726), ("gsm8k/best-of-n", 0.00736), ("gsm8k/chain-of-thought", 0.00745)] {
            let game = try Game(market: Catalog.market(named: name)!, rationality: .bounded(beta: 1000))
            XCTAssertEqual(game.auction(bids: game.dominantBids()).welfare, w, accuracy: 5e-6, name)
        }
    }

    func testPriceOfAnarchyOfGSM8KWithDefaultDynamics() throws {
        let bon = try Game(market: Catalog.market(named: "gsm8k/best-of-n")!, rationality: .bounded(beta: 1000)).solve()
        XCTAssertTrue(bon.dynamics.converged)
        XCTAssertEqual(bon.priceOfAnarchy.value, 1.186, accuracy: 0.01)
        let cot = try Game(market: Catalog.market(named: "gsm8k/chain-of-thought")!, rationality: .bounded(beta: 1000)).solve()
        XCTAssertTrue(cot.dynamics.converged)
        XCTAssertEqual(cot.priceOfAnarchy.value, 1.0056, accuracy: 0.002)
    }

    // MARK: - round trips

    func testEveryFormatReadsBackTheSameMarket() throws {
        for m in Catalog.markets {
            XCTAssertEqual(try MarketFile.parse(yaml: MarketFile.render(m), source: "x.yaml"), m, "yaml \(m.name)")
            XCTAssertEqual(try MarketFile.parse(yaml: MarketFile.renderJSON(m), source: "x.json"), m, "json \(m.name)")
            let rows = try ProfileTable.parse(csv: try ProfileTable.render([m]), source: "x.csv")
            XCTAssertEqual(try ProfileTable.markets(rows, source: "x.csv"), [m], "csv \(m.name)")
        }
        // The whole catalog in one table.
        let all = try ProfileTable.render(Catalog.markets)
        XCTAssertEqual(try ProfileTable.markets(try ProfileTable.parse(csv: all, source: "all.csv"), source: "all.csv"), Catalog.markets)
    }

    func testMarketsWithCostsAndOddNamesRoundTripThroughYAMLAndJSON() throws {
        let m = Market(name: "odd \"name\", with: colon", levels: ["Low", "1.5", "yes"], providers: [
            Provider(name: "A\\B", accuracy: [0.1, 0.2, 0.3], pricing: .costs([0.1, 0.2, 1e-7]), margin: 0.5),
            Provider(name: "tab\there", accuracy: [0.3, 0.2, 1], pricing: .tokens(perQuery: [1, 2, 3.5], pricePerMillionTokens: 0.1465)),
        ], settings: MarketSettings(alpha: 0.3, baseline: 0.05, valueCurve: .power(gamma: 2.5), margin: 0.1, v0: -0.01),
           dataset: "mine", method: "best-of-n")
        XCTAssertEqual(try MarketFile.parse(yaml: MarketFile.render(m)), m)
        XCTAssertEqual(try MarketFile.parse(yaml: MarketFile.renderJSON(m)), m)
        // CSV has no columns for costs, settings or provider margins: refused, not dropped.
        XCTAssertThrowsError(try ProfileTable.render([m]))
    }

    func testSubsetsAndSelectionFromATable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("all.csv").path
        try Catalog.csv.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try MarketSource.resolve(path + "#gpqa/best-of-n"), Catalog.market(named: "gpqa/best-of-n"))
        XCTAssertThrowsError(try MarketSource.resolve(path)) { error in
            XCTAssertTrue("\(error)".contains("expected one market, the file holds 9"), "\(error)")
        }
        let top3 = try Catalog.market(named: "gsm8k/best-of-n")!.selecting(["Qwen2.5-7B", "Qwen2.5-3B", "Llama-3-8B"])
        XCTAssertEqual(top3.providers.map(\.name), ["Qwen2.5-7B", "Qwen2.5-3B", "Llama-3-8B"])
    }

    // MARK: - bad tables, one line each

    static let header = "dataset,method,model,level_index,level,accuracy,tokens_per_query,price_per_mtok"
    static let valid = """
        \(header)
        gsm8k,best-of-n,A,0,1,0.5,100,0.1
        gsm8k,best-of-n,A,1,4,0.6,400,0.1
        gsm8k,best-of-n,B,0,1,0.4,200,0.2
        gsm8k,best-of-n,B,1,4,0.7,800,0.2
        """

    func assertBadTable(_ text: String, _ expected: String, alpha: Double? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let rows = try ProfileTable.parse(csv: text, source: "t.csv")
            _ = try ProfileTable.markets(rows, source: "t.csv", alpha: alpha)
            XCTFail("accepted a bad table; expected: \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, expected, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
        }
    }

    func testValidTableLoads() throws {
        let m = try ProfileTable.markets(try ProfileTable.parse(csv: Self.valid, source: "t.csv"), source: "t.csv")
        XCTAssertEqual(m.count, 1)
        XCTAssertEqual(m[0].providers[1].pricing, .tokens(perQuery: [200, 800], pricePerMillionTokens: 0.2))
    }

    func testMissingColumn() {
        assertBadTable(Self.valid.replacingOccurrences(of: ",price_per_mtok", with: "").replacingOccurrences(of: ",0.1\n", with: "\n"),
                       "t.csv: field 'price_per_mtok': expected a column 'price_per_mtok' in the header (\(Self.header))")
    }

    func testUnknownColumn() {
        assertBadTable(Self.valid.replacingOccurrences(of: "price_per_mtok", with: "price_per_mtok,colour"),
                       "t.csv: field 'colour': expected one of the columns \((ProfileTable.requiredColumns + ProfileTable.optionalColumns).joined(separator: ", ")), got an unknown column")
    }

    func testNonNumericCell() {
        assertBadTable(Self.valid.replacingOccurrences(of: "0.6,400", with: "high,400"),
                       "t.csv:3: field 'accuracy': expected a fraction in [0, 1], got 'high'")
    }

    func testEmptyPriceCell() {
        assertBadTable(Self.valid.replacingOccurrences(of: "800,0.2", with: "800,"),
                       "t.csv:5: field 'price_per_mtok': expected a price in dollars per 1M tokens (ingest with --price-table to fill it), got an empty cell")
    }

    func testWrongCellCount() {
        assertBadTable(Self.valid.replacingOccurrences(of: "200,0.2", with: "200"),
                       "t.csv:4: expected 8 cells like the header, got 7")
    }

    func testNegativeTokens() {
        assertBadTable(Self.valid.replacingOccurrences(of: "0.6,400", with: "0.6,-400"),
                       "t.csv:3: provider 'A': field 'tokens_per_query' (level 1): expected a number of tokens >= 0, got -400")
    }

    func testAccuracyOutOfRange() {
        assertBadTable(Self.valid.replacingOccurrences(of: "0.6,400", with: "60,400"),
                       "t.csv:3: provider 'A': field 'accuracy' (level 1): expected a fraction in [0, 1], got 60")
    }

    func testLevelsThatDoNotIncrease() {
        assertBadTable(Self.valid.replacingOccurrences(of: "A,1,4,", with: "A,1,1,"),
                       "t.csv:3: provider 'A': field 'level' (level 1): expected levels that increase with level_index in market gsm8k/best-of-n, got 1 after 1")
    }

    func testMissingLevel() {
        assertBadTable(Self.valid.replacingOccurrences(of: "B,1,4", with: "B,2,4"),
                       "t.csv:5: provider 'B': field 'level_index': expected level indices 0, 1, 2, ... once each in market gsm8k/best-of-n, but level 1 is missing")
    }

    func testLevelsDifferBetweenModels() {
        assertBadTable(Self.valid.replacingOccurrences(of: "B,1,4", with: "B,1,8"),
                       "t.csv:5: provider 'B': field 'level': expected the levels of market gsm8k/best-of-n (1, 4), got 1, 8")
    }

    func testTwoPricesForOneModel() {
        assertBadTable(Self.valid.replacingOccurrences(of: "800,0.2", with: "800,0.3"),
                       "t.csv:5: provider 'B': field 'price_per_mtok': expected one price per model (0.2 at level 0), got 0.3")
    }

    func testUnknownDatasetNeedsAlpha() throws {
        let text = Self.valid.replacingOccurrences(of: "gsm8k,", with: "mmlu,")
        assertBadTable(text, "t.csv: field 'dataset': market mmlu/best-of-n: the paper publishes alpha only for aime, gpqa, gsm8k; give alpha (--alpha) for dataset 'mmlu'")
        let m = try ProfileTable.markets(try ProfileTable.parse(csv: text, source: "t.csv"), source: "t.csv", alpha: 0.01)
        XCTAssertEqual(m[0].settings.alpha, 0.01)
    }

    func testEmptyTable() {
        assertBadTable("", "t.csv: expected a CSV header with columns \(ProfileTable.requiredColumns.joined(separator: ",")), got an empty file")
        assertBadTable(Self.header + "\n", "t.csv: expected at least one row of provider curves after the header")
    }

    func testUnknownMarketName() {
        XCTAssertThrowsError(try MarketSource.resolve("gsm8k/beam-search")) { error in
            XCTAssertEqual("\(error)", "gsm8k/beam-search: expected a catalog market (\(Catalog.names.joined(separator: ", "))) or a market file, got neither (see 'ttcg profiles list')")
        }
    }
}
