// The output of ingestion (the catalog's columns, then intervals and question counts) and
// the price table it reads. Both are plain CSV.

import Foundation

/// The ingestion table: `dataset,method,model,level_index,level,accuracy,tokens_per_query,
/// price_per_mtok,accuracy_lo,accuracy_hi,tokens_lo,tokens_hi,questions`. The first eight
/// columns are those of the catalog (`ProfileTable.requiredColumns`).
public enum CurveCSV {
    public static let columns = ["dataset", "method", "model", "level_index", "level", "accuracy", "tokens_per_query",
                                 "price_per_mtok", "accuracy_lo", "accuracy_hi", "tokens_lo", "tokens_hi", "questions"]

    /// The table as CSV text (header, one row per point, `\n` line ends).
    public static func render(_ points: [CurvePoint]) -> String {
        var out = columns.joined(separator: ",") + "\n"
        for p in points {
            let e = p.estimate
            let cells = [cell(p.dataset), p.method.rawValue, cell(p.model), String(p.levelIndex), String(e.level),
                         number(e.accuracy), number(e.tokens), p.pricePerMillionTokens.map { "\($0)" } ?? "",
                         number(e.accuracyLow), number(e.accuracyHigh), number(e.tokensLow), number(e.tokensHigh),
                         String(e.questions)]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// At most 6 decimals, trailing zeros dropped: 0.5, 192, 0.576012.
    static func number(_ x: Double) -> String {
        var s = String(format: "%.6f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        if s == "-0" { s = "0" }
        return s
    }

    /// A CSV cell, quoted when it holds a comma, a quote or a line break.
    static func cell(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes `text` to `path` atomically (a temporary file in the same directory, then
    /// rename), refusing to replace an existing file unless `force`.
    public static func write(_ text: String, to path: String, force: Bool) throws(IngestionError) {
        let fm = FileManager.default
        if !force, fm.fileExists(atPath: path) {
            throw .path(path, "refusing to overwrite an existing file (use --force)")
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw .path(path, "cannot write: the directory \(dir.path) does not exist")
        }
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try Data(text.utf8).write(to: temp)
        } catch {
            try? fm.removeItem(at: temp)
            throw .path(path, "cannot write: \(error.localizedDescription)")
        }
        if !force, fm.fileExists(atPath: path) {
            try? fm.removeItem(at: temp)
            throw .path(path, "refusing to overwrite an existing file (use --force)")
        }
        guard rename(temp.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: temp)
            throw .path(path, "cannot write: \(reason)")
        }
    }
}

/// `--price-table FILE`: CSV with a header holding `model` and `price_per_mtok` (dollars
/// per 1M tokens); other columns are ignored.
public enum PriceTable {
    public static func load(path: String) throws(IngestionError) -> [String: Double] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw .path(path, exists ? "cannot read the price table (expected UTF-8 CSV text)" : "cannot read the price table: no such file")
        }
        return try parse(csv: text, source: path)
    }

    public static func parse(csv text: String, source: String) throws(IngestionError) -> [String: Double] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let header = lines.first else {
            throw .path(source, "expected a CSV header 'model,price_per_mtok', got an empty file")
        }
        let columns = ProfileTable.splitCSV(header).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let mi = columns.firstIndex(of: "model") else {
            throw .path(source, field: "model", "expected a column 'model' in the header (model,price_per_mtok)")
        }
        guard let pi = columns.firstIndex(of: "price_per_mtok") else {
            throw .path(source, field: "price_per_mtok", "expected a column 'price_per_mtok' in the header (model,price_per_mtok)")
        }
        var prices: [String: Double] = [:]
        for (k, raw) in lines.enumerated().dropFirst() {
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = ProfileTable.splitCSV(raw).map { $0.trimmingCharacters(in: .whitespaces) }
            let at = "\(source):\(k + 1)"
            guard cells.count == columns.count else {
                throw .path(at, "expected \(columns.count) cells like the header, got \(cells.count)")
            }
            let model = cells[mi]
            guard !model.isEmpty else { throw .path(at, field: "model", "expected a model name, got an empty cell") }
            guard let price = Double(cells[pi]), price.isFinite, price >= 0 else {
                throw .path(at, field: "price_per_mtok", "expected a number >= 0 (dollars per 1M tokens), got '\(cells[pi])'")
            }
            guard prices[model] == nil else {
                throw .path(at, field: "model", "expected each model once, got '\(model)' again")
            }
            prices[model] = price
        }
        return prices
    }
}
