// A bound on how deeply a YAML (or JSON) text nests, computed before the text reaches the
// YAML parser. The parser and the tree it builds recurse once per level, so a small file of
// thousands of `[` (or of `- - - ...`) overflows the stack (issue 14, case 2); ttcg's specs
// and markets nest a handful of levels, so anything deeper is refused with one line.
//
// The bound errs upward (it is never meant to fall below the true depth) and stays close
// for ordinary files:
// - flow collections: every `[` or `{` outside quotes and comments opens a level;
// - block collections: each open one sits at its own column, and a column holds at most two
//   (a mapping and a sequence written at the mapping's indentation), so the depth is at most
//   twice the number of strictly increasing columns open at a line: its indentation and
//   the indicators that start it (`- `, `? `, a `key:`), on top of the lines above.
// Brackets inside plain or block scalars count too, and opening brackets inside what looks
// like a quoted scalar: a bound may overcount, never undercount (up to quotes this scan
// misreads, which the margin between `limit` and the thousands of levels that overflow covers).

/// The deepest nesting found and the line (1-based) where the bound first passed `limit`.
public struct YAMLNesting: Sendable, Equatable {
    /// The most levels a document may nest (specs and markets need fewer than 10).
    public static let limit = 64

    public var depth: Int
    public var line: Int

    /// Scans `text`, stopping at the first line whose bound exceeds `limit`.
    public static func bound(_ text: String, limit: Int = YAMLNesting.limit) -> YAMLNesting {
        var columns: [Int] = []     // strictly increasing columns of open block nodes
        var flow = 0                // open `[` and `{`
        var deepest = 0
        var line = 1
        var utf8 = Array(text.utf8)
        utf8.append(UInt8(ascii: "\n"))
        var i = 0
        let n = utf8.count
        func push(_ column: Int) { if columns.last.map({ column > $0 }) ?? true { columns.append(column) } }
        while i < n {
            // One line: its indentation (block context only), its leading indicators, then
            // brackets, quotes and comments to its end.
            var column = 0
            while i < n && utf8[i] == UInt8(ascii: " ") { i += 1; column += 1 }
            if flow == 0 && i < n && utf8[i] != UInt8(ascii: "\n") && utf8[i] != UInt8(ascii: "#") {
                while let top = columns.last, top > column { columns.removeLast() }
                push(column)
                // `- ` and `? ` indicators, possibly several (`- - x`), then maybe a key.
                while i + 1 < n && (utf8[i] == UInt8(ascii: "-") || utf8[i] == UInt8(ascii: "?"))
                        && (utf8[i + 1] == UInt8(ascii: " ") || utf8[i + 1] == UInt8(ascii: "\n")) {
                    push(column)
                    i += 1; column += 1
                    while i < n && utf8[i] == UInt8(ascii: " ") { i += 1; column += 1 }
                    push(column)
                }
            }
            // The rest of the line; a quoted scalar may go on over several lines.
            var quote: UInt8 = 0
            var previous = UInt8(ascii: " ")
            while i < n && (utf8[i] != UInt8(ascii: "\n") || quote != 0) {
                let c = utf8[i]
                if quote != 0 {
                    if c == UInt8(ascii: "\n") {
                        line += 1
                    } else if c == quote {
                        // '' inside a single-quoted scalar is an escaped quote.
                        if quote == UInt8(ascii: "'") && i + 1 < n && utf8[i + 1] == quote { i += 1 } else { quote = 0 }
                    } else if quote == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") {
                        i += 1
                    } else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                        flow += 1   // (a quote this scan mistook may hide a real bracket)
                        deepest = max(deepest, 2 * columns.count + flow)
                    }
                } else if c == UInt8(ascii: "#") && (previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t")) {
                    while i < n && utf8[i] != UInt8(ascii: "\n") { i += 1 }
                    break
                } else if (c == UInt8(ascii: "'") || c == UInt8(ascii: "\"")) && Self.mayStartScalar(after: previous) {
                    quote = c
                } else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    flow += 1
                    deepest = max(deepest, 2 * columns.count + flow)
                } else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                    flow = max(0, flow - 1)
                }
                previous = c
                i += 1
            }
            let depth = 2 * columns.count + flow
            if depth > deepest { deepest = depth }
            if deepest > limit { return YAMLNesting(depth: deepest, line: line) }
            i += 1
            line += 1
        }
        return YAMLNesting(depth: deepest, line: line)
    }

    /// Whether a quote after `previous` may open a quoted scalar (a quote inside a plain
    /// scalar, as in `it's`, is text). Generous on purpose: taking text for a quote only
    /// stops closing brackets from counting, so the bound can only grow.
    static func mayStartScalar(after previous: UInt8) -> Bool {
        switch previous {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","),
             UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "?"): return true
        default: return false
        }
    }

    /// The refusal, for a file's error line; nil when the text nests within `limit`.
    public static func refusal(_ text: String) -> String? {
        let b = bound(text)
        guard b.depth > limit else { return nil }
        return "nests deeper than \(limit) levels by line \(b.line) (lists or mappings inside each other); expected a spec or market of a few levels"
    }
}
