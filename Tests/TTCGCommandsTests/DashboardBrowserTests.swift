// The live dashboard (issue 16) in a real browser: Debian's chromium, headless, loads the page
// a coordinator serves with --http while a real sweep runs, and the tests read the DOM it
// ends with (after dashboard.js has run) and a screenshot. Nothing is mocked: the coordinator,
// the worker and the browser are real processes; a relay between the browser and the
// dashboard only counts requests and marks the fragments it passes on, so that the DOM shows
// whether the page's script fetched them and put them in place.
//
// `make test` installs chromium (make test-deps). Without it these tests fail; they never skip.

import Engine
import Foundation
import Wire
import XCTest

// MARK: - HTTP over a plain socket (no URLSession: one request, one answer, nothing cached)

struct HTTPReply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: String
}

/// The bytes of `reply` so far as an HTTP/1.1 answer: nil until the head and the whole body
/// (Content-Length, chunked, or up to the end of the stream if `ended`) are in.
func parseHTTPReply(_ bytes: [UInt8], ended: Bool) -> HTTPReply? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard bytes.count >= 4, let headEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
    let head = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
    guard let statusLine = head.first, statusLine.hasPrefix("HTTP/"),
          let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(bytes[(headEnd + 4)...])
    if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
        var decoded: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { return nil }
            let sizeText = String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            if size == 0 { break }
            let start = lineEnd + 2
            guard body.count >= start + size + 2 else { return nil }
            decoded += body[start..<start + size]
            i = start + size + 2
        }
        body = decoded
    } else if let length = headers["content-length"].flatMap({ Int($0) }) {
        guard body.count >= length else { return nil }
        body = Array(body[..<length])
    } else if !ended {
        return nil
    }
    return HTTPReply(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
}

/// 127.0.0.1:`port` (0: any free port, to bind).
func loopbackAddress(_ port: Int) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return addr
}

/// Connects to 127.0.0.1:`port`; the socket, or -1.
func connectLoopback(_ port: Int, timeout: Double) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = loopbackAddress(port)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return -1 }
    return fd
}

/// Writes all of `bytes`; false if the peer went away.
func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return false }
        sent += n
    }
    return true
}

/// GET `path` from the server on 127.0.0.1:`port`: nil if it does not answer in `timeout` s.
func httpGet(port: Int, path: String, headers: [String: String] = [:], timeout: Double = 10) -> HTTPReply? {
    let fd = connectLoopback(port, timeout: timeout)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    guard sendAll(fd, Array(request.utf8)) else { return nil }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            bytes += buffer[..<n]
            if let reply = parseHTTPReply(bytes, ended: false) { return reply }
        } else if n == 0 {
            return parseHTTPReply(bytes, ended: true)
        } else if errno != EINTR {
            return nil
        }
    }
    return nil
}

/// `/api/status` of the dashboard on `port`, decoded (the same JSON as `ttcg status --json`).
func dashboardStatus(port: Int, headers: [String: String] = [:]) -> [String: Any]? {
    guard let reply = httpGet(port: port, path: "/api/status", headers: headers), reply.status == 200 else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any]
}

/// Polls `/api/status` until `condition` holds; the last status, or nil after `seconds`.
func waitForDashboardStatus(port: Int, headers: [String: String] = [:], seconds: Double = 120,
                            _ condition: ([String: Any]) -> Bool) -> [String: Any]? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let s = dashboardStatus(port: port, headers: headers), condition(s) { return s }
        usleep(100_000)
    }
    return nil
}

/// The port of `ttcg: dashboard at http://127.0.0.1:PORT/` in a coordinator's stderr, waiting
/// up to `seconds` for the line.
func dashboardPort(of coordinator: Background, seconds: Double = 60) -> Int? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let m = coordinator.stderr.firstMatch(of: /ttcg: dashboard at http:\/\/127\.0\.0\.1:(\d+)\//) { return Int(m.1) }
        if !coordinator.process.isRunning { break }
        usleep(50_000)
    }
    return nil
}

// MARK: - Processes other than ttcg (chromium, prometheus), each in its own process group

