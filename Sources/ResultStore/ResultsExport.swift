// `ttcg export`: one tidy row per grid point (CSV, or JSON lines in an array), for tools
// that do not read HDF5. Streams market by market; numbers keep every digit.

import Foundation
import Profiles

public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, json
}

/// The export's columns, in order.
public let exportColumns = [
    "dataset", "method", "market", "point", "beta", "margin", "alpha", "v0", "value_curve", "seed",
    "rule", "order", "start", "tolerance", "max_rounds", "status", "converged", "steps", "rounds", "moves",
    "welfare_eq", "welfare_opt", "poa", "market_user_value", "market_price", "market_provider_utility",
    "auction_winner", "auction_runner_up", "auction_winner_level", "auction_payment", "auction_user_value",
    "auction_winner_utility", "auction_welfare", "equilibria_count", "poa_worst", "price_of_stability",
    "eq_profile", "error",
]

extension ResultsReader {
    /// Writes every grid point as a row to `path` (atomically: a temporary file renamed
    /// at the end). Returns the number of rows.
    @discardableResult
    public func export(format: ExportFormat, to path: String) throws -> Int {
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: tmp, contents: nil) else {
            throw HDF5Error(kind: .invalidArgument, file: path, object: nil, action: "cannot export", detail: "cannot create the file")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        var rows = 0
        func flush(force: Bool = false) throws {
            if force || buffer.utf8.count > (1 << 20) {
                try handle.write(contentsOf: Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        do {
            if format == .csv { buffer += exportColumns.joined(separator: ",") + "\n" } else { buffer += "[\n" }
            for m in markets.indices {
                let sm = markets[m]
                let n = sm.providers.count
                let status = try bytes("status", market: m), converged = try bytes("converged", market: m)
                let ints = try ["steps", "rounds", "moves", "auction_winner", "auction_runner_up", "auction_winner_level"]
                    .reduce(into: [String: [Int32]]()) { $0[$1] = try self.ints($1, market: m) }
                let doubles = try ["welfare_eq", "welfare_opt", "poa", "market_user_value", "market_price", "market_provider_utility",
                                   "auction_payment", "auction_user_value", "auction_winner_utility", "auction_welfare",
                                   "poa_worst", "price_of_stability"]
                    .reduce(into: [String: [Double]]()) { $0[$1] = try self.doubles($1, market: m) }
                let count = try longs("equilibria_count", market: m)
                let profile = try self.ints("eq_profile", market: m)
                let errors = Dictionary(try self.errors(market: m), uniquingKeysWith: { a, _ in a })
                func name(_ i: Int32) -> String { i >= 0 && Int(i) < n ? sm.providers[Int(i)] : "" }
                for local in 0..<sm.pointCount {
                    let ix = sm.indices(of: local)
                    var cells: [(String, Bool)] = [(sm.dataset, true), (sm.method, true), (sm.name, true), (String(sm.firstPoint + local), false)]
                    for (k, axis) in sm.axes.enumerated() { cells.append((axis.labels[ix[k]], axis.values == nil || axis.labels[ix[k]] == "inf")) }
                    cells.append((["pending", "done", "failed"][Int(min(status[local], 2))], true))
                    cells.append((String(converged[local]), false))
                    for c in ["steps", "rounds", "moves"] { cells.append((String(ints[c]![local]), false)) }
                    for c in ["welfare_eq", "welfare_opt", "poa", "market_user_value", "market_price", "market_provider_utility"] {
                        cells.append(number(doubles[c]![local]))
                    }
                    cells.append((name(ints["auction_winner"]![local]), true))
                    cells.append((name(ints["auction_runner_up"]![local]), true))
                    cells.append((String(ints["auction_winner_level"]![local]), false))
                    for c in ["auction_payment", "auction_user_value", "auction_winner_utility", "auction_welfare"] {
                        cells.append(number(doubles[c]![local]))
                    }
                    cells.append((String(count[local]), false))
                    cells.append(number(doubles["poa_worst"]![local]))
                    cells.append(number(doubles["price_of_stability"]![local]))
                    cells.append((profile[(local * n)..<((local + 1) * n)].map { String($0) }.joined(separator: " "), true))
                    cells.append((errors[sm.firstPoint + local] ?? "", true))
                    if format == .csv {
                        buffer += cells.map { csvQuoted($0.0) }.joined(separator: ",") + "\n"
                    } else {
                        buffer += (rows == 0 ? "  {" : ",\n  {")
                        buffer += zip(exportColumns, cells).map { key, cell in
                            "\"\(key)\": " + (cell.1 ? jsonQuoted(cell.0) : cell.0)
                        }.joined(separator: ", ") + "}"
                    }
                    rows += 1
                    try flush()
                }
            }
            if format == .json { buffer += "\n]\n" }
            try flush(force: true)
            try handle.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        return rows
    }
}

/// A number cell: JSON has no NaN or infinity, so those become strings there (and stay
/// `nan` / `inf` in CSV).
func number(_ x: Double) -> (String, Bool) {
    (formatNumberForExport(x), !x.isFinite)
}
