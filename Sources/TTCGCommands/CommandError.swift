// How a command fails: the exit codes of docs/architecture.md and one line on stderr.

/// A failure a command reports and exits on; never a stack trace.
public struct CommandError: Error, CustomStringConvertible {
    /// 2 for bad input (market file, flag value, profile), 1 for a run that failed.
    public var exitCode: Int32
    /// The whole line, already prefixed (`ttcg: ...` or the file path).
    public var line: String
    public var description: String { line }

    /// Bad input: the user can fix it. `line` starts with `ttcg: ` or a file path.
    public static func badInput(_ line: String) -> CommandError { CommandError(exitCode: 2, line: line) }

    /// The run itself failed.
    public static func failure(_ line: String) -> CommandError { CommandError(exitCode: 1, line: line) }
}
