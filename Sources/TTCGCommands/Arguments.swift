// Flag values that are GameCore types. Each parser says what it expected, so a bad value
// gives one line like `--beta: expected a number > 0 or inf, got '-3'`.

import ArgumentParser
import Foundation
import GameCore

extension ResponseRule: ExpressibleByArgument {}
extension VisitOrder: ExpressibleByArgument {}

enum ArgumentParsers {
    /// `inf` (perfect rationality) or a finite beta > 0.
    static func beta(_ text: String) throws -> Rationality {
        guard let r = Rationality(parsing: text) else {
            throw ValidationError("expected a number > 0 or inf")
        }
        return r
    }

    /// `lowest`, `highest`, `random`, or one level index per provider (`1,0,2`).
    static func start(_ text: String) throws -> StartProfile {
        if let s = StartProfile(parsing: text) { return s }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let levels = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, levels.count == parts.count, levels.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("expected lowest, highest, random or comma-separated level indices")
        }
        return .given(levels)
    }

    /// A finite number (V0 and alpha may be negative or zero; the model allows it).
    static func finite(_ text: String) throws -> Double {
        guard let x = Double(text), x.isFinite else {
            throw ValidationError("expected a finite number")
        }
        return x
    }

    /// A margin: price = (1 + m) x cost, so m must exceed -1.
    static func margin(_ text: String) throws -> Double {
        guard let x = Double(text), x.isFinite, x > -1 else {
            throw ValidationError("expected a finite number > -1")
        }
        return x
    }

    static func tolerance(_ text: String) throws -> Double {
        guard let x = Double(text), x.isFinite, x >= 0 else {
            throw ValidationError("expected a finite number >= 0")
        }
        return x
    }

    static func positiveInt(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 1 else {
            throw ValidationError("expected a whole number >= 1")
        }
        return n
    }

    /// Provider names separated by commas; spaces around names are ignored.
    static func models(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw ValidationError("expected comma-separated provider names")
        }
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted {
            throw ValidationError("provider '\(n)' is listed twice")
        }
        return names
    }
}
