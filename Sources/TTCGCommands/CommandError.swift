// How a command fails: the exit codes of docs/architecture.md and one line on stderr.

/// A failure a command reports and exits on; never a stack trace.
public struct CommandError: Error, CustomStringConvertible {
    /// 2 for bad input (market file, flag value, profile), 1 for a run that failed.
    public var exitCode: Int32
    /// The whole line, already prefixed (`ttcg: ...` or the file path).
    public var line: String
    /// End with `_exit`, skipping exit handlers (a C library left in a state it cannot close).
    public var immediate = false
    public var description: String { line }

    public init(exitCode: Int32, line: String, immediate: Bool = false) {
        self.exitCode = exitCode
        self.line = line
        self.immediate = immediate
    }

    /// Bad input: the user can fix it. `line` starts with `ttcg: ` or a file path.
    public static func badInput(_ line: String) -> CommandError { CommandError(exitCode: 2, line: line) }

    /// The run itself failed.
    public static func failure(_ line: String) -> CommandError { CommandError(exitCode: 1, line: line) }
}
