// The monitoring core without sockets: escaping, the live science against a brute-force
// mean of the same blocks, the failures and bytes the sink sees, the metrics text, and what
// each endpoint answers.

import Engine
import Foundation
import Monitor
import Profiles
import Sweep
import XCTest

/// A real plan: two catalog markets, alpha and v0 axes (so the published settings pick a
/// slice), seeds to average, beta = inf among the betas.
func makePlan() throws -> SweepPlan {
    let yaml = """
        name: monitor-test
        markets: [gsm8k/majority, {market: aime/best-of-n, models: [Llama-3.2-3B, Llama-3.1-8B, Qwen2-7B]}]
        axes:
          beta: [1, 10, 300, 2000, inf]
          margin: [0.1, 0.5]
          alpha: {multipliers: [0.5, 1, 2]}
          v0: [0, 0.001]
          seed: {range: [0, 3]}
        outputs: {chunk: 3}
        """
    let spec = try SweepSpec.parse(yaml: yaml, source: "monitor.yaml")
    return try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
}

/// A status as `ttcg status --json` prints it, with the given counts and workers.
func makeStatus(done: Int, total: Int = 100, malformed: Int = 0, redone: Int = 0, workers: [(id: Int, host: String, age: Double)] = [],
                market: String = "m", finished: Bool = false) -> SweepStatus {
    let workerJSON = workers.map {
        "{\"id\": \($0.id), \"host\": \(jsonQuoted($0.host)), \"pid\": 7, \"threads\": 2, \"items_done\": 3, \"leased\": 1, \"last_heartbeat_age\": \($0.age), \"state\": \"active\", \"busy_seconds\": 1.5}"
    }.joined(separator: ", ")
    let json = """
        {"job": "sweep \\"q\\"", "spec_hash": "abc123", "finished": \(finished), "items_total": 10, "items_done": 1, "items_leased": 1, "items_queued": 8,
         "items_failed": 0, "points_total": \(total), "points_done": \(done), "points_failed": 0, "games_per_second": 12.5, "eta_seconds": 30,
         "elapsed_seconds": \(Double(done) / 10 + 1), "workers": [\(workerJSON)], "dropped_malformed": \(malformed), "dropped_duplicate": 0,
         "dropped_not_leased": 0, "refused_peers": 0, "refused_connections": 0, "failed_handshakes": 0, "items_redone": \(redone),
         "items_copied": 0, "leases_expired": 0, "markets": [{"name": \(jsonQuoted(market)), "points_total": \(total), "points_done": \(done)}]}
        """
    return SweepStatus.parse(json: json)!
}

