// The one-line error of `ttcg profiles ingest` (docs/ingestion.md): which file, directory
// or option, which field, and what was expected. Front ends print `description` as is.

/// Input that ingestion cannot use: a missing directory, no run files, a bad option value,
/// a bad price table, a level that needs more samples than a question has.
///
/// Lines of a run file that are not usable are *not* errors: they are skipped and counted
/// (`RunFileSummary`). This error is for what the user must fix before anything is written.
public struct IngestionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the error is about.
    public enum Subject: Sendable, Equatable {
        /// A file or directory, by the path the user gave.
        case path(String)
        /// A command-line option, spelled as on the command line (`--levels`).
        case option(String)
    }

    public var subject: Subject
    /// The field (JSON key, CSV column), when there is one.
    public var field: String?
    /// What was expected and what was found.
    public var message: String

    public init(_ subject: Subject, field: String? = nil, message: String) {
        self.subject = subject
        self.field = field
        self.message = message
    }

    static func path(_ path: String, field: String? = nil, _ message: String) -> IngestionError {
        IngestionError(.path(path), field: field, message: message)
    }

    static func option(_ name: String, _ message: String) -> IngestionError {
        IngestionError(.option(name), message: message)
    }

    /// `runs/x.jsonl: field 'num_tokens': expected ...` or `--levels: expected ...`.
    public var description: String {
        var s: String
        switch subject {
        case .path(let p): s = "\(p): "
        case .option(let o): s = "\(o): "
        }
        if let field { s += "field '\(field)': " }
        s += message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return s
    }
}
