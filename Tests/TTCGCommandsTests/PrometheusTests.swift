// The coordinator's /metrics (issue 16) scraped by a real Prometheus: Debian's prometheus,
// started by the test with its own config, port and storage, scrapes a running sweep every
// second with the bearer token of the dashboard, as cluster/README.md shows; its query API
// then has the sweep's counts, labelled with the sweep and its spec hash.
//
// `make test` installs prometheus (make test-deps). Without it this test fails; it never skips.

import Foundation
import XCTest

final class PrometheusTests: XCTestCase {
    /// Prometheus's answer to an instant query: each series' labels and value.
    func query(_ port: Int, _ expression: String) -> [(labels: [String: String], value: Double)]? {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        guard let reply = httpGet(port: port, path: "/api/v1/query?query=\(encoded)"), reply.status == 200,
              let object = (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any],
              object["status"] as? String == "success",
              let result = (object["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return nil }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let value = series["value"] as? [Any], value.count == 2,
                  let text = value[1] as? String, let number = Double(text) else { return nil }
            return (labels, number)
        }
    }

    func testPrometheusScrapesTheSweepToItsEnd() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prometheusBinary = try systemProgram("prometheus")

        // The dashboard with a token: every request needs it, Prometheus's scrapes too.
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let tokenFile = dir.appendingPathComponent("http.token")
        try "\(token)\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile.path, 0o600)
        let port = freePort()
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/e2e.yaml",
                                          "--out", dir.appendingPathComponent("p.h5").path, "--bind", "tcp://127.0.0.1:\(port)",
                                          "--http", "127.0.0.1:0", "--http-token-file", tokenFile.path, "--linger", "300"])
        defer { kill(coordinator.process.processIdentifier, SIGKILL) }
        let httpPort = try XCTUnwrap(dashboardPort(of: coordinator), "no 'ttcg: dashboard at' line: \(coordinator.stderr)")
        XCTAssertFalse(coordinator.stderr.contains(token), "the token is in the coordinator's output")
        let bearer = ["Authorization": "Bearer \(token)"]
        let refused = try XCTUnwrap(httpGet(port: httpPort, path: "/metrics"), "no answer from /metrics")
        XCTAssertTrue([401, 403].contains(refused.status), "/metrics without the token: \(refused.status) \(refused.body.prefix(200))")
        XCTAssertFalse(refused.body.contains("ttcg_points_total"))
        let metrics = try XCTUnwrap(httpGet(port: httpPort, path: "/metrics", headers: bearer), "no answer from /metrics")
        XCTAssertEqual(metrics.status, 200, metrics.body)
        for name in ["ttcg_points_total", "ttcg_points_done", "ttcg_points_failed", "ttcg_items_redone_total", "ttcg_workers",
                     "ttcg_dropped_messages_total", "ttcg_results_bytes", "ttcg_games_per_second"] {
            XCTAssertTrue(metrics.body.contains(name), "no \(name) in /metrics:\n\(metrics.body)")
        }

        // Prometheus, scraping every second with the token file.
        let prometheusPort = freePort()
        let config = dir.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: ttcg
                authorization:
                  type: Bearer
                  credentials_file: \(tokenFile.path)
                static_configs:
                  - targets: ["127.0.0.1:\(httpPort)"]
            """.write(to: config, atomically: true, encoding: .utf8)
        let prometheus = try Spawned(prometheusBinary, ["--config.file=\(config.path)",
                                                        "--storage.tsdb.path=\(dir.appendingPathComponent("tsdb").path)",
                                                        "--web.listen-address=127.0.0.1:\(prometheusPort)"])
        defer { prometheus.stop() }
        var deadline = Date().addingTimeInterval(60)
        while Date() < deadline, httpGet(port: prometheusPort, path: "/-/ready")?.status != 200 {
            XCTAssertTrue(prometheus.isRunning, "prometheus exited: \(prometheus.stderr.suffix(2_000))")
            if !prometheus.isRunning { return }
            usleep(200_000)
        }
        XCTAssertEqual(httpGet(port: prometheusPort, path: "/-/ready")?.status, 200, "prometheus not ready: \(prometheus.stderr.suffix(2_000))")

        // The sweep, then the coordinator lingers (serving) while Prometheus scrapes its end.
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "2"])
        let status = try XCTUnwrap(waitForDashboardStatus(port: httpPort, headers: bearer) { $0["finished"] as? Bool == true },
                                   "/api/status never said finished: \(coordinator.stderr)")
        XCTAssertEqual(worker.wait(seconds: 60), 0, worker.stderr)
        let total = try XCTUnwrap(status["points_total"] as? Int)
        XCTAssertEqual(total, 2_460)
        let specHash = try XCTUnwrap(status["spec_hash"] as? String)

        var done: [(labels: [String: String], value: Double)] = []
        deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            done = query(prometheusPort, "ttcg_points_done") ?? []
            if done.first?.value == Double(total) { break }
            usleep(250_000)
        }
        XCTAssertEqual(done.count, 1, "ttcg_points_done series: \(done); prometheus: \(prometheus.stderr.suffix(2_000))")
        let series = try XCTUnwrap(done.first, "Prometheus has no ttcg_points_done")
        XCTAssertEqual(series.value, Double(total), "ttcg_points_done in Prometheus")
        XCTAssertEqual(series.labels["sweep"], "e2e")
        XCTAssertEqual(series.labels["spec_hash"], specHash)
        XCTAssertEqual(series.labels["job"], "ttcg")
        XCTAssertEqual(series.labels["instance"], "127.0.0.1:\(httpPort)")
        let totals = query(prometheusPort, "ttcg_points_total") ?? []
        XCTAssertEqual(totals.map(\.value), [Double(total)], "ttcg_points_total: \(totals)")
        XCTAssertEqual(totals.first?.labels["spec_hash"], specHash)
        XCTAssertEqual(query(prometheusPort, "ttcg_points_failed")?.map(\.value), [0])
        // The workers, by state.
        let workers = query(prometheusPort, "ttcg_workers") ?? []
        XCTAssertFalse(workers.isEmpty, "no ttcg_workers in Prometheus")
        XCTAssertTrue(workers.allSatisfy { $0.labels["state"] != nil && $0.labels["sweep"] == "e2e" }, "\(workers)")
        // Every scrape of the target succeeded since the token was right.
        XCTAssertEqual(query(prometheusPort, "up{job=\"ttcg\"}")?.map(\.value), [1])

        prometheus.stop()
        XCTAssertFalse(prometheus.isRunning)
    }
}
