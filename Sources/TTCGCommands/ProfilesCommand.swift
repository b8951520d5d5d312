// `ttcg profiles`: the built-in catalog of provider curves, exporting markets in the
// formats ttcg reads, and (ProfilesIngest.swift) turning raw generation runs into curves.

import ArgumentParser
import Foundation
import GameCore
import Profiles

/// The `profiles` command group.
public struct ProfilesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Provider curves: the built-in catalog, export, ingestion of raw runs.",
        subcommands: [ProfilesList.self, ProfilesShow.self, ProfilesExport.self, ProfilesIngest.self])

    public init() {}
}

/// Loads a market reference for the profiles commands, as a one-line bad-input error.
func resolveMarket(_ reference: String) throws(CommandError) -> Market {
    do {
        return try MarketSource.resolve(reference)
    } catch {
        throw .badInput(error.description)
    }
}

/// `ttcg profiles list`: the catalog markets.
struct ProfilesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the built-in catalog markets.")

    func run() throws {
        var table = TextTable(header: ["market", "dataset", "method", "models", "levels", "alpha"])
        table.rightAligned = [3, 5]
        for m in Catalog.markets {
            table.add([m.name, m.dataset ?? "", m.method ?? "", String(m.providerCount),
                       m.levels.joined(separator: ","), num(m.settings.alpha)])
        }
        print("Built-in catalog (use a name wherever a market file is accepted):")
        print(table.rendered())
        print("\nDefaults: baseline 0.1, margin 0.25, V0 0, linear value (the paper's published settings).")
        print(wrapped(Catalog.provenance))
    }
}

/// `ttcg profiles show MARKET`: one market's curves and settings.
struct ProfilesShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a market's provider curves and default settings.")

    @Argument(help: "A catalog market (gsm8k/best-of-n), a market file or a profile table.")
    var market: String

    func run() throws {
        let m = try resolveMarket(market)
        let s = m.settings
        var block = KeyValueBlock()
        block.add("market", m.name)
        if let d = m.dataset { block.add("dataset", d) }
        if let method = m.method { block.add("method", method) }
        block.add("levels", m.levels.joined(separator: ", "))
        block.add("alpha", "\(num(s.alpha)) $ per unit of accuracy")
        block.add("baseline", num(s.baseline))
        block.add("value curve", describe(s.valueCurve))
        block.add("margin", num(s.margin))
        block.add("V0", num(s.v0))
        let fromCatalog = Catalog.market(named: market) != nil && !FileManager.default.fileExists(atPath: market)
        block.add("source", fromCatalog ? "built-in catalog" : market)
        print(block.rendered(indent: ""))
        if fromCatalog { print(wrapped(Catalog.provenance)) }
        print("")
        for p in m.providers {
            var table = TextTable(header: ["level"] + m.levels)
            table.rightAligned = Set(1...m.levelCount)
            table.add(["accuracy"] + p.accuracy.map { String(format: "%.4f", $0) })
            switch p.pricing {
            case .tokens(let tokens, let perMillion):
                table.add(["tokens"] + tokens.map(num))
                table.add(["price $"] + tokens.map { num($0 * perMillion / 1e6) })
                print("\(p.name)  (\(num(perMillion)) $ per 1M tokens\(p.margin.map { ", margin \(num($0))" } ?? ""))")
            case .costs(let costs):
                table.add(["cost $"] + costs.map(num))
                print("\(p.name)  (costs per query\(p.margin.map { ", margin \(num($0))" } ?? ""))")
            }
            print(table.rendered())
        }
    }

    func describe(_ curve: ValueCurve) -> String {
        switch curve {
        case .linear: return "linear"
        case .power(let g): return "power \(num(g))"
        case .exponential(let k): return "exp \(num(k))"
        }
    }
}

/// `ttcg profiles export MARKET --format csv|yaml|json [--out FILE]`.
struct ProfilesExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a market in a format ttcg reads back (CSV profile table, YAML or JSON market file).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, yaml, json }

    @Argument(help: "A catalog market (gsm8k/best-of-n), a market file or a profile table.")
    var market: String

    @Option(help: "csv (the catalog's columns), yaml or json (docs/market-format.md).")
    var format: Format

    @Option(help: "Write here instead of standard output (refused if it exists, unless --force).")
    var out: String?

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    func run() throws {
        let m = try resolveMarket(market)
        let text: String
        switch format {
        case .yaml: text = MarketFile.render(m)
        case .json: text = MarketFile.renderJSON(m)
        case .csv:
            do { text = try ProfileTable.render([m]) } catch { throw CommandError.badInput("ttcg: --format csv: \(error.description)") }
        }
        guard let out else {
            print(text, terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: out) && !force {
            throw CommandError.badInput("\(out): refusing to overwrite an existing file (use --force)")
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CommandError.failure("\(out): cannot write: \(error.localizedDescription)")
        }
    }
}

/// Wraps prose at 90 columns for terminal output.
func wrapped(_ text: String, width: Int = 90) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += line.isEmpty ? String(word) : " " + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
}
