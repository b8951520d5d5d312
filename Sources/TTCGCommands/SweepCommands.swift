// The sweep commands: validate a spec, run one on this machine, or run its coordinator
// and workers separately (a cluster), watch it, and read the results back. Parsing and
// printing only; the work is in Sweep, Engine and ResultStore.

import ArgumentParser
import Engine
import Foundation
import GameCore
import Profiles
import ResultStore
import Sweep

/// Loads and plans a spec; bad input becomes exit 2 with the spec's one line. What a worker
/// would refuse (a welcome above its caps) is refused here, before any file is made.
func loadPlan(_ path: String) throws(CommandError) -> (SweepPlan, [String]) {
    let plan: SweepPlan, json: [String]
    do {
        let spec = try SweepSpec.load(path: path)
        let markets = try SweepPlan.resolveMarkets(spec)
        (plan, json) = (try SweepPlan(spec: spec, markets: markets), markets.map(MarketFile.renderJSON))
    } catch {
        throw .badInput(error.description)
    }
    if let refusal = Welcome(plan: plan, marketsJSON: json, heartbeatMilliseconds: 0, timeoutMilliseconds: 0).refusal {
        throw .badInput("\(path): \(refusal)")
    }
    return (plan, json)
}

/// Opens the results of a sweep: a fresh start (refusing existing results without
/// `--force`) or, with `--resume`, the continuation of its journal.
func openSession(_ path: String, plan: SweepPlan, force: Bool, resume: Bool, snapshotSeconds: Double) throws(CommandError) -> ResultsSession {
    if force && resume { throw .badInput("ttcg: --force and --resume: expected one of them, got both") }
    do {
        if resume {
            return try ResultsSession.resume(resultsPath: path, plan: plan, ttcgVersion: BuildInfo.version,
                                             snapshotSeconds: snapshotSeconds) {
                FileHandle.standardError.write(Data("ttcg: \($0)\n".utf8))
            }
        }
        return try ResultsSession.start(resultsPath: path, plan: plan, ttcgVersion: BuildInfo.version, force: force,
                                        snapshotSeconds: snapshotSeconds)
    } catch {
        throw CommandError(exitCode: error.exitCode, line: error.description)
    }
}

/// CURVE options of a coordinator (`--curve-secret`, `--authorized-keys`), or nil.
func serverCurve(secret: String?, authorized: String?) throws(CommandError) -> CurveServerConfig? {
    switch (secret, authorized) {
    case (nil, nil): return nil
    case (let s?, let a?):
        do { return try CurveServerConfig.load(secretFile: s, authorizedKeysDirectory: a) } catch {
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
    default: throw .badInput("ttcg: --curve-secret and --authorized-keys: expected both or neither")
    }
}

/// The CURVE options of a client (`ttcg worker`, `ttcg status`).
struct ClientKeys: ParsableArguments {
    @Option(help: "CURVE: this client's secret key file (ttcg keygen writes worker.key).")
    var curveSecret: String?

    @Option(help: "CURVE: the coordinator's public key file (coordinator.pub).")
    var serverKey: String?

    /// The client's CURVE configuration, or nil without keys.
    func load() throws(CommandError) -> CurveClientConfig? {
        switch (curveSecret, serverKey) {
        case (nil, nil): return nil
        case (let s?, let p?):
            do { return try CurveClientConfig.load(secretFile: s, serverKeyFile: p) } catch {
                throw CommandError(exitCode: error.exitCode, line: error.description)
            }
        default: throw .badInput("ttcg: --curve-secret and --server-key: expected both or neither")
        }
    }
}

/// SIGINT and SIGTERM ask the coordinator to stop; the journal keeps what was accepted.
final class SignalWatch {
    var sources: [DispatchSourceSignal] = []
    init(_ flag: StopFlag) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.request() }
            source.resume()
            sources.append(source)
        }
    }
}

