// Strict, typed reading of a composed YAML tree. Yams' decoders are lenient (a quoted
// "0.7" or an unknown key passes silently); market files must not be, so the loader
// walks the node tree itself and reports the first problem as one line.

import Foundation
import Yams

/// Where in the file the reader is, so every error names file, provider and field.
struct YAMLContext {
    var file: String
    var provider: String?
    var providerIndex: Int?

    func error(_ field: String?, level: Int? = nil, _ message: String) -> MarketFileError {
        MarketFileError(file: file, provider: provider, providerIndex: provider == nil ? providerIndex : nil,
                        field: field, level: level, message: message)
    }

    /// Inside the provider at `index`; its name is added once it is known.
    func inProvider(_ index: Int, name: String? = nil) -> YAMLContext {
        YAMLContext(file: file, provider: name, providerIndex: index)
    }
}

/// A short phrase for what a node is, for "expected X, got Y".
func describe(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .scalar(let s):
        if s.style == .plain || s.style == .any {
            if tagName(node) == .null { return "nothing (null)" }
            return "'\(s.string)'"
        }
        return "the quoted string \"\(s.string)\""
    }
}

/// The keys of one YAML mapping, checked against the keys the format allows.
struct YAMLFields {
    let context: YAMLContext
    private let entries: [(key: String, value: Node)]

    /// Reads `node` as a mapping whose keys are all in `allowed`; `field` names the
    /// mapping itself in errors (nil for the document root).
    init(_ node: Node, field: String?, allowed: [String], context: YAMLContext) throws(MarketFileError) {
        self.context = context
        guard case .mapping(let mapping) = node else {
            throw context.error(field, "expected a mapping with keys \(allowed.joined(separator: ", ")), got \(describe(node))")
        }
        var entries: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let k) = keyNode else {
                throw context.error(field, "expected plain keys, got \(describe(keyNode)) as a key")
            }
            let key = k.string
            guard allowed.contains(key) else {
                throw context.error(key, "unknown key; expected one of \(allowed.joined(separator: ", "))")
            }
            guard !entries.contains(where: { $0.key == key }) else {
                throw context.error(key, "expected the key once, but it appears twice")
            }
            entries.append((key, value))
        }
        self.entries = entries
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    func optional(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

    func required(_ key: String, expected: String) throws(MarketFileError) -> Node {
        guard let node = optional(key) else {
            throw context.error(key, "expected \(expected), but the field is missing")
        }
        return node
    }

    // MARK: typed values

    /// A number written as a plain YAML int or float (`.nan` and `.inf` included:
    /// the semantic check rejects them with the model's own wording).
    func number(_ node: Node, _ field: String, level: Int? = nil) throws(MarketFileError) -> Double {
        if case .scalar(let s) = node, s.style == .plain || s.style == .any {
            switch tagName(node) {
            case .int:
                // YAML 1.1's base-60 ints (`1:30` is 90) are read as doubles: Yams builds them
                // as Int with unchecked arithmetic, which traps on overflow (a fuzzing find).
                if s.string.contains(":") {
                    if let d = Double.construct(from: s), d.isFinite { return d }
                } else if let i = Int.construct(from: s) { return Double(i) }
                if let d = Double(s.string.replacingOccurrences(of: "_", with: "")), d.isFinite { return d }
            case .float:
                if let d = Double.construct(from: s), !isOverflowingLiteral(s.string) { return d }
            default:
                break
            }
        }
        if case .scalar(let s) = node, isOverflowingLiteral(s.string) {
            throw context.error(field, level: level, "expected a number, got \(describe(node)), beyond the largest double (about 1.8e308)")
        }
        throw context.error(field, level: level, "expected a number, got \(describe(node))")
    }

    func number(_ key: String, expected: String = "a number") throws(MarketFileError) -> Double {
        try number(required(key, expected: expected), key)
    }

    func optionalNumber(_ key: String) throws(MarketFileError) -> Double? {
        guard let node = optional(key) else { return nil }
        return try number(node, key)
    }

    /// A list of numbers, one per level.
    func numbers(_ key: String, expected: String) throws(MarketFileError) -> [Double] {
        let node = try required(key, expected: expected)
        guard case .sequence(let seq) = node else {
            throw context.error(key, "expected \(expected), got \(describe(node))")
        }
        var out: [Double] = []
        for (level, item) in seq.enumerated() {
            out.append(try number(item, key, level: level))
        }
        return out
    }

    /// A non-empty text; plain numbers are accepted as their text (level labels like 1, 4, 8).
    func text(_ node: Node, _ field: String, level: Int? = nil) throws(MarketFileError) -> String {
        guard case .scalar(let s) = node, tagName(node) != .null else {
            throw context.error(field, level: level, "expected a non-empty text, got \(describe(node))")
        }
        let t = s.string.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else {
            throw context.error(field, level: level, "expected a non-empty text, got an empty one")
        }
        return s.string
    }
}

/// The resolved YAML tag (`int`, `float`, `null`, ...) of a node.
func tagName(_ node: Node) -> Tag.Name {
    Tag.Name(rawValue: node.tag.description)
}

/// A numeric literal whose value does not fit a double (`1e309`): refused, never infinity.
public func isOverflowingLiteral(_ text: String) -> Bool {
    let t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
    guard let d = Double(t) else { return false }
    return d.isInfinite && !t.lowercased().contains("inf")
}