final class MonitorTests: XCTestCase {
    func testHTMLEscapedShowsMarkupAndControlCharactersAsText() {
        XCTAssertEqual(htmlEscaped("<script>alert(1)</script>\u{1b}[2J"), "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J")
        XCTAssertEqual(htmlEscaped("a & \"b\" 'c'"), "a &amp; &quot;b&quot; &#39;c&#39;")
        XCTAssertEqual(htmlEscaped("tab\tline\nnul\u{0}del\u{7f}csi\u{9b}"), "tab\\x09line\\x0anul\\x00del\\x7fcsi\\x9b")
        XCTAssertEqual(htmlEscaped("abc\u{202e}def"), "abc\\u202edef")
        XCTAssertEqual(htmlEscaped("gsm8k/best-of-n é 日本 🙂"), "gsm8k/best-of-n é 日本 🙂")
        // Nothing raw is left: no markup character and no control character.
        let all = String(String.UnicodeScalarView((0..<0x250).compactMap(Unicode.Scalar.init)))
        let escaped = htmlEscaped(all)
        XCTAssertFalse(escaped.contains { "<>\"'".contains($0) })
        XCTAssertFalse(escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) })
    }

    /// The accumulators equal a brute-force mean over the same blocks (the published settings
    /// of ResultsSummary), after every item and after part of them.
    func testLiveScienceEqualsTheBruteForceMeanOfTheBlocks() throws {
        let plan = try makePlan()
        let memory = MemorySink()
        let observed = ObservedSink(wrapping: memory, plan: plan)
        // Half the items first (in a shuffled order), checked; then the rest.
        var rng = SystemRandomNumberGenerator()
        let order = Array(plan.items.indices).shuffled(using: &rng)
        let half = order.count / 2
        for i in order[..<half] { try observed.write(plan.evaluate(plan.items[i], threads: 1), item: plan.items[i]) }
        try checkScience(observed.science, against: memory, plan: plan)
        for i in order[half...] { try observed.write(plan.evaluate(plan.items[i], threads: 1), item: plan.items[i]) }
        try checkScience(observed.science, against: memory, plan: plan)
        XCTAssertEqual(memory.blocks.count, plan.items.count, "every block was forwarded")
        // Every cell is plotted at the end; the welfare table is at beta 2000 (nearest 1000 in log10).
        for (m, science) in observed.science.markets.enumerated() {
            XCTAssertEqual(science.plottedCells, plan.markets[m].shape[0] * plan.markets[m].shape[1])
            XCTAssertEqual(science.betaLabels[science.tableBetaIndex], "2000")
            XCTAssertEqual(science.alphaIndex, 1, "the market's own alpha is the multiplier 1")
        }
    }

    func checkScience(_ science: LiveScience, against memory: MemorySink, plan: SweepPlan, file: StaticString = #filePath, line: UInt = #line) throws {
        for (m, pm) in plan.markets.enumerated() {
            let shape = pm.shape
            var sums = [String: (Double, Int)]()
            for block in memory.blocks.values where plan.marketIndex(ofPoint: block.start) == m {
                let status = block.bytes("status"), poa = block.doubles("poa")
                let welfare = block.doubles("welfare_eq"), auction = block.doubles("auction_welfare")
                for k in 0..<block.count where status[k] == 1 {
                    let (_, idx) = plan.axisIndices(ofPoint: block.start + k)
                    // alpha at the market's own (multiplier 1: index 1), other axes after seed at 0.
                    guard idx[2] == 1, idx[3] == 0, idx[6...].allSatisfy({ $0 == 0 }) else { continue }
                    func add(_ key: String, _ v: Double) {
                        guard v.isFinite else { return }
                        let s = sums[key, default: (0, 0)]
                        sums[key] = (s.0 + v, s.1 + 1)
                    }
                    add("poa \(idx[0]) \(idx[1])", poa[k])
                    if pm.axes.beta[idx[0]].text == "2000" {
                        add("welfare \(idx[1])", welfare[k])
                        add("auction \(idx[1])", auction[k])
                    }
                }
            }
            let s = science.markets[m]
            XCTAssertEqual(s.name, pm.name, file: file, line: line)
            for b in 0..<shape[0] {
                for g in 0..<shape[1] {
                    let expected = sums["poa \(b) \(g)"].map { $0.0 / Double($0.1) }
                    let got = s.poaMean(beta: b, margin: g)
                    XCTAssertEqual(got == nil, expected == nil, "cell (\(b), \(g)) of \(pm.name)", file: file, line: line)
                    if let got, let expected { XCTAssertEqual(got, expected, accuracy: 1e-12 * max(1, abs(expected)), file: file, line: line) }
                }
            }
            for g in 0..<shape[1] {
                let w = s.welfareMeans(margin: g)
                for (value, key) in [(w.market, "welfare \(g)"), (w.auction, "auction \(g)")] {
                    let expected = sums[key].map { $0.0 / Double($0.1) }
                    XCTAssertEqual(value == nil, expected == nil, key, file: file, line: line)
                    if let value, let expected { XCTAssertEqual(value, expected, accuracy: 1e-12 * max(1, abs(expected)), file: file, line: line) }
                }
            }
        }
    }

    func testFailuresAndBytesAreCountedAndBounded() throws {
        let plan = try makePlan()
        let memory = MemorySink()
        let observed = ObservedSink(wrapping: memory, plan: plan)
        let item = plan.items[0]
        var block = plan.evaluate(item, threads: 1)
        block.errors = [item.start + 1: "boom <b>\u{1b}[31m"]
        try observed.write(block, encoded: ArraySlice([UInt8](repeating: 7, count: 1234)), item: item)
        XCTAssertEqual(observed.resultBytes, 1234)
        for i in 1...60 { try observed.recordFailure(item: plan.items[i], message: "failed \(i)") }
        XCTAssertEqual(memory.failures.count, 60, "forwarded")
        XCTAssertEqual(observed.failures.records.count, FailureLog.capacity)
        XCTAssertEqual(observed.failures.records.last?.message, "failed 60")
        XCTAssertEqual(observed.failures.totalPoints, 1 + (1...60).reduce(0) { $0 + plan.items[$1].count })
        let first = FailureRecord(market: plan.markets[0].name, point: item.start + 1, points: 1, message: "boom <b>\u{1b}[31m")
        var log = FailureLog()
        log.add(first)
        XCTAssertEqual(log.records, [first])
    }

    /// The exposition parses line by line: the names, both labels on every series, and
    /// counters that never go down even when a status shows a smaller count.
    func testMetricsTextParsesAndCountersOnlyGrow() throws {
        let plan = try makePlan()
        let observed = ObservedSink(wrapping: MemorySink(), plan: plan)
        let board = MonitorBoard(status: makeStatus(done: 0, workers: [(1, "a", 0.1)]), observed: observed, timeoutSeconds: 10)
        var counterValues: [[String: Double]] = []
        for (done, malformed, redone) in [(10, 3, 1), (20, 5, 1), (30, 4, 0)] {
            board.publish(makeStatus(done: done, malformed: malformed, redone: redone, workers: [(1, "a", 0.1)]), observed: observed)
            let text = board.metrics.render(board.snapshot())
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let m = try XCTUnwrap(line.wholeMatch(of: /([a-z_]+)\{([^}]*)\} (\S+)/), "not a sample line: \(line)")
                let labels = String(m.2)
                XCTAssertTrue(labels.contains("sweep=\"sweep \\\"q\\\"\""), labels)
                XCTAssertTrue(labels.contains("spec_hash=\"abc123\""), labels)
                values[String(m.1) + (labels.firstMatch(of: /(state|reason)="[a-z_]+"/).map { "{\($0.0)}" } ?? "")] = Double(String(m.3))
            }
            for name in ["ttcg_points_total", "ttcg_points_done", "ttcg_points_failed", "ttcg_items_redone_total", "ttcg_results_bytes",
                         "ttcg_games_per_second", "ttcg_workers{state=\"active\"}", "ttcg_workers{state=\"lost\"}",
                         "ttcg_workers{state=\"quarantined\"}", "ttcg_dropped_messages_total{reason=\"malformed\"}",
                         "ttcg_dropped_messages_total{reason=\"duplicate\"}", "ttcg_dropped_messages_total{reason=\"not_leased\"}"] {
                XCTAssertNotNil(values[name], "no \(name) in:\n\(text)")
            }
            XCTAssertEqual(values["ttcg_points_done"], Double(done))
            XCTAssertEqual(values["ttcg_workers{state=\"active\"}"], 1)
            XCTAssertTrue(text.contains("# TYPE ttcg_items_redone_total counter"), text)
            XCTAssertTrue(text.contains("# TYPE ttcg_points_done gauge"), text)
            counterValues.append(values)
        }
        XCTAssertEqual(counterValues.map { $0["ttcg_dropped_messages_total{reason=\"malformed\"}"] }, [3, 5, 5])
        XCTAssertEqual(counterValues.map { $0["ttcg_items_redone_total"] }, [1, 1, 1])
    }

    /// A worker silent beyond the timeout, or gone from the status, is lost; the table keeps it.
    func testWorkersGoneOrSilentAreLost() throws {
        let plan = try makePlan()
        let observed = ObservedSink(wrapping: MemorySink(), plan: plan)
        let board = MonitorBoard(status: makeStatus(done: 0, workers: [(1, "a", 0.1), (2, "b", 0.1)]), observed: observed, timeoutSeconds: 10)
        board.publish(makeStatus(done: 5, workers: [(2, "b", 11)]), observed: observed)
        let rows = board.snapshot().workers
        XCTAssertEqual(rows.map(\.id), [2, 1])
        XCTAssertEqual(rows.map(\.state), ["lost", "lost"])
        XCTAssertEqual(board.metrics.render(board.snapshot()).contains("state=\"lost\"} 2"), true)
    }

    /// The PoA lines run in order of beta though the grid lists its betas out of order, and
    /// the chart has one circle per cell with finished points.
    func testPoALinesRunInOrderOfBeta() throws {
        let spec = try SweepSpec.parse(yaml: """
            name: unsorted
            markets: [gsm8k/majority]
            axes: {beta: [1000, 1, inf, 10, 100000], margin: [0.1, 0.25], seed: [0, 1]}
            """, source: "unsorted.yaml")
        let plan = try SweepPlan(spec: spec, markets: try SweepPlan.resolveMarkets(spec))
        let observed = ObservedSink(wrapping: MemorySink(), plan: plan)
        for item in plan.items { try observed.write(plan.evaluate(item, threads: 1), item: item) }
        let board = MonitorBoard(status: makeStatus(done: 20, total: 20), observed: observed, timeoutSeconds: nil)
        let html = DashboardPage.fragment(board.snapshot())
        let lines = html.matches(of: /<polyline class="poa-line"[^>]* points="([^"]*)"/).map { String($0.1) }
        XCTAssertEqual(lines.count, 2, "one line per margin")
        for line in lines {
            let xs = line.split(separator: " ").compactMap { Double($0.split(separator: ",")[0]) }
            XCTAssertEqual(xs.count, 5)
            XCTAssertEqual(xs, xs.sorted(), "x runs left to right: \(line)")
        }
        XCTAssertEqual(html.components(separatedBy: "class=\"poa-point\"").count - 1, 10)
        XCTAssertTrue(html.contains("data-points=\"10\""))
        XCTAssertTrue(html.contains(">inf</text>"), "beta = inf is labelled")
    }

    func testThroughputHistoryIsBounded() {
        var h = ThroughputHistory()
        for t in 0..<5_000 { h.add(seconds: Double(t) / 2, points: t * 10) }
        XCTAssertLessThanOrEqual(h.seconds.count, ThroughputHistory.capacity)
        XCTAssertEqual(h.seconds.first, 0)
        XCTAssertEqual(h.seconds.last, 4_999.0 / 2)
        XCTAssertTrue(h.rates.allSatisfy { abs($0.rate - 20) < 1e-9 }, "a steady 20 games/s")
    }

    /// What each endpoint answers: pages, JSON, metrics, 404, 405, and the token.
    func testRoutesAnswerReadOnlyAndRequireTheToken() throws {
        let plan = try makePlan()
        let observed = ObservedSink(wrapping: MemorySink(), plan: plan)
        let hostile = "<script>alert(1)</script>\u{1b}[2J"
        let board = MonitorBoard(status: makeStatus(done: 3, workers: [(1, hostile, 0.1)], market: "<i>m</i>"), observed: observed, timeoutSeconds: 10)
        try observed.write(plan.evaluate(plan.items[0], threads: 1), item: plan.items[0])
        board.publish(makeStatus(done: 7, workers: [(1, hostile, 0.1)], market: "<i>m</i>"), observed: observed)
        let open = DashboardRoutes(board: board, token: nil)
        for path in DashboardRoutes.paths {
            let r = open.respond(method: "GET", uri: path + "?x=1", authorization: nil)
            XCTAssertEqual(r.status, 200, path)
            let headers = Dictionary(uniqueKeysWithValues: r.headers)
            XCTAssertEqual(headers["Content-Security-Policy"], "default-src 'self'")
            XCTAssertEqual(headers["Cache-Control"], "no-store")
            XCTAssertEqual(headers["X-Content-Type-Options"], "nosniff")
        }
        XCTAssertEqual(open.respond(method: "HEAD", uri: "/", authorization: nil).status, 200)
        XCTAssertEqual(open.respond(method: "POST", uri: "/", authorization: nil).status, 405)
        XCTAssertEqual(open.respond(method: "DELETE", uri: "/api/status", authorization: nil).status, 405)
        XCTAssertEqual(open.respond(method: "GET", uri: "/nope", authorization: nil).status, 404)
        XCTAssertEqual(open.respond(method: "GET", uri: "/api/status", authorization: nil).body, Array(board.snapshot().status.json().utf8))
        let metrics = open.respond(method: "GET", uri: "/metrics", authorization: nil)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: metrics.headers)["Content-Type"], "text/plain; version=0.0.4")
        let science = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(open.respond(method: "GET", uri: "/api/science", authorization: nil).body)) as? [String: Any])
        let markets = try XCTUnwrap(science["markets"] as? [[String: Any]])
        XCTAssertEqual(markets.map { $0["name"] as? String }, plan.markets.map(\.name))
        XCTAssertEqual(markets[0]["points"] as? Int, observed.science.markets[0].plottedCells)

        // Hostile names are text, in the page and in the fragment.
        for path in ["/", "/api/fragment"] {
            let html = String(decoding: open.respond(method: "GET", uri: path, authorization: nil).body, as: UTF8.self)
            XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), html)
            XCTAssertFalse(html.contains("<script>alert"), path)
            XCTAssertFalse(html.contains("<i>m</i>"), path)
            XCTAssertFalse(html.contains("\u{1b}"), path)
            XCTAssertTrue(html.contains("id=\"overall\""), path)
            XCTAssertTrue(html.contains("class=\"market-progress\" data-market=\"&lt;i&gt;m&lt;/i&gt;\""), path)
            XCTAssertTrue(html.contains("class=\"poa-chart\" data-market=\"gsm8k/majority\""), path)
        }

        let secret = "s3cr3t+/="
        let locked = DashboardRoutes(board: board, token: secret)
        for path in DashboardRoutes.paths + ["/nope"] {
            XCTAssertEqual(locked.respond(method: "GET", uri: path, authorization: nil).status, 401, path)
            XCTAssertEqual(locked.respond(method: "GET", uri: path, authorization: "Bearer wrong").status, 401, path)
            XCTAssertEqual(locked.respond(method: "GET", uri: path + "?token=s3cr3t", authorization: nil).status, 401, path)
        }
        XCTAssertEqual(locked.respond(method: "GET", uri: "/metrics", authorization: "Bearer \(secret)").status, 200)
        XCTAssertEqual(locked.respond(method: "GET", uri: "/api/status?token=s3cr3t%2B%2F%3D", authorization: nil).status, 200)
        // The page passes the token on to its script and stylesheet.
        let page = String(decoding: locked.respond(method: "GET", uri: "/?token=s3cr3t%2B%2F%3D", authorization: nil).body, as: UTF8.self)
        XCTAssertTrue(page.contains("src=\"/dashboard.js?token=s3cr3t%2B%2F%3D\""), page)
        XCTAssertTrue(String(decoding: locked.respond(method: "GET", uri: "/dashboard.js?token=s3cr3t%2B%2F%3D", authorization: nil).body, as: UTF8.self)
            .contains("/api/fragment"))
    }
}