/// The end of a coordinator's run: finished, interrupted, or the results could not be stored.
func conclude(_ coordinator: Coordinator, _ session: ResultsSession, _ final: SweepStatus, out: String, command: String) throws(CommandError) {
    if let fatal = coordinator.fatalStore {
        session.abandon()
        // The remedy depends on what ran out: descriptors (EMFILE, ENFILE) or the disk.
        let remedy = fatal.contains("Too many open files") ? "raise the limit on open files (ulimit -n)" : "free the space"
        throw CommandError(exitCode: 1, line: "\(command): cannot store results: \(fatal); accepted results are safe in \(session.journalPath): \(remedy), then continue with --resume",
                           immediate: session.mustExitImmediately)
    }
    if coordinator.interrupted {
        session.abandon()
        throw .failure("\(command): interrupted after \(grouped(final.pointsDone)) of \(grouped(final.pointsTotal)) games; \(out) holds them (not completed); continue with --resume")
    }
    do {
        try session.finish()
    } catch {
        throw .failure("\(command): \(out): \(error)")
    }
}

/// `ttcg run SPEC`: a coordinator in this process and N worker processes over loopback.
public struct Run: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep on this machine: a coordinator and worker processes over loopback, results in HDF5.")

    @Argument(help: "The sweep spec (YAML, docs/sweep-format.md).")
    var spec: String

    @Option(help: "Worker processes (default 1, using every core).")
    var workers: Int = 1

    @Option(help: "Threads per worker (default: the cores divided among the workers).")
    var threads: Int?

    @Option(help: "The results file (HDF5).")
    var out: String = "results.h5"

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @Flag(help: "Continue the sweep whose journal is beside --out (after a crash or an interrupt).")
    var resume = false

    @Option(help: "Least seconds between snapshots of --out that readers can open while the sweep runs (then once the results doubled or 5 minutes passed).")
    var snapshotSeconds: Double = 5

    @Option(help: "Also answer `ttcg status` here (e.g. tcp://127.0.0.1:5556).")
    var statusBind: String?

    @Flag(help: "Allow a plaintext --status-bind reachable from other machines.")
    var insecure = false

    @Option(help: "At the end, write timings here (JSON: setup_seconds from the start to the first item leased, sweep_seconds from the first item leased to the last result stored, run_seconds, worker_busy_seconds the workers reported playing items, tail_seconds from the last queued item leased to the end, longest_item_seconds, and the coordinator's peak_rss_bytes, cpu_user_seconds, cpu_system_seconds; workers not included).")
    var stats: String?

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var monitor: MonitorOptions

    public init() {}

    public func validate() throws {
        guard snapshotSeconds > 0 && snapshotSeconds.isFinite else { throw ValidationError("--snapshot-seconds: expected seconds > 0, got \(snapshotSeconds)") }
        guard workers >= 1 && workers <= 256 else { throw ValidationError("--workers: expected 1...256, got \(workers)") }
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads: expected 1...1024, got \(threads)") }
    }

    public func run() throws {
        let runStarted = monotonicSeconds()
        let http = try monitor.resolve(insecure: insecure)
        let (plan, json) = try loadPlan(spec)
        let session = try openSession(out, plan: plan, force: force, resume: resume, snapshotSeconds: snapshotSeconds)
        let dashboard = http.map { SweepDashboard($0, wrapping: session, plan: plan) }
        var options = CoordinatorOptions(bind: "tcp://127.0.0.1:*", statusBind: statusBind)
        options.insecure = insecure
        dispatch.apply(to: &options)
        options.heartbeatMilliseconds = 500
        options.timeoutMilliseconds = 10_000
        // The linger tells late workers the sweep is over and answers status clients; with
        // no status socket it ends as soon as this run's own workers have exited.
        let poolBox = WorkerPool.Box()
        if statusBind == nil { options.lingerEnds = { poolBox.pool?.allExited ?? false } }
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(plan: plan, sink: dashboard?.observed ?? session, options: options, marketsJSON: json, alreadyDone: session.doneItems)
        } catch {
            if resume { session.abandon() } else { session.discard() }
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        do {
            try dashboard?.start(coordinator, timeoutSeconds: Double(options.timeoutMilliseconds) / 1000)
        } catch {
            if resume { session.abandon() } else { session.discard() }
            throw error
        }
        defer { dashboard?.stop() }
        let signals = SignalWatch(coordinator.stop)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let perWorker = threads ?? max(1, cores / workers)
        let pool = WorkerPool(endpoint: coordinator.endpoint, count: workers, threads: perWorker)
        try pool.start()
        poolBox.pool = pool
        let progress = ProgressPrinter()
        let started = Date()
        let final: SweepStatus
        do {
            final = try coordinator.run { status in
                progress.update(status)
                dashboard?.publish(status)
                pool.respawnExited(finished: status.finished)
            }
        } catch {
            progress.end()
            pool.stop()
            session.abandon()
            throw CommandError.failure("ttcg run: \(error)")
        }
        progress.end()
        if coordinator.interrupted { pool.stop() } else { pool.waitOrStop() }
        _ = signals
        try conclude(coordinator, session, final, out: out, command: "ttcg run")
        let seconds = Date().timeIntervalSince(started)
        print("ttcg run: \(plan.spec.name): \(grouped(final.pointsDone)) games in \(String(format: "%.1f", seconds)) s "
              + "(\(grouped(Int(Double(final.pointsDone) / max(seconds, 1e-9)))) games/s, \(workers) worker\(workers == 1 ? "" : "s") x \(perWorker) threads) -> \(out)")
        try printSummary(out)
        if let stats {
            try writeProcessStats(to: stats, extra: ["sweep_seconds": coordinator.sweepSeconds, "run_seconds": monotonicSeconds() - runStarted,
                                                    "setup_seconds": (coordinator.firstLeaseTime ?? runStarted) - runStarted,
                                                    "worker_busy_seconds": coordinator.workerBusySeconds,
                                                    "tail_seconds": coordinator.tailSeconds, "longest_item_seconds": coordinator.longestItemSeconds])
        }
        if final.pointsFailed > 0 {
            throw CommandError.failure("ttcg run: \(final.pointsFailed) of \(final.pointsTotal) games failed; see the errors groups of \(out)")
        }
    }
}

