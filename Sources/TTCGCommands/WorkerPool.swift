// The worker processes that `ttcg run` starts beside its coordinator.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A worker process started with posix_spawn: Foundation's `Process.run` took about 30 ms
/// a process here (most of the fixed start-up of `ttcg run` with two workers).
final class WorkerProcess {
    let processIdentifier: pid_t
    private(set) var terminationStatus: Int32 = 0
    private var exited = false

    init(executable: String, arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)   // stderr stays ours
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw CommandError.failure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        processIdentifier = pid
    }

    /// False once the process has exited (it is reaped then).
    var isRunning: Bool {
        guard !exited else { return false }
        var status: Int32 = 0
        let r = waitpid(processIdentifier, &status, WNOHANG)
        guard r == processIdentifier || (r < 0 && errno == ECHILD) else { return true }
        exited = true
        // Exit code, or 128 + the signal, as a shell reports it.
        terminationStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return false
    }

    func terminate() { kill(processIdentifier, SIGTERM) }
}

/// Worker processes of `ttcg run`: started, replaced if one dies early, stopped at the end.
final class WorkerPool: @unchecked Sendable {
    let endpoint: String
    let count: Int
    let threads: Int
    var processes: [WorkerProcess] = []
    var respawns = 0

    init(endpoint: String, count: Int, threads: Int) {
        self.endpoint = endpoint
        self.count = count
        self.threads = threads
    }

    static var executable: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    func spawn() throws -> WorkerProcess {
        try WorkerProcess(executable: Self.executable,
                          arguments: ["worker", "--connect", endpoint, "--threads", String(threads)])
    }

    func start() throws(CommandError) {
        do {
            for _ in 0..<count { processes.append(try spawn()) }
        } catch {
            stop()
            throw .failure("ttcg run: cannot start worker processes: \(error)")
        }
    }

    /// A worker that exited before the end is replaced (up to 3 times the pool size).
    func respawnExited(finished: Bool) {
        guard !finished else { return }
        for (i, p) in processes.enumerated() where !p.isRunning && respawns < 3 * count {
            respawns += 1
            FileHandle.standardError.write(Data("ttcg run: worker \(p.processIdentifier) exited (status \(p.terminationStatus)); starting another\n".utf8))
            if let q = try? spawn() { processes[i] = q }
        }
    }

    /// Where the coordinator's options find the pool, which is made after the coordinator.
    final class Box: @unchecked Sendable {
        // @unchecked: set once on the main thread before the coordinator runs, read after.
        var pool: WorkerPool?
    }

    /// True once every worker process has exited.
    var allExited: Bool { !processes.contains(where: \.isRunning) }

    func waitOrStop() {
        let deadline = Date().addingTimeInterval(5)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(10_000) }
        stop()
    }

    func stop() {
        for p in processes where p.isRunning { p.terminate() }
    }
}
