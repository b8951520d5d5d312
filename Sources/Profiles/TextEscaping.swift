// Quoting text for the formats ttcg writes (market JSON, tidy exports, CSV tables), in one
// place so every writer escapes the same way.

/// A JSON string literal: quotes, backslashes and control characters escaped (YAML reads
/// it back as a double-quoted string too).
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 || u.value == 0x7f || !yamlKeepsRaw(u) {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// False for the characters that a YAML reader does not give back as they are inside a
/// quoted string: the ones YAML does not allow in a document (C1 controls, U+FEFF, U+FFFE,
/// U+FFFF) and its line breaks beyond \n and \r (U+0085, U+2028, U+2029), which it folds
/// into a space. Writers escape them, since ttcg reads its JSON with the YAML parser.
/// (C0 controls and DEL are the caller's: every writer escapes those anyway.)
func yamlKeepsRaw(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x80...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return false
    default: return true
    }
}

/// Text from outside (a peer's host name, a file's field) as it may be shown on a
/// terminal: unchanged when every character is printable, else as a JSON string literal.
public func printable(_ s: String) -> String {
    s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f && !(0x80...0x9f).contains($0.value) } ? s : jsonQuoted(s)
}

/// A CSV cell: quoted (with doubled quotes) only when it holds a comma, quote or line break,
/// looked for among Unicode scalars (a comma with a combining mark is one Character).
public func csvQuoted(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || Character($0).isNewline }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