func printSummary(_ path: String) throws(CommandError) {
    do {
        let reader = try ResultsReader(path: path)
        print(renderSummary(try reader.summary()))
        try reader.close()
    } catch {
        throw .failure("ttcg: \(path): cannot summarise: \(error)")
    }
}

/// `ttcg coordinator SPEC --out FILE --bind ENDPOINT`.
public struct CoordinatorCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Serve a sweep's work items to workers and write the results (the only writer).")

    @Argument(help: "The sweep spec (YAML, docs/sweep-format.md).")
    var spec: String

    @Option(help: "The results file (HDF5).")
    var out: String

    @Option(help: "Where workers connect (ZeroMQ endpoint, e.g. tcp://0.0.0.0:5555).")
    var bind: String = "tcp://127.0.0.1:5555"

    @Option(help: "The event log on stderr: text (one timestamped line per event) or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Where `ttcg status` connects (e.g. tcp://127.0.0.1:5556).")
    var statusBind: String?

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @Flag(help: "Continue the sweep whose journal is beside --out (after a crash or an interrupt).")
    var resume = false

    @Option(help: "Least seconds between snapshots of --out that readers can open while the sweep runs (then once the results doubled or 5 minutes passed).")
    var snapshotSeconds: Double = 5

    @Option(help: "Milliseconds between heartbeats.")
    var heartbeatMs: UInt32 = 1000

    @Option(help: "Milliseconds of silence after which a worker loses its items.")
    var timeoutMs: UInt32 = 10_000

    @Option(help: "Attempts per work item before it is recorded as failed.")
    var attempts: Int = 3

    @Option(help: "Seconds to keep answering status and late workers after the last item.")
    var linger: Double = 2

    @Option(help: "CURVE: the coordinator's secret key file (ttcg keygen writes coordinator.key).")
    var curveSecret: String?

    @Option(help: "CURVE: a directory of the public keys (*.pub) of the workers and status clients to admit.")
    var authorizedKeys: String?

    @Flag(help: "Allow plaintext traffic on an endpoint reachable from other machines (no CURVE keys).")
    var insecure = false

    @Option(help: "At the end, write this process's peak memory and CPU time here (JSON: peak_rss_bytes, cpu_user_seconds, cpu_system_seconds, sweep_seconds: first item leased to last result stored, worker_busy_seconds: what the workers reported playing items, tail_seconds: last queued item leased to the end, longest_item_seconds).")
    var stats: String?

    @OptionGroup var dispatch: DispatchOptions

    @OptionGroup var monitor: MonitorOptions

    public init() {}

    public func validate() throws {
        guard snapshotSeconds > 0 && snapshotSeconds.isFinite else { throw ValidationError("--snapshot-seconds: expected seconds > 0, got \(snapshotSeconds)") }
        guard heartbeatMs >= 10 else { throw ValidationError("--heartbeat-ms: expected >= 10, got \(heartbeatMs)") }
        guard timeoutMs > heartbeatMs else { throw ValidationError("--timeout-ms: expected more than --heartbeat-ms (\(heartbeatMs)), got \(timeoutMs)") }
        guard attempts >= 1 else { throw ValidationError("--attempts: expected >= 1, got \(attempts)") }
        guard linger >= 0 && linger <= 3600 else { throw ValidationError("--linger: expected seconds in 0...3600, got \(linger)") }
    }

    public func run() throws {
        let http = try monitor.resolve(insecure: insecure)
        let (plan, json) = try loadPlan(spec)
        let session = try openSession(out, plan: plan, force: force, resume: resume, snapshotSeconds: snapshotSeconds)
        let dashboard = http.map { SweepDashboard($0, wrapping: session, plan: plan) }
        var options = CoordinatorOptions(bind: bind, statusBind: statusBind)
        options.heartbeatMilliseconds = heartbeatMs
        options.timeoutMilliseconds = timeoutMs
        options.maxAttempts = attempts
        dispatch.apply(to: &options)
        options.lingerSeconds = linger
        options.curve = try serverCurve(secret: curveSecret, authorized: authorizedKeys)
        options.insecure = insecure
        options.log = eventLogger("coordinator", format: logFormat)
        session.log = options.log
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(plan: plan, sink: dashboard?.observed ?? session, options: options, marketsJSON: json, alreadyDone: session.doneItems)
        } catch {
            if resume { session.abandon() } else { session.discard() }
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        do {
            try dashboard?.start(coordinator, timeoutSeconds: Double(timeoutMs) / 1000, json: logFormat)
        } catch {
            if resume { session.abandon() } else { session.discard() }
            throw error
        }
        defer { dashboard?.stop() }
        let signals = SignalWatch(coordinator.stop)
        FileHandle.standardError.write(Data("ttcg coordinator: \(plan.spec.name): \(grouped(plan.pointCount)) games in \(grouped(plan.items.count)) items; workers connect to \(coordinator.endpoint)\(coordinator.statusEndpoint.map { ", status at \($0)" } ?? "")\n".utf8))
        let progress = ProgressPrinter()
        let final = try coordinator.run {
            progress.update($0)
            dashboard?.publish($0)
        }
        progress.end()
        _ = signals
        try conclude(coordinator, session, final, out: out, command: "ttcg coordinator")
        try printSummary(out)
        if let stats { try writeProcessStats(to: stats, extra: ["sweep_seconds": coordinator.sweepSeconds, "worker_busy_seconds": coordinator.workerBusySeconds,
                                                    "tail_seconds": coordinator.tailSeconds, "longest_item_seconds": coordinator.longestItemSeconds]) }
        if final.pointsFailed > 0 {
            throw CommandError.failure("ttcg coordinator: \(final.pointsFailed) of \(final.pointsTotal) games failed; see the errors groups of \(out)")
        }
    }
}

