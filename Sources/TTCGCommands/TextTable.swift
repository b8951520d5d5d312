// Plain-text layout for human reports: aligned columns and short number formats.

import Foundation

/// Columns padded to their widest cell; numeric columns right-aligned so digits line up.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// Indices of right-aligned columns.
    var rightAligned: Set<Int> = []

    mutating func add(_ row: [String]) { rows.append(row) }

    func rendered(indent: String = "  ") -> String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) }
        }
        var lines: [String] = []
        for row in all {
            var cells: [String] = []
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                let last = c == row.count - 1
                cells.append(rightAligned.contains(c) ? pad + cell : (last ? cell : cell + pad))
            }
            lines.append(indent + cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

/// Label/value lines with the values starting in one column.
struct KeyValueBlock {
    var pairs: [(String, String)] = []

    mutating func add(_ key: String, _ value: String) { pairs.append((key, value)) }

    func rendered(indent: String = "  ") -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            indent + key + String(repeating: " ", count: width - key.count + 2) + value
        }.joined(separator: "\n")
    }
}

/// `%.6g`: six significant digits, enough to read dollars-per-query figures that span
/// 1e-6 to 10 without drowning the reader; `--json` carries every digit.
func num(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == 0 { return "0" }
    return String(format: "%.6g", x)
}
