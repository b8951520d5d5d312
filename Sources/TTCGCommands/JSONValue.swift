// A small JSON writer. Foundation's JSONSerialization does not promise the shortest
// round-trip text for doubles on every platform; sweeps and tests compare numbers
// exactly, so `1.4375` must print as `1.4375` and reparse to the same bits.

import GameCore
import Profiles

/// A JSON document with keys kept in the order they were built (reports read better
/// when `market` comes before `trajectory`).
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// Seeds: JSON numbers have no width, and readers such as Python keep every digit.
    case unsigned(UInt64)
    /// Non-finite numbers become `null` (JSON has no NaN or infinity).
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// `x` as a number, or `null` when it is NaN or infinite.
    public static func finite(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }
    public static func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map(finite)) }
    public static func ints(_ xs: [Int]) -> JSONValue { .array(xs.map(JSONValue.int)) }
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    /// The text: pretty (two-space indent, arrays of scalars on one line) or compact.
    public func rendered(pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, indent: pretty ? "" : nil)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(into out: inout String, indent: String?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .unsigned(let u): out += String(u)
        case .number(let x): out += x.isFinite ? formatNumber(x) : "null"
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            guard let indent, !items.allSatisfy(\.isScalar) else {
                out += "["
                for (n, item) in items.enumerated() {
                    if n > 0 { out += indent == nil ? "," : ", " }
                    item.write(into: &out, indent: indent)
                }
                out += "]"
                return
            }
            let inner = indent + "  "
            out += "[\n"
            for (n, item) in items.enumerated() {
                out += inner
                item.write(into: &out, indent: inner)
                out += n + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let fields):
            guard let indent, !fields.isEmpty else {
                out += "{"
                for (n, (key, value)) in fields.enumerated() {
                    if n > 0 { out += "," }
                    JSONValue.writeString(key, into: &out)
                    out += ":"
                    value.write(into: &out, indent: nil)
                }
                out += "}"
                return
            }
            let inner = indent + "  "
            out += "{\n"
            for (n, (key, value)) in fields.enumerated() {
                out += inner
                JSONValue.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: inner)
                out += n + 1 < fields.count ? ",\n" : "\n"
            }
            out += indent + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += jsonQuoted(s)
    }
}