/// A program started with posix_spawn in a process group of its own (so that its children, a
/// browser's renderers, end with it), its output in files.
final class Spawned {
    let pid: pid_t
    let dir: URL
    let name: String
    private var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String]) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir.appendingPathComponent("out").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, dir.appendingPathComponent("err").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw MissingBinary(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    var stdout: String { (try? String(contentsOf: dir.appendingPathComponent("out"), encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: dir.appendingPathComponent("err"), encoding: .utf8)) ?? "" }

    /// Reaps the process if it has exited (`block`: waits for it).
    private func reap(block: Bool) {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, block ? 0 : WNOHANG)
            if rc == pid { exitStatus = status; return }
            if rc == 0 { return }
            if errno != EINTR { exitStatus = -1; return }
        }
    }

    var isRunning: Bool { reap(block: false); return exitStatus == nil }

    /// The exit code, once it has exited (a signal counts as 128 + its number).
    var exitCode: Int32? {
        reap(block: false)
        guard let s = exitStatus else { return nil }
        return s & 0x7f == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// Waits up to `seconds` for the exit; then kills the group and returns nil.
    @discardableResult
    func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning {
            kill(-pid, SIGKILL)
            reap(block: true)
            return nil
        }
        kill(-pid, SIGKILL)   // what the program left behind in its group
        return exitCode
    }

    /// SIGTERM to the group, up to 15 s, then SIGKILL.
    func stop() {
        if isRunning {
            kill(-pid, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while isRunning && Date() < deadline { usleep(20_000) }
        }
        kill(-pid, SIGKILL)
        reap(block: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A program the tests need from the system (Debian's packages; `make test-deps` installs them).
func systemProgram(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingBinary(message: "\(name) not found on PATH or in /usr/bin: `make test-deps` installs Debian's \(name) (as root: apt-get install \(name))")
}

// MARK: - chromium

/// Runs headless chromium with a fresh profile in `profile` and `arguments` (a URL last);
/// its stdout (the DOM, with --dump-dom), failing the test if it does not end in `seconds`.
func headlessChromium(_ arguments: [String], profile: URL, seconds: Double = 120,
                      file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let chromium = try systemProgram("chromium")
    // --no-sandbox: the tests run as root (make test in CI), where chromium's sandbox refuses
    // to start. No network beyond the URL: no background fetches, updates or first-run pages.
    let browser = try Spawned(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                         "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                                         "--disable-component-update", "--disable-sync", "--disable-extensions",
                                         "--user-data-dir=\(profile.path)"] + arguments)
    guard let status = browser.wait(seconds: seconds) else {
        XCTFail("chromium \(arguments) did not finish in \(seconds) s; stderr: \(browser.stderr.suffix(2_000))", file: file, line: line)
        return browser.stdout
    }
    XCTAssertEqual(status, 0, "chromium \(arguments): \(browser.stderr.suffix(2_000))", file: file, line: line)
    return browser.stdout
}

/// The DOM of `url` after the page's scripts ran for 3 s of virtual time.
func dumpDOM(_ url: String, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let profile = dir.appendingPathComponent("chromium-\(UUID().uuidString)")
    let dom = try headlessChromium(["--virtual-time-budget=3000", "--dump-dom", url], profile: profile, file: file, line: line)
    XCTAssertTrue(dom.contains("</html>"), "chromium dumped no DOM of \(url): \(dom.prefix(500))", file: file, line: line)
    return dom
}

// MARK: - Reading the dumped DOM

/// The attributes of an open tag such as `<figure class="poa-chart" data-points="10">`.
func attributes(ofTag tag: Substring) -> [String: String] {
    var result: [String: String] = [:]
    for m in tag.matches(of: /\s([A-Za-z_:][-A-Za-z0-9_:.]*)(?:="([^"]*)")?/) {
        result[String(m.1).lowercased()] = m.2.map { decodeEntities(String($0)) } ?? ""
    }
    return result
}

/// An element of the dumped DOM: its name, attributes and outer HTML.
struct DOMElement {
    var name: String
    var attributes: [String: String]
    var html: Substring
}

/// Elements without an end tag in HTML.
let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]

/// Every element (named `name`, if given) whose attributes `keep` accepts, in document order,
/// each with its outer HTML (nested elements of the same name matched to their own end tags).
func elements(_ html: String, _ name: String? = nil, where keep: ([String: String]) -> Bool = { _ in true }) -> [DOMElement] {
    var found: [DOMElement] = []
    for open in html.matches(of: /<([A-Za-z][A-Za-z0-9-]*)(?=[\s>\/])[^>]*>/) {
        let tagName = String(open.1).lowercased()
        if let name, tagName != name { continue }
        let attrs = attributes(ofTag: html[open.range])
        guard keep(attrs) else { continue }
        found.append(DOMElement(name: tagName, attributes: attrs, html: outerHTML(html, from: open.range, name: tagName)))
    }
    return found
}

/// The outer HTML of the element whose open tag is at `open`.
func outerHTML(_ html: String, from open: Range<String.Index>, name: String) -> Substring {
    if html[open].hasSuffix("/>") || voidElements.contains(name) { return html[open] }
    let tags = try! Regex("<(/?)\(NSRegularExpression.escapedPattern(for: name))(?=[\\s>/])[^>]*>").ignoresCase()
    var depth = 0
    for m in html[open.lowerBound...].matches(of: tags) {
        let closing = !(m.output[1].substring?.isEmpty ?? true)
        if closing { depth -= 1 } else if !html[m.range].hasSuffix("/>") { depth += 1 }
        if depth == 0 { return html[open.lowerBound..<m.range.upperBound] }
    }
    return html[open.lowerBound...]
}

/// The element with `id`, outer HTML.
func element(_ html: String, id: String) -> Substring? {
    elements(html, where: { $0["id"] == id }).first?.html
}

func decodeEntities(_ text: String) -> String {
    var s = text
    for m in s.matches(of: /&#(x?)([0-9A-Fa-f]+);/).reversed() {
        if let v = UInt32(m.2, radix: m.1.isEmpty ? 10 : 16), let scalar = Unicode.Scalar(v) {
            s.replaceSubrange(m.range, with: String(Character(scalar)))
        }
    }
    return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
        .replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
}

/// The text a reader sees in `html`: tags removed, entities decoded, white space collapsed.
func visibleText<S: StringProtocol>(_ html: S) -> String {
    let noTags = String(html).replacing(/<[^>]*>/, with: " ")
    return decodeEntities(noTags).split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

/// `12,345`, `12345` or `12 345` as a number.
func number<S: StringProtocol>(_ text: S) -> Int? { Int(String(text.filter(\.isNumber))) }

/// The class list of an element's attributes contains `name`.
func hasClass(_ attrs: [String: String], _ name: String) -> Bool {
    (attrs["class"] ?? "").split(separator: " ").contains { $0 == name }
}

// MARK: - A relay that counts what the page asks for and marks the fragments

/// Between chromium and the dashboard: every request is forwarded to the dashboard and the
/// answer sent back. It counts the requests per path, and in every `/api/fragment` answer it
/// adds `data-relayed="fragment"` to the element of id `overall`: that attribute can only be
/// in the page's DOM if its script fetched a fragment and put it in place.
final class Relay: @unchecked Sendable {
    let port: Int
    let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var closed = false

    init(to target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = loopbackAddress(0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw MissingBinary(message: "relay: cannot listen on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// How many requests for `path` (query string excluded) came through.
    func count(_ path: String) -> Int { lock.withLock { requests[path] ?? 0 } }

    func close() {
        lock.withLock { closed = true }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { Glibc.close(client) }
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8_192)
        while !String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            bytes += buffer[..<n]
        }
        let requestLine = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = requestLine.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return }
        let target = String(parts[1])
        let path = String(target.split(separator: "?", maxSplits: 1).first ?? "")
        lock.withLock { requests[path, default: 0] += 1 }
        guard var reply = httpGet(port: self.target, path: target, timeout: 30) else { return }
        if path == "/api/fragment" {
            reply.body = reply.body.replacingOccurrences(of: "id=\"overall\"", with: "id=\"overall\" data-relayed=\"fragment\"")
                .replacingOccurrences(of: "id=\\\"overall\\\"", with: "id=\\\"overall\\\" data-relayed=\\\"fragment\\\"")
        }
        let body = Array(reply.body.utf8)
        var head = "HTTP/1.1 \(reply.status) Relayed\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for name in ["content-type", "cache-control"] {
            if let value = reply.headers[name] { head += "\(name): \(value)\r\n" }
        }
        head += "\r\n"
        _ = sendAll(client, Array(head.utf8) + body)
    }

    deinit { if !lock.withLock({ closed }) { close() } }
}

// MARK: - The tests

final class DashboardBrowserTests: XCTestCase {
    /// One catalog market, 5 betas (inf among them) x 2 margins x 4 seeds: 40 games, and 10
    /// (beta, margin) cells in the market's price-of-anarchy chart.
    let smallSpec = """
        name: dashboard-browser
        markets: [gsm8k/majority]
        axes:
          beta: [1, 10, 100, 1000, inf]
          margin: [0.1, 0.5]
          seed: {range: [0, 4]}
        outputs: {chunk: 4}
        """
    let market = "gsm8k/majority"
    let games = 40, cells = 10

    /// The checks of a finished sweep's page, on the DOM chromium ends with.
    func checkFinishedPage(_ dom: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let overall = try XCTUnwrap(element(dom, id: "overall"), "no id=overall in the DOM: \(dom.prefix(3_000))", file: file, line: line)
        let progress = try XCTUnwrap(elements(String(overall), "progress", where: { $0["id"] == "overall-progress" }).first,
                                     "no progress id=overall-progress in \(overall)", file: file, line: line)
        XCTAssertEqual(progress.attributes["value"].flatMap(number), games, String(progress.html), file: file, line: line)
        XCTAssertEqual(progress.attributes["max"].flatMap(number), games, String(progress.html), file: file, line: line)
        let text = visibleText(overall)
        XCTAssertTrue(text.contains("\(games) / \(games) games"), text, file: file, line: line)
        XCTAssertTrue(text.contains("finished"), text, file: file, line: line)
        // The market's own progress.
        let bars = elements(dom, where: { hasClass($0, "market-progress") && $0["data-market"] == market })
        XCTAssertEqual(bars.count, 1, "market-progress of \(market): \(bars.map(\.html))", file: file, line: line)
        // Live science: the market's PoA chart has every (beta, margin) cell, one circle each.
        let science = try XCTUnwrap(element(dom, id: "science"), "no id=science", file: file, line: line)
        let charts = elements(String(science), "figure", where: { hasClass($0, "poa-chart") && $0["data-market"] == market })
        XCTAssertEqual(charts.count, 1, "poa-chart of \(market) in \(science.prefix(3_000))", file: file, line: line)
        if let chart = charts.first {
            XCTAssertEqual(chart.attributes["data-points"].flatMap(number), cells, String(chart.html.prefix(500)), file: file, line: line)
            XCTAssertEqual(elements(String(chart.html), "circle", where: { hasClass($0, "poa-point") }).count, cells,
                           String(chart.html.prefix(3_000)), file: file, line: line)
        }
        XCTAssertEqual(elements(String(science), "figure", where: { hasClass($0, "welfare-chart") && $0["data-market"] == market }).count, 1,
                       "welfare-chart of \(market)", file: file, line: line)
        // The other panels.
        let throughput = try XCTUnwrap(element(dom, id: "throughput"), "no id=throughput", file: file, line: line)
        XCTAssertTrue(throughput.contains("<svg"), "throughput is not an SVG chart: \(throughput.prefix(500))", file: file, line: line)
        let workers = try XCTUnwrap(element(dom, id: "workers"), "no id=workers", file: file, line: line)
        XCTAssertTrue(workers.contains("<table") || workers.hasPrefix("<table"), String(workers.prefix(500)), file: file, line: line)
        XCTAssertTrue(visibleText(workers).contains(ProcessInfo.processInfo.hostName),
                      "the worker's host is not in the workers table: \(visibleText(workers))", file: file, line: line)
        XCTAssertNotNil(element(dom, id: "failures"), "no id=failures", file: file, line: line)
        // Nothing fetched from elsewhere: every script, stylesheet and image is the dashboard's own.
        for (name, attribute) in [("script", "src"), ("link", "href"), ("img", "src")] {
            for e in elements(dom, name) {
                if let url = e.attributes[attribute] {
                    XCTAssertTrue(url.hasPrefix("/") && !url.hasPrefix("//"), "\(name) \(attribute)=\(url) is not the dashboard's own", file: file, line: line)
                }
            }
        }
    }

    /// A finished sweep in chromium: the progress at its total, the market's chart with every
    /// cell, the fragment fetched and put in place by the page's script, and a screenshot.
    func testFinishedSweepInChromium() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("dashboard.yaml")
        try smallSpec.write(to: spec, atomically: true, encoding: .utf8)
        let port = freePort(), httpPort = freePort()
        let coordinator = try Background(["coordinator", spec.path, "--out", dir.appendingPathComponent("d.h5").path,
                                          "--bind", "tcp://127.0.0.1:\(port)", "--http", "127.0.0.1:\(httpPort)", "--linger", "120"])
        defer { kill(coordinator.process.processIdentifier, SIGTERM); coordinator.wait(seconds: 30) }
        XCTAssertEqual(try XCTUnwrap(dashboardPort(of: coordinator), "no 'ttcg: dashboard at' line: \(coordinator.stderr)"), httpPort)
        XCTAssertTrue(waitForListener(httpPort), "nothing listens on the dashboard's port: \(coordinator.stderr)")
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        let status = try XCTUnwrap(waitForDashboardStatus(port: httpPort) { $0["finished"] as? Bool == true },
                                   "/api/status never said finished: \(coordinator.stderr)")
        XCTAssertEqual(status["points_done"] as? Int, games)
        XCTAssertEqual(status["points_total"] as? Int, games)
        XCTAssertEqual(worker.wait(seconds: 60), 0, worker.stderr)
        // The board is published twice a second: wait until the served page has the end.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !(httpGet(port: httpPort, path: "/")?.body.contains("finished") ?? false) { usleep(100_000) }

        let url = "http://127.0.0.1:\(httpPort)/"
        let dom = try dumpDOM(url, in: dir)
        try checkFinishedPage(dom)
        let scripts = elements(dom, "script")
        XCTAssertEqual(scripts.map { $0.attributes["src"] ?? "inline" }, ["/dashboard.js"], "the page's scripts")
        // The script's own line: it has fetched a fragment (the server renders something else).
        let connection = visibleText(try XCTUnwrap(element(dom, id: "connection"), "no id=connection"))
        XCTAssertTrue(connection.hasPrefix("live, updated"), "dashboard.js did not update the page: \(connection)")

        // Through the relay: the page's script asked for the fragment and swapped it in.
        let relay = try Relay(to: httpPort)
        defer { relay.close() }
        let relayed = try dumpDOM("http://127.0.0.1:\(relay.port)/", in: dir)
        XCTAssertEqual(relay.count("/"), 1)
        XCTAssertGreaterThanOrEqual(relay.count("/dashboard.js"), 1)
        XCTAssertGreaterThanOrEqual(relay.count("/api/fragment"), 1, "dashboard.js never fetched /api/fragment")
        let overall = try XCTUnwrap(elements(relayed, where: { $0["id"] == "overall" }).first)
        XCTAssertEqual(overall.attributes["data-relayed"], "fragment",
                       "the element of id overall is not the one of a fetched fragment: \(overall.html.prefix(500))")
        try checkFinishedPage(relayed)

        // A screenshot, as a test artifact (look at it: `make test` prints the path).
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("ttcg-dashboard.png")
        try? FileManager.default.removeItem(at: png)
        _ = try headlessChromium(["--virtual-time-budget=3000", "--hide-scrollbars", "--window-size=1280,1600",
                                  "--screenshot=\(png.path)", url], profile: dir.appendingPathComponent("chromium-shot"))
        let data = try Data(contentsOf: png)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG: \(png.path)")
        XCTAssertGreaterThan(data.count, 20_000, "a near-empty screenshot (\(data.count) bytes): \(png.path)")
        print("dashboard screenshot: \(png.path) (\(data.count) bytes)")
    }

    /// In the middle of a sweep: a worker frozen (SIGSTOP) once results are in holds the
    /// progress still, and the page shows exactly what /api/status says, short of the total.
    func testMidSweepPageShowsTheProgressSoFar() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        // slow.yaml: every equilibrium of 7 providers, 40 betas x 3 margins x 20 seeds = 2,400 games.
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/slow.yaml",
                                          "--out", dir.appendingPathComponent("slow.h5").path, "--bind", "tcp://127.0.0.1:\(port)",
                                          "--http", "127.0.0.1:0", "--timeout-ms", "120000", "--linger", "1"])
        defer { kill(coordinator.process.processIdentifier, SIGKILL) }
        let httpPort = try XCTUnwrap(dashboardPort(of: coordinator), "no 'ttcg: dashboard at' line: \(coordinator.stderr)")
        let worker = try Background(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--threads", "1"])
        defer { kill(worker.process.processIdentifier, SIGCONT) }
        _ = try XCTUnwrap(waitForDashboardStatus(port: httpPort) { ($0["points_done"] as? Int ?? 0) > 0 }, "no progress: \(coordinator.stderr)")
        kill(worker.process.processIdentifier, SIGSTOP)
        // Results already sent still arrive: wait until the count holds for 1.5 s (the board
        // is published twice a second).
        var held = dashboardStatus(port: httpPort)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            usleep(1_500_000)
            let next = dashboardStatus(port: httpPort)
            if let a = held?["points_done"] as? Int, a == next?["points_done"] as? Int { break }
            held = next
        }
        let done = try XCTUnwrap(held?["points_done"] as? Int)
        let total = try XCTUnwrap(held?["points_total"] as? Int)
        XCTAssertEqual(total, 2_400)
        let dom = try dumpDOM("http://127.0.0.1:\(httpPort)/", in: dir)
        kill(worker.process.processIdentifier, SIGCONT)
        let overall = try XCTUnwrap(element(dom, id: "overall"), String(dom.prefix(3_000)))
        let progress = try XCTUnwrap(elements(String(overall), "progress", where: { $0["id"] == "overall-progress" }).first)
        XCTAssertEqual(progress.attributes["max"].flatMap(number), total)
        if done < total {
            // Monotone facts only: the frozen sweep is part way, and the page says how far.
            print("mid-sweep page: \(done) / \(total) games")
            XCTAssertEqual(progress.attributes["value"].flatMap(number), done)
            let text = visibleText(overall)
            XCTAssertNotNil(text.firstMatch(of: /([\d,  ]+) \/ ([\d,  ]+) games/).flatMap { number($0.1) == done && number($0.2) == total ? true : nil },
                            "expected \(done) / \(total) games in: \(text)")
            XCTAssertFalse(text.contains("finished"), text)
        } else {
            print("mid-sweep page: the sweep was over before its worker was frozen (\(done) of \(total)); only the end is checked")
        }
        // Every chart shows only cells it has points for, one circle each, never more than
        // the grid's 40 betas x 3 margins.
        let chart = try XCTUnwrap(elements(dom, "figure", where: { hasClass($0, "poa-chart") }).first, "no poa-chart")
        let points = try XCTUnwrap(chart.attributes["data-points"].flatMap(number))
        XCTAssertLessThanOrEqual(points, 120)
        XCTAssertEqual(elements(String(chart.html), "circle", where: { hasClass($0, "poa-point") }).count, points)
        // And the sweep goes on to its end.
        XCTAssertEqual(worker.wait(seconds: 300), 0, worker.stderr)
        XCTAssertEqual(coordinator.wait(seconds: 60), 0, coordinator.stderr)
    }

    /// A worker whose HELLO names its host `<script>alert(1)</script>` and an escape code: the
    /// browser shows that name as text in the workers table, and the page runs no script but
    /// its own.
    func testAHostileHostNameIsTextInTheBrowser() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freePort()
        let coordinator = try Background(["coordinator", "Tests/TTCGCommandsTests/Fixtures/e2e.yaml",
                                          "--out", dir.appendingPathComponent("h.h5").path, "--bind", "tcp://127.0.0.1:\(port)",
                                          "--http", "127.0.0.1:0"])
        defer { kill(coordinator.process.processIdentifier, SIGKILL) }
        let httpPort = try XCTUnwrap(dashboardPort(of: coordinator), "no 'ttcg: dashboard at' line: \(coordinator.stderr)")
        XCTAssertTrue(waitForListener(port), coordinator.stderr)
        let evil = "<script>alert(1)</script>\u{1b}[2J"
        let context = try ZMQContext()
        let peer = try context.socket(.dealer)
        defer { peer.close() }
        try peer.connect("tcp://127.0.0.1:\(port)")
        _ = try peer.send(Codec.encode(.hello(Hello(host: evil, pid: 7, threads: 1))))
        XCTAssertNotNil(try peer.receive(timeout: .seconds(10)), "no welcome")
        // Until the page has the worker (the board is published twice a second).
        let deadline = Date().addingTimeInterval(60)
        var served = ""
        while Date() < deadline {
            served = httpGet(port: httpPort, path: "/")?.body ?? ""
            if served.contains("alert(1)") { break }
            usleep(100_000)
        }
        XCTAssertTrue(served.contains("alert(1)"), "the worker never appeared on the page: \(served.prefix(3_000))")
        XCTAssertFalse(served.contains("<script>alert"), "served unescaped")
        XCTAssertFalse(served.contains("\u{1b}"), "served an escape code")

        let dom = try dumpDOM("http://127.0.0.1:\(httpPort)/", in: dir)
        let workers = try XCTUnwrap(element(dom, id: "workers"), String(dom.prefix(3_000)))
        XCTAssertTrue(visibleText(workers).contains("<script>alert(1)</script>"), "the host is not shown as text: \(workers)")
        XCTAssertTrue(visibleText(workers).contains("[2J"), "the escape code is not shown as text: \(workers)")
        XCTAssertFalse(dom.contains("\u{1b}"), "an escape code reached the DOM")
        XCTAssertEqual(elements(dom, "script").map { $0.attributes["src"] ?? "inline: \($0.html)" }, ["/dashboard.js"],
                       "a script other than the page's own is in the DOM")
    }
}