/// `ttcg worker --connect ENDPOINT`.
public struct WorkerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Play a coordinator's work items until the sweep is done.")

    @Option(help: "The coordinator's endpoint (e.g. tcp://HOST:5555).")
    var connect: String

    @Option(help: "Threads for the games of an item (default: every core).")
    var threads: Int = 0

    @Option(help: "Seconds to wait for a coordinator (at start and after losing one).")
    var connectTimeout: Double = 30

    @Option(help: "The event log on stderr: text (one timestamped line per event) or json (one object per line).")
    var logFormat: LogFormat = .text

    @OptionGroup var keys: ClientKeys

    public init() {}

    public func validate() throws {
        guard threads >= 0 && threads <= 1024 else { throw ValidationError("--threads: expected 0...1024, got \(threads)") }
        guard connectTimeout > 0 && connectTimeout.isFinite else { throw ValidationError("--connect-timeout: expected seconds > 0") }
    }

    public func run() throws {
        var options = WorkerOptions(connect: connect)
        options.threads = threads
        options.connectTimeoutSeconds = connectTimeout
        options.curve = try keys.load()
        let worker: Worker
        do {
            worker = try Worker(options: options, log: eventLogger("worker", format: logFormat))
        } catch {
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        let exit: WorkerExit
        do {
            exit = try worker.run()
        } catch {
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        switch exit {
        case .done: return
        case .refused(let reason): throw CommandError.badInput("ttcg worker: refused by the coordinator at \(connect): \(reason)")
        case .timedOut(let why): throw CommandError.failure("ttcg worker: \(why)")
        }
    }
}

/// `ttcg status --connect ENDPOINT`.
public struct StatusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running sweep's progress and workers (from the coordinator's --status-bind).")

    @Option(help: "The coordinator's status endpoint (e.g. tcp://HOST:5556).")
    var connect: String

    @Flag(help: "Refresh every second until the sweep ends.")
    var watch = false

    @Flag(help: "Print JSON (one object per refresh).")
    var json = false

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    @OptionGroup var keys: ClientKeys

    public init() {}

    public func run() throws {
        let curve = try keys.load()
        let client: StatusClient
        do {
            client = try StatusClient(connect: connect, curve: curve)
        } catch {
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        while true {
            guard let s = client.fetch(timeoutSeconds: timeout) else {
                throw CommandError.failure("ttcg status: no answer from \(connect) within \(formatNumber(timeout)) s (is the coordinator running with --status-bind?)")
            }
            print(json ? s.json() : render(s))
            if !watch || s.finished { return }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    func render(_ s: SweepStatus) -> String {
        var out = "\(s.job)  spec \(s.specHash.prefix(12))  \(s.finished ? "finished" : "running") \(clock(s.elapsedSeconds))\n"
        out += "  \(s.progressLine)\n"
        out += "  items: \(s.itemsDone) done, \(s.itemsLeased) leased, \(s.itemsQueued) queued, \(s.itemsFailed) failed (of \(s.itemsTotal))\n"
        if s.droppedMalformed + s.droppedDuplicate + s.droppedNotLeased + s.refusedPeers + s.refusedConnections + s.failedHandshakes > 0 {
            out += "  dropped: \(s.droppedMalformed) malformed, \(s.droppedDuplicate) duplicate, \(s.droppedNotLeased) not leased; \(s.refusedPeers) refused; "
                + "\(s.failedHandshakes) failed handshakes; \(s.refusedConnections) connections over the cap\n"
        }
        if s.itemsRedone + s.itemsCopied + s.leasesExpired > 0 {
            out += "  redone: \(s.itemsRedone) re-queued, \(s.itemsCopied) tail copies, \(s.leasesExpired) leases past their deadline\n"
        }
        if s.markets.count > 1 {
            var markets = TextTable(header: ["market", "games done", "of", ""])
            markets.rightAligned = [1, 2, 3]
            for m in s.markets {
                let percent = m.pointsTotal > 0 ? 100 * m.pointsDone / m.pointsTotal : 100
                markets.add([printable(m.name), grouped(m.pointsDone), grouped(m.pointsTotal), "\(percent)%"])
            }
            out += markets.rendered() + "\n"
        }
        var table = TextTable(header: ["worker", "host", "pid", "threads", "state", "items done", "busy", "leased", "heard"])
        table.rightAligned = [0, 2, 3, 5, 6, 7, 8]
        for w in s.workers {
            table.add([String(w.id), printable(w.host), String(w.pid), String(w.threads), w.state, String(w.itemsDone),
                       String(format: "%.1f s", w.busySeconds), String(w.leased), String(format: "%.1f s ago", w.lastHeartbeatAge)])
        }
        out += s.workers.isEmpty ? "  no workers connected" : table.rendered()
        return out
    }
}
