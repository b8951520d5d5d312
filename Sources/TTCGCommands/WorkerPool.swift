// The worker processes that `ttcg run` starts beside its coordinator.

import Foundation

/// Worker processes of `ttcg run`: started, replaced if one dies early, stopped at the end.
final class WorkerPool: @unchecked Sendable {
    let endpoint: String
    let count: Int
    let threads: Int
    var processes: [Process] = []
    var respawns = 0

    init(endpoint: String, count: Int, threads: Int) {
        self.endpoint = endpoint
        self.count = count
        self.threads = threads
    }

    static var executable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    func spawn() throws -> Process {
        let p = Process()
        p.executableURL = Self.executable
        p.arguments = ["worker", "--connect", endpoint, "--threads", String(threads)]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
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
