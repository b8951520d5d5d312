// Reading a results file back: what ran, each market's axes and columns as flat
// row-major arrays. `ttcg inspect`, `ttcg export` and the end-of-run summary use it.

import Foundation
import Sweep

/// One axis of a market group: its name and values (numbers where numeric) and labels.
public struct StoredAxis: Sendable, Equatable {
    public var name: String
    /// Text of each value (`inf` for perfect rationality), as exports print it.
    public var labels: [String]
    /// Numeric values, or nil for text axes (value_curve, rule, order, start).
    public var values: [Double]?
}

/// One market group of a results file.
public struct StoredMarket: Sendable, Equatable {
    public var group: String
    public var name: String
    public var dataset: String
    public var method: String
    public var providers: [String]
    public var levels: [String]
    public var axes: [StoredAxis]
    public var firstPoint: Int
    public var pointCount: Int
    public var shape: [Int] { axes.map(\.labels.count) }

    /// Axis indices of a row-major local point index.
    public func indices(of local: Int) -> [Int] {
        var rest = local
        var out = [Int](repeating: 0, count: axes.count)
        for k in stride(from: axes.count - 1, through: 0, by: -1) {
            out[k] = rest % axes[k].labels.count
            rest /= axes[k].labels.count
        }
        return out
    }
}

/// An open results file.
public final class ResultsReader {
    public let path: String
    let file: H5File
    public let specText: String
    public let specHash: String
    public let job: String
    public let ttcgVersion: String
    public let startedAt: String
    public let finishedAt: String
    public let completed: Bool
    public let pointsTotal: Int
    public let pointsDone: Int
    public let pointsFailed: Int
    public let markets: [StoredMarket]

    /// Whether `path` is a regular file that is a ttcg results file (what `--force` may replace).
    public static func isResultsFile(path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              let file = try? H5File.open(path, mode: .readOnly) else { return false }
        defer { try? file.close() }
        return (try? file.stringAttribute("format")) == "ttcg-results"
    }

    public init(path: String) throws {
        self.path = path
        file = try H5File.open(path, mode: .readOnly)
        guard (try? file.stringAttribute("format")) == "ttcg-results" else {
            throw HDF5Error(kind: .invalidArgument, file: path, object: nil, action: "cannot read the results",
                            detail: "not a ttcg results file (no format = ttcg-results attribute)")
        }
        let version = try file.attribute("format_version", as: Int64.self)
        guard version == resultsFormatVersion else {
            throw HDF5Error(kind: .invalidArgument, file: path, object: nil, action: "cannot read the results",
                            detail: "results format version \(version); this ttcg reads version \(resultsFormatVersion)")
        }
        specText = try file.stringAttribute("spec")
        specHash = try file.stringAttribute("spec_hash")
        job = try file.stringAttribute("job")
        ttcgVersion = try file.stringAttribute("ttcg_version")
        startedAt = try file.stringAttribute("started_at")
        finishedAt = try file.stringAttribute("finished_at")
        completed = try file.attribute("completed", as: Int64.self) == 1
        pointsTotal = Int(try file.attribute("points_total", as: Int64.self))
        pointsDone = Int(try file.attribute("points_done", as: Int64.self))
        pointsFailed = Int(try file.attribute("points_failed", as: Int64.self))
        var markets: [StoredMarket] = []
        for group in try file.stringArrayAttribute("market_groups") {
            let g = try file.openGroup(group)
            var axes: [StoredAxis] = []
            for name in axisNames {
                let d = try g.openDataset(name)
                switch name {
                case "value_curve", "rule", "order", "start":
                    axes.append(StoredAxis(name: name, labels: try d.readStrings(), values: nil))
                case "seed", "max_rounds":
                    let v = try d.read(as: Int64.self)
                    axes.append(StoredAxis(name: name, labels: v.map { String($0) }, values: v.map(Double.init)))
                default:
                    let v = try d.read(as: Double.self)
                    axes.append(StoredAxis(name: name, labels: v.map { $0 == .infinity ? "inf" : formatNumberForExport($0) }, values: v))
                }
            }
            markets.append(StoredMarket(
                group: group, name: try g.stringAttribute("market"), dataset: try g.stringAttribute("dataset"),
                method: try g.stringAttribute("method"), providers: try g.stringArrayAttribute("providers"),
                levels: try g.stringArrayAttribute("levels"), axes: axes,
                firstPoint: Int(try g.attribute("first_point", as: Int64.self)),
                pointCount: Int(try g.attribute("point_count", as: Int64.self))))
        }
        self.markets = markets
    }

    /// A column of a market, flat in row-major order (per-provider columns: point-major,
    /// providers innermost).
    public func doubles(_ column: String, market: Int) throws -> [Double] {
        try file.openGroup(markets[market].group).openDataset(column).read(as: Double.self)
    }

    public func ints(_ column: String, market: Int) throws -> [Int32] {
        try file.openGroup(markets[market].group).openDataset(column).read(as: Int32.self)
    }

    public func longs(_ column: String, market: Int) throws -> [Int64] {
        try file.openGroup(markets[market].group).openDataset(column).read(as: Int64.self)
    }

    public func bytes(_ column: String, market: Int) throws -> [UInt8] {
        try file.openGroup(markets[market].group).openDataset(column).read(as: UInt8.self)
    }

    /// Failed points of a market: (global point, message).
    public func errors(market: Int) throws -> [(Int, String)] {
        let g = try file.openGroup(markets[market].group + "/errors")
        let points = try g.openDataset("point").read(as: Int64.self)
        let messages = try g.openDataset("message").readStrings()
        return zip(points, messages).map { (Int($0), $1) }
    }

    /// Every trajectory value of a market as bit patterns, in file order (empty without
    /// trajectories): for comparing two files exactly.
    public func trajectoryDigest(market: Int) throws -> [UInt64] {
        let path = markets[market].group + "/trajectories"
        guard try file.contains(path) else { return [] }
        let t = try file.openGroup(path)
        var out: [UInt64] = []
        for name in ["point", "first_row", "row_count"] { out += try t.openDataset(name).read(as: Int64.self).map { UInt64(bitPattern: $0) } }
        for name in ["profile", "visited"] { out += try t.openDataset(name).read(as: Int32.self).map { UInt64(UInt32(bitPattern: $0)) } }
        for name in ["share", "utility", "welfare", "potential", "inefficiency"] { out += try t.openDataset(name).read(as: Double.self).map(\.bitPattern) }
        out += try t.openDataset("moved").read(as: UInt8.self).map { UInt64($0) }
        return out
    }

    public func close() throws { try file.close() }
}

/// Shortest round-trip text of a double (what exports write).
public func formatNumberForExport(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}
