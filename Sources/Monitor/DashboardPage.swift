// The dashboard's HTML, rendered on the server from a snapshot: the whole page (complete
// without JavaScript) and the content of its `<main id="dashboard">`, which the page's
// script fetches every second and swaps in. Every string from outside is escaped.

import Engine
import Foundation
import Sweep

public enum DashboardPage {
    /// The whole page. `token` (the server's, when it has one) is passed on to the script
    /// and stylesheet URLs, and read by the script for its own requests.
    public static func page(_ snapshot: MonitorSnapshot, token: String?) -> String {
        let s = snapshot.status
        let query = token.map { "?token=" + htmlEscaped(percentEncoded($0)) } ?? ""
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ttcg: \(htmlEscaped(s.job))</title>
        <link rel="stylesheet" href="/dashboard.css\(query)">
        <script src="/dashboard.js\(query)" defer></script>
        </head>
        <body>
        <header><h1>ttcg sweep <span id="sweep-name">\(htmlEscaped(s.job))</span></h1>
        <p class="spec">spec hash <code>\(htmlEscaped(s.specHash))</code> · <span id="connection">updated by the server at each load</span></p></header>
        <main id="dashboard">
        \(fragment(snapshot))
        </main>
        </body>
        </html>

        """
    }

    /// The content of `<main id="dashboard">`.
    public static func fragment(_ snapshot: MonitorSnapshot) -> String {
        [overall(snapshot.status), markets(snapshot.status), throughput(snapshot.history), workers(snapshot.workers),
         failures(snapshot.failures, status: snapshot.status), science(snapshot.science)].joined(separator: "\n")
    }

    static func overall(_ s: SweepStatus) -> String {
        let percent = s.pointsTotal > 0 ? Int((100 * Double(s.pointsDone) / Double(s.pointsTotal)).rounded(.down)) : 100
        var line = "<span class=\"count\">\(grouped(s.pointsDone)) / \(grouped(s.pointsTotal)) games</span> (\(percent)%)"
        line += " · <span class=\"rate\">\(grouped(Int(s.gamesPerSecond.isFinite ? s.gamesPerSecond.rounded() : 0))) games/s</span>"
        if s.finished {
            line += " · <strong class=\"finished\">finished</strong> in \(clock(s.elapsedSeconds))"
        } else {
            line += " · <span class=\"eta\">ETA \(s.etaSeconds.map(clock) ?? "estimating")</span> · running \(clock(s.elapsedSeconds))"
        }
        var items = "items: \(grouped(s.itemsDone)) done, \(grouped(s.itemsLeased)) leased, \(grouped(s.itemsQueued)) queued, \(grouped(s.itemsFailed)) failed of \(grouped(s.itemsTotal))"
        if s.pointsFailed > 0 { items += "; \(grouped(s.pointsFailed)) games failed" }
        if s.itemsRedone + s.itemsCopied + s.leasesExpired > 0 {
            items += "; \(s.itemsRedone) re-queued, \(s.itemsCopied) tail copies, \(s.leasesExpired) leases past their deadline"
        }
        if s.droppedMalformed + s.droppedDuplicate + s.droppedNotLeased > 0 {
            items += "; dropped \(s.droppedMalformed) malformed, \(s.droppedDuplicate) duplicate, \(s.droppedNotLeased) not leased"
        }
        return """
        <section id="overall" data-done="\(s.pointsDone)" data-total="\(s.pointsTotal)" data-finished="\(s.finished)">
        <h2>Progress</h2>
        <progress id="overall-progress" value="\(s.pointsDone)" max="\(max(s.pointsTotal, 1))">\(percent)%</progress>
        <p class="summary">\(line)</p>
        <p class="items">\(items)</p>
        </section>
        """
    }

    static func markets(_ s: SweepStatus) -> String {
        var out = "<section id=\"markets\">\n<h2>Markets</h2>\n"
        for m in s.markets {
            let name = htmlEscaped(m.name)
            out += "<div class=\"market-progress\" data-market=\"\(name)\" data-done=\"\(m.pointsDone)\" data-total=\"\(m.pointsTotal)\">"
                + "<span class=\"market-name\">\(name)</span> <progress value=\"\(m.pointsDone)\" max=\"\(max(m.pointsTotal, 1))\"></progress> "
                + "<span class=\"count\">\(grouped(m.pointsDone)) / \(grouped(m.pointsTotal))</span></div>\n"
        }
        return out + "</section>"
    }

    static func throughput(_ h: ThroughputHistory) -> String {
        "<section id=\"throughput\">\n<h2>Throughput</h2>\n\(Charts.throughput(h))\n</section>"
    }

    static func workers(_ rows: [WorkerRow]) -> String {
        var out = "<section id=\"workers\" data-count=\"\(rows.count)\">\n<h2>Workers</h2>\n"
        guard !rows.isEmpty else { return out + "<p>no workers connected yet</p>\n</section>" }
        out += "<table><thead><tr><th>worker</th><th>host</th><th>pid</th><th>threads</th><th>items done</th><th>items/s</th><th>last heard</th><th>state</th></tr></thead>\n<tbody>\n"
        for w in rows {
            out += "<tr class=\"worker\" data-state=\"\(htmlEscaped(w.state))\"><td>\(w.id)</td><td class=\"host\">\(htmlEscaped(w.host))</td><td>\(w.pid)</td><td>\(w.threads)</td>"
                + "<td>\(grouped(w.itemsDone))</td><td>\(fixed(w.itemsPerSecond, 2))</td><td>\(fixed(w.lastHeard, 1)) s ago</td>"
                + "<td class=\"state\">\(htmlEscaped(w.state))</td></tr>\n"
        }
        return out + "</tbody></table>\n</section>"
    }

    static func failures(_ log: FailureLog, status: SweepStatus) -> String {
        var out = "<section id=\"failures\" data-count=\"\(log.totalPoints)\">\n<h2>Failures</h2>\n"
        guard !log.records.isEmpty else { return out + "<p>no failed games</p>\n</section>" }
        out += "<p>\(grouped(log.totalPoints)) games failed\(log.records.count == FailureLog.capacity ? "; the last \(FailureLog.capacity) records" : "")</p>\n"
        out += "<table><thead><tr><th>market</th><th>point</th><th>message</th></tr></thead>\n<tbody>\n"
        for r in log.records.reversed() {
            let point = r.points == 1 ? "\(r.point)" : "\(r.point)–\(r.point + r.points - 1)"
            out += "<tr class=\"failure\"><td>\(htmlEscaped(r.market))</td><td>\(point)</td><td class=\"message\">\(htmlEscaped(r.message))</td></tr>\n"
        }
        return out + "</tbody></table>\n</section>"
    }

    static func science(_ science: LiveScience) -> String {
        var out = "<section id=\"science\">\n<h2>Live science</h2>\n"
        out += "<p>From the games finished so far: mean over seeds at the market's alpha, the other axes at their first value.</p>\n"
        for m in science.markets {
            let name = htmlEscaped(m.name)
            out += "<div class=\"market-science\" data-market=\"\(name)\">\n<h3>\(name)</h3>\n"
            out += "<figure class=\"poa-chart\" data-market=\"\(name)\" data-points=\"\(m.plottedCells)\">\(Charts.poa(m))"
                + "<figcaption>Price of anarchy against beta (alpha \(htmlEscaped(m.alphaLabel)); \(m.plottedCells) of \(m.poaCount.count) cells)</figcaption></figure>\n"
            out += "<figure class=\"welfare-chart\" data-market=\"\(name)\">\(Charts.welfare(m))"
                + "<figcaption>Market versus auction welfare at beta = \(betaText(m.betas[m.tableBetaIndex])), $1e-3 per query</figcaption></figure>\n"
            out += "</div>\n"
        }
        return out + "</section>"
    }

    /// `token` for a URL query: everything but unreserved characters percent-encoded.
    static func percentEncoded(_ token: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return token.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
