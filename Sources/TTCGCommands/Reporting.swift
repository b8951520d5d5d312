// Shared by the sweep commands: the progress line, the event log, and the dispatch options.

import ArgumentParser
import Engine
import Foundation
import Profiles

/// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise.
final class ProgressPrinter {
    let terminal = isatty(2) == 1
    var lastPlain = Date.distantPast
    var drewBar = false

    func update(_ s: SweepStatus) {
        if terminal {
            let width = 30
            let fraction = s.pointsTotal > 0 ? Double(s.pointsDone) / Double(s.pointsTotal) : 1
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(s.progressLine)   ".utf8))
            drewBar = true
        } else if Date().timeIntervalSince(lastPlain) >= 5 || s.finished {
            lastPlain = Date()
            FileHandle.standardError.write(Data("ttcg: \(s.progressLine)\n".utf8))
        }
    }

    func end() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// How `ttcg coordinator` and `ttcg worker` write their event log on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// `ttcg coordinator: 2026-12-03T13:52:50.123Z worker 1 joined: ...`
    case text
    /// `{"time": "2026-12-03T13:52:50.123Z", "source": "coordinator", "message": "worker 1 joined: ..."}`
    case json
}

/// A log function for `source` ("coordinator", "worker"): one line per event, timestamped.
func eventLogger(_ source: String, format: LogFormat) -> @Sendable (String) -> Void {
    { message in
        let time = utcTimestamp()
        let line: String
        switch format {
        case .text: line = "ttcg \(source): \(time) \(message)"
        case .json: line = "{\"time\": \"\(time)\", \"source\": \(jsonQuoted(source)), \"message\": \(jsonQuoted(message))}"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Now in UTC, ISO 8601 with milliseconds (`2026-12-03T13:52:50.123Z`): the time of a log line.
func utcTimestamp(_ date: Date = Date()) -> String {
    date.formatted(.iso8601.year().month().day().timeZone(separator: .omitted).time(includingFractionalSeconds: true).timeSeparator(.colon).dateSeparator(.dash).dateTimeSeparator(.standard))
}

/// How the coordinator hands out work (`ttcg run` and `ttcg coordinator`; docs/protocol.md).
struct DispatchOptions: ParsableArguments {
    @Option(help: "Estimated seconds of work a worker holds at most (at least two items).")
    var lookaheadSeconds: Double = 1

    @Option(help: "A lease also expires when its item runs past 10x its estimate and at least this many seconds.")
    var itemTimeout: Double = 60

    @Option(help: "Lease nothing until this many workers have joined (then go on whoever leaves): a sweep that starts on all of them.")
    var minWorkers: Int = 1

    func validate() throws {
        guard minWorkers >= 1 && minWorkers <= 1024 else { throw ValidationError("--min-workers: expected 1...1024, got \(minWorkers)") }
        guard lookaheadSeconds >= 0 && lookaheadSeconds <= 3600 else { throw ValidationError("--lookahead-seconds: expected seconds in 0...3600, got \(lookaheadSeconds)") }
        guard itemTimeout > 0 && itemTimeout.isFinite else { throw ValidationError("--item-timeout: expected seconds > 0, got \(itemTimeout)") }
    }

    func apply(to options: inout CoordinatorOptions) {
        options.lookaheadSeconds = lookaheadSeconds
        options.itemTimeoutSeconds = itemTimeout
        options.minWorkers = minWorkers
    }
}
