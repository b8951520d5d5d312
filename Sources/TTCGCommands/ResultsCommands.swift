// Reading results back: `ttcg inspect` prints what a results file holds and the sweep's
// summary; `ttcg export` flattens it to one tidy row per grid point.

import ArgumentParser
import Foundation
import Sweep
import Engine
import Profiles
import ResultStore

/// `ttcg inspect FILE`.
public struct Inspect: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print what a results file holds and the sweep's summary.")

    @Argument(help: "A results file written by ttcg run or ttcg coordinator.")
    var file: String

    @Flag(help: "Print one JSON object (counts, markets, summary) instead of the text.")
    var json = false

    @Option(help: ArgumentHelp("Print only this field of the --json object, one line per --get: as JSON with --json (what scripts should use), else bare text.",
                               valueName: "key"))
    var get: [String] = []

    public init() {}

    public func run() throws {
        let reader: ResultsReader
        do {
            reader = try ResultsReader(path: file)
        } catch {
            throw CommandError.badInput("\(error)")
        }
        if json || !get.isEmpty {
            let document: JSONValue
            do {
                // The summary reads every status column: only when it is printed.
                let summary = json || get.contains("markets") ? try reader.summary() : nil
                document = InspectJSON.document(file: file, reader, summary: summary)
            } catch {
                throw CommandError.failure("ttcg inspect: \(file): \(error)")
            }
            guard !get.isEmpty, case .object(let fields) = document else { print(document.rendered()); return }
            var lines: [String] = []
            for key in get {
                guard let value = fields.first(where: { $0.0 == key })?.1 else {
                    throw CommandError.badInput("--get \(printable(key)): expected a field of ttcg inspect --json (\(fields.map(\.0).joined(separator: ", ")))")
                }
                lines.append(json ? value.rendered(pretty: false) : InspectJSON.plain(value))
            }
            print(lines.joined(separator: "\n"))
            return
        }
        print("\(printable(file)): sweep \(printable(reader.job)), spec hash \(reader.specHash.prefix(12)), ttcg \(reader.ttcgVersion)")
        print("  started \(reader.startedAt), finished \(reader.finishedAt.isEmpty ? "-" : reader.finishedAt), \(reader.completed ? "completed" : "NOT completed")")
        print("  \(grouped(reader.pointsDone)) of \(grouped(reader.pointsTotal)) games done, \(grouped(reader.pointsFailed)) failed")
        for m in reader.markets {
            print("  \(printable(m.group)): \(m.providers.count) providers x \(m.levels.count) levels, \(grouped(m.pointCount)) points, axes " +
                  zip(m.axes.map(\.name), m.shape).filter { $0.1 > 1 }.map { "\($0.0)[\($0.1)]" }.joined(separator: " "))
        }
        print("")
        do {
            print(renderSummary(try reader.summary()))
        } catch {
            throw CommandError.failure("ttcg inspect: \(file): \(error)")
        }
    }
}

/// `ttcg export FILE --format csv|json --out PATH`.
public struct Export: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one tidy row per grid point (CSV or JSON) from a results file.")

    @Argument(help: "A results file written by ttcg run or ttcg coordinator.")
    var file: String

    @Option(help: "csv or json.")
    var format: ExportFormatArgument

    @Option(help: "Where to write.")
    var out: String

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    public init() {}

    public func run() throws {
        if FileManager.default.fileExists(atPath: out) && !force {
            throw CommandError.badInput("\(out): refusing to overwrite an existing file (use --force)")
        }
        let reader: ResultsReader
        do {
            reader = try ResultsReader(path: file)
        } catch {
            throw CommandError.badInput("\(error)")
        }
        do {
            let rows = try reader.export(format: format.format, to: out)
            FileHandle.standardError.write(Data("ttcg export: \(grouped(rows)) rows -> \(out)\n".utf8))
        } catch {
            throw CommandError.failure("ttcg export: \(error)")
        }
    }
}

enum ExportFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case csv, json
    var format: ExportFormat { self == .csv ? .csv : .json }
}
