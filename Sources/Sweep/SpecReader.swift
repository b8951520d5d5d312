// Strict reading of sweep YAML: every node is reached through its YAML path, so an error
// says exactly where (`jobs/x.yaml: axes.beta[2]: expected ..., got ...`).

import GameCore
import Profiles
import Yams

/// A sweep spec that cannot be used: file, YAML path of the culprit, and what was expected.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// The YAML path (`axes.beta[2]`), nil for file-level problems.
    public var path: String?
    public var message: String

    public init(file: String, path: String?, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        let text = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        if let path { return "\(file): \(path): \(text)" }
        return "\(file): \(text)"
    }
}

/// A YAML node and where it sits.
struct SpecNode {
    var node: Node
    var path: String
    var file: String

    func error(_ message: String) -> SpecError { SpecError(file: file, path: path.isEmpty ? nil : path, message: message) }

    func child(_ key: String, _ node: Node) -> SpecNode {
        SpecNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func item(_ index: Int, _ node: Node) -> SpecNode {
        SpecNode(node: node, path: "\(path)[\(index)]", file: file)
    }

    var isNull: Bool {
        if case .scalar(let s) = node {
            return Tag.Name(rawValue: node.tag.description) == .null || (s.string.isEmpty && s.style == .plain)
        }
        return false
    }

    /// How the node looks, for "got ..." in messages.
    var shown: String {
        switch node {
        case .scalar(let s): return isNull ? "nothing" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        default: return "an alias"
        }
    }

    /// The entries of a mapping whose keys must all be in `allowed`.
    func mapping(allowed: [String], expected: String) throws(SpecError) -> [(String, SpecNode)] {
        guard case .mapping(let m) = node else { throw error("expected \(expected), got \(shown)") }
        var entries: [(String, SpecNode)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else { throw error("expected text keys, got \(SpecNode(node: k, path: path, file: file).shown)") }
            let key = ks.string
            guard allowed.contains(key) else {
                throw child(key, v).error("unknown key; expected one of \(allowed.joined(separator: ", "))")
            }
            guard !entries.contains(where: { $0.0 == key }) else { throw child(key, v).error("expected each key once, got it twice") }
            entries.append((key, child(key, v)))
        }
        return entries
    }

    /// The items of a list; a single scalar or mapping counts as a list of one.
    func list() -> [SpecNode] {
        if case .sequence(let s) = node { return s.enumerated().map { item($0.offset, $0.element) } }
        return [self]
    }

    func sequence(expected: String) throws(SpecError) -> [SpecNode] {
        guard case .sequence(let s) = node else { throw error("expected \(expected), got \(shown)") }
        return s.enumerated().map { item($0.offset, $0.element) }
    }

    func text(expected: String = "a text") throws(SpecError) -> String {
        guard case .scalar(let s) = node, !isNull, !s.string.isEmpty else { throw error("expected \(expected), got \(shown)") }
        return s.string
    }

    /// A finite number.
    func number(expected: String = "a number") throws(SpecError) -> Double {
        guard case .scalar(let s) = node, !isNull, let x = parseNumber(s.string), x.isFinite else {
            throw error("expected \(expected), got \(shown)\(overflowNote)")
        }
        return x
    }

    func integer(expected: String) throws(SpecError) -> Int {
        guard case .scalar(let s) = node, !isNull, let x = Int(s.string.replacingOccurrences(of: "_", with: "")) else {
            throw error("expected \(expected), got \(shown)")
        }
        return x
    }

    /// ", beyond the largest double ..." when the scalar is a number too large for a double.
    var overflowNote: String {
        guard case .scalar(let s) = node, isOverflowingLiteral(s.string) else { return "" }
        return ", beyond the largest double (about 1.8e308)"
    }

    func bool(expected: String) throws(SpecError) -> Bool {
        guard case .scalar(let s) = node else { throw error("expected \(expected), got \(shown)") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected \(expected), got \(shown)")
        }
    }
}

/// YAML's and the command line's spellings of numbers (`1e5`, `.inf`, `1_000`). Infinity
/// only when spelled so: a literal beyond the doubles (`1e309`) is nil, not infinity.
func parseNumber(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
    switch t.lowercased() {
    case ".inf", "+.inf", "inf", "+inf", "infinity": return .infinity
    case "-.inf", "-inf", "-infinity": return -.infinity
    case ".nan", "nan": return .nan
    default: return Double(t).flatMap { $0.isFinite ? $0 : nil }
    }
}

/// Parses YAML text into its root node with one-line syntax errors.
func composeYAML(_ text: String, file: String) throws(SpecError) -> SpecNode {
    if let refusal = YAMLNesting.refusal(text) { throw SpecError(file: file, path: nil, message: refusal) }
    do {
        guard let node = try Yams.compose(yaml: text) else {
            throw SpecError(file: file, path: nil, message: "expected a sweep spec (a mapping with name, markets, axes, ...), got an empty document")
        }
        return SpecNode(node: node, path: "", file: file)
    } catch let e as SpecError {
        throw e
    } catch let e as YamlError {
        switch e {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { "\($0.text): " } ?? ""
            throw SpecError(file: file, path: nil, message: "not valid YAML at line \(mark.line), column \(mark.column): \(ctx)\(problem)")
        default:
            throw SpecError(file: file, path: nil, message: "not valid YAML: \(e)")
        }
    } catch {
        throw SpecError(file: file, path: nil, message: "not valid YAML: \(error)")
    }
}

import Foundation

