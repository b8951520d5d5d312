// Text from outside (worker host names, market, provider and spec names, error messages)
// as it may appear in the dashboard's HTML: markup escaped, and every control character
// shown as a visible escape, so a hostile name renders as the text it is.

/// `s` for HTML text or a quoted attribute value: `&`, `<`, `>`, `"` and `'` become entities;
/// C0 controls, DEL and C1 controls become visible `\xNN` (ESC is `\x1b`), and the
/// invisible bidirectional overrides become `\u202e` and the like (they could make a name
/// read backwards).
public func htmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            let v = u.value
            if v < 0x20 || v == 0x7f || (0x80...0x9f).contains(v) {
                out += "\\x" + hex(v, digits: 2)
            } else if isBidiControl(v) {
                out += "\\u" + hex(v, digits: 4)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}

/// The bidirectional formatting characters (marks, embeddings, overrides, isolates).
func isBidiControl(_ v: UInt32) -> Bool {
    v == 0x061c || v == 0x200e || v == 0x200f || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
}

func hex(_ v: UInt32, digits: Int) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: max(0, digits - h.count)) + h
}
