// Writing a market back to the file format, so catalogs and sweeps can hand a market
// to a person (or a worker) in the same form a person would write it.

import GameCore

extension MarketFile {
    /// The YAML text of `market`; `parse` reads it back to the same market (token prices
    /// go through dollars per 1M tokens, so they agree to the last bit or two).
    public static func render(_ market: Market) -> String {
        let s = market.settings
        var out = "name: \(quote(market.name))\n"
        if let d = market.dataset { out += "dataset: \(quote(d))\n" }
        if let m = market.method { out += "method: \(quote(m))\n" }
        out += "levels: [\(market.levels.map(quote).joined(separator: ", "))]\n"
        out += "alpha: \(yamlNumber(s.alpha))\n"
        out += "baseline: \(yamlNumber(s.baseline))\n"
        switch s.valueCurve {
        case .linear: out += "value_curve: linear\n"
        case .power(let g): out += "value_curve: {power: \(yamlNumber(g))}\n"
        case .exponential(let k): out += "value_curve: {exp: \(yamlNumber(k))}\n"
        }
        out += "margin: \(yamlNumber(s.margin))\n"
        out += "v0: \(yamlNumber(s.v0))\n"
        out += "providers:\n"
        for p in market.providers {
            out += "  - name: \(quote(p.name))\n"
            out += "    accuracy: \(list(p.accuracy))\n"
            switch p.pricing {
            case .costs(let c):
                out += "    cost: \(list(c))\n"
            case .tokens(let t, let perMillion):
                out += "    tokens: \(list(t))\n"
                out += "    price_per_mtok: \(yamlNumber(perMillion))\n"
            }
            if let m = p.margin { out += "    margin: \(yamlNumber(m))\n" }
        }
        return out
    }

    static func list(_ xs: [Double]) -> String {
        "[" + xs.map(yamlNumber).joined(separator: ", ") + "]"
    }

    /// YAML's spelling of the special values, so a NaN written out is read back as NaN.
    static func yamlNumber(_ x: Double) -> String {
        if x.isNaN { return ".nan" }
        if x.isInfinite { return x > 0 ? ".inf" : "-.inf" }
        return formatNumber(x)
    }

    /// A double-quoted YAML string: always quoted, so names like `yes`, `1.5` or `a: b`
    /// stay text; control characters, and what YAML would refuse or fold into a space
    /// (`yamlKeepsRaw`), escaped. So are `[` and `{`: the nesting bound counts them even
    /// inside quotes (YAMLNesting), and a name of many braces must still read back.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "[": out += "\\x5b"
            case "{": out += "\\x7b"
            default:
                if u.value < 0x20 || u.value == 0x7f || !yamlKeepsRaw(u) {
                    let hex = String(u.value, radix: 16)
                    out += u.value <= 0xff ? "\\x" + hex.leftPadded(to: 2) : "\\u" + hex.leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}

extension MarketFile {
    /// The market as one JSON object with the keys of the YAML format; `parse` reads it
    /// back to the same market (JSON is YAML).
    public static func renderJSON(_ market: Market) -> String {
        let s = market.settings
        var fields: [String] = ["\"name\": \(marketJSONQuoted(market.name))"]
        if let d = market.dataset { fields.append("\"dataset\": \(marketJSONQuoted(d))") }
        if let m = market.method { fields.append("\"method\": \(marketJSONQuoted(m))") }
        fields.append("\"levels\": [\(market.levels.map(marketJSONQuoted).joined(separator: ", "))]")
        fields.append("\"alpha\": \(formatNumber(s.alpha))")
        fields.append("\"baseline\": \(formatNumber(s.baseline))")
        switch s.valueCurve {
        case .linear: fields.append("\"value_curve\": \"linear\"")
        case .power(let g): fields.append("\"value_curve\": {\"power\": \(formatNumber(g))}")
        case .exponential(let k): fields.append("\"value_curve\": {\"exp\": \(formatNumber(k))}")
        }
        fields.append("\"margin\": \(formatNumber(s.margin))")
        fields.append("\"v0\": \(formatNumber(s.v0))")
        var providers: [String] = []
        for p in market.providers {
            var pf = ["\"name\": \(marketJSONQuoted(p.name))", "\"accuracy\": \(jsonList(p.accuracy))"]
            switch p.pricing {
            case .costs(let c):
                pf.append("\"cost\": \(jsonList(c))")
            case .tokens(let t, let perMillion):
                pf.append("\"tokens\": \(jsonList(t))")
                pf.append("\"price_per_mtok\": \(formatNumber(perMillion))")
            }
            if let m = p.margin { pf.append("\"margin\": \(formatNumber(m))") }
            providers.append("    {" + pf.joined(separator: ", ") + "}")
        }
        fields.append("\"providers\": [\n" + providers.joined(separator: ",\n") + "\n  ]")
        return "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n"
    }

    /// A JSON string for a market file: `jsonQuoted`, with `[` and `{` escaped as in `quote`.
    static func marketJSONQuoted(_ s: String) -> String {
        var out = ""
        for u in jsonQuoted(s).unicodeScalars {
            switch u {
            case "[": out += "\\u005b"
            case "{": out += "\\u007b"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func jsonList(_ xs: [Double]) -> String {
        "[" + xs.map(formatNumber).joined(separator: ", ") + "]"
    }
}
