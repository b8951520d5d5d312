// The one-line error of a market file (docs/market-format.md): which file, which
// provider, which field and level, and what was expected. Front ends print it as is.

import GameCore

/// A market file that cannot be read or breaks the format or model.md §1.
///
/// `description` is a single line shaped like
/// `jobs/x.yaml: provider 'Qwen2-7B': field 'tokens' (level 2): expected a finite number >= 0, got -5`
/// so a researcher can fix the file without reading a stack trace.
public struct MarketFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path (or the `source` label given to `MarketFile.parse`).
    public var file: String
    /// The provider's name, when the error is inside a provider that has one.
    public var provider: String?
    /// The provider's position in `providers` (0-based), when it has no usable name.
    public var providerIndex: Int?
    /// The field, as the file spells it (`tokens`, `value_curve.power`, ...).
    public var field: String?
    /// The level index (0 = cheapest) inside a per-level list.
    public var level: Int?
    /// What was expected and what was found.
    public var message: String

    public init(file: String, provider: String? = nil, providerIndex: Int? = nil,
                field: String? = nil, level: Int? = nil, message: String) {
        self.file = file
        self.provider = provider
        self.providerIndex = providerIndex
        self.field = field
        self.level = level
        self.message = message
    }

    /// Wraps GameCore's semantic check (`Market.validate`) with the file name,
    /// translating GameCore's field names to the ones the file uses.
    public init(file: String, marketError e: MarketError) {
        let renamed: [String: String] = ["value_curve.gamma": "value_curve.power",
                                         "value_curve.kappa": "value_curve.exp"]
        var message = "expected \(e.expected)"
        if let got = e.got { message += ", got \(got)" }
        self.init(file: file, provider: e.provider, field: renamed[e.field] ?? e.field,
                  level: e.level, message: message)
    }

    public var description: String {
        var s = "\(file): "
        if let provider {
            s += "provider '\(provider)': "
        } else if let providerIndex {
            s += "providers[\(providerIndex)]: "
        }
        if let field {
            s += "field '\(field)'"
            if let level { s += " (level \(level))" }
            s += ": "
        }
        // Keep the promise of one line even if a YAML problem text carries newlines.
        s += message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return s
    }
}
