// `ttcg keygen --out DIR`: the CURVE key pairs of an authenticated cluster (docs/security.md).
// The files and their format are Engine's (`CurveKeyFiles`); this only parses and prints.

import ArgumentParser
import Engine
import Foundation

/// `ttcg keygen --out DIR [--force]`.
public struct Keygen: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write CURVE key pairs for a coordinator and its workers (encrypted, authenticated traffic).",
        discussion: """
        Writes DIR/coordinator.key and DIR/worker.key (secret, mode 0600), DIR/coordinator.pub and \
        DIR/worker.pub, and DIR/authorized/worker.pub (the directory of client keys the coordinator \
        admits). Existing keys are never replaced without --force. See docs/security.md.
        """)

    @Option(help: "The directory to write the keys to (created if missing, mode 0700).")
    var out: String

    @Flag(help: "Replace existing key files (every worker then needs the new keys).")
    var force = false

    public init() {}

    public func run() throws {
        let generated: CurveKeyFiles.Generated
        do {
            generated = try CurveKeyFiles.generate(into: out, force: force)
        } catch {
            throw CommandError(exitCode: error.exitCode, line: error.description)
        }
        let f = generated.files
        let rows = [
            (f[0], "coordinator secret key: stays on the coordinator"),
            (f[1], "coordinator public key: give it to workers and status clients (--server-key)"),
            (f[2], "worker secret key: copy it to the worker nodes (--curve-secret), keep it private"),
            (f[3], "worker public key"),
            (f[4], "authorized client keys: the coordinator's --authorized-keys directory"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        print("ttcg keygen: wrote CURVE keys to \(out)")
        for (path, about) in rows {
            print("  \(path.padding(toLength: width, withPad: " ", startingAt: 0))  \(about)")
        }
        let dir = out
        print("""
        coordinator:  ttcg coordinator SPEC --out FILE --bind tcp://0.0.0.0:5555 \
        --curve-secret \(f[0]) --authorized-keys \((dir as NSString).appendingPathComponent(CurveKeyFiles.authorizedDirectory))
        worker:       ttcg worker --connect tcp://HEAD:5555 --curve-secret \(f[2]) --server-key \(f[1])
        status:       ttcg status --connect tcp://HEAD:5556 --curve-secret \(f[2]) --server-key \(f[1])
        """)
    }
}
