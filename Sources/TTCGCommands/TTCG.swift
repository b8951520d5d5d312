// The root command and the process entry point. Subcommands are listed in one place
// (`configuration.subcommands`); adding one is adding a type there.

import ArgumentParser
import Foundation

/// `ttcg`: parameter sweeps over test-time compute markets.
public struct TTCG: ParsableCommand {
    /// The version `ttcg --version` prints.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "ttcg",
        abstract: "Test-time compute games: equilibria, price of anarchy and auctions of compute markets.",
        discussion: """
        Exit codes: 0 success, 1 the run failed, 2 bad input (market file, flag value), \
        with one line on stderr naming the file, the field and what was expected.
        """,
        version: "ttcg \(BuildInfo.version)",
        subcommands: [Run.self, Validate.self, CoordinatorCommand.self, WorkerCommand.self, StatusCommand.self,
                      Inspect.self, Export.self, Solve.self, ProfilesCommand.self, Keygen.self])

    public init() {}
}

/// Runs `ttcg` on the process arguments and exits with the code of architecture.md.
///
/// ArgumentParser exits 64 on usage errors and prints usage blocks; the project promises
/// exit 2 and a single line for every kind of bad input, so parsing is done here.
public enum TTCGMain {
    public static func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        var command: ParsableCommand
        do {
            command = try TTCG.parseAsRoot(arguments)
        } catch {
            if TTCG.exitCode(for: error) == .success {
                TTCG.exit(withError: error)   // --help, --version: print and exit 0
            }
            fail(CommandError.badInput("ttcg: \(oneLine(TTCG.message(for: error))); see '\(helpHint(arguments))'"))
        }
        do {
            try command.run()
        } catch let error as CommandError {
            fail(error)
        } catch {
            if TTCG.exitCode(for: error) == .success { TTCG.exit(withError: error) }
            if let code = error as? ExitCode { exit(code.rawValue) }
            fail(CommandError.failure("ttcg: \(oneLine(String(describing: error)))"))
        }
        exit(0)
    }

    static func fail(_ error: CommandError) -> Never {
        FileHandle.standardError.write(Data((error.line + "\n").utf8))
        if error.immediate {
            fflush(nil)   // every stdio stream
            _exit(error.exitCode)
        }
        exit(error.exitCode)
    }

    /// `ttcg solve --help` when the arguments name a subcommand, else `ttcg --help`.
    static func helpHint(_ arguments: [String]) -> String {
        let names = TTCG.configuration.subcommands.map { $0._commandName }
        if let first = arguments.first, names.contains(first) { return "ttcg \(first) --help" }
        return "ttcg --help"
    }

    /// ArgumentParser's messages may span lines (suggestions, usage); keep one.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            .joined(separator: " ")
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    }
}
