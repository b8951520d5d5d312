// What this process cost, for `--stats` (profiles ingest, coordinator): its own peak
// resident memory and CPU time, read by the process itself so no parent's memory counts.

import Foundation

/// This process's peak resident memory: VmHWM of /proc/self/status (Linux), which counts
/// this program only. (getrusage and wait4 may also count the memory of the process that
/// spawned it, which the kernel carries over at exec.)
func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        return kb.map { $0 * 1024 }
    }
    return nil
}

/// This process's CPU time so far (user, system), seconds.
func processCPUSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
}

/// Writes `{"cpu_system_seconds": ..., "cpu_user_seconds": ..., "peak_rss_bytes": ...}` to
/// `path` (replaced if it exists), plus `extra` numbers (e.g. `sweep_seconds`): what a
/// benchmark or an operator's script reads.
func writeProcessStats(to path: String, extra: [String: Double] = [:]) throws(CommandError) {
    let cpu = processCPUSeconds()
    var fields = ["cpu_system_seconds": "\(cpu.system)", "cpu_user_seconds": "\(cpu.user)", "peak_rss_bytes": "\(peakResidentBytes() ?? -1)"]
    for (key, value) in extra where value.isFinite { fields[key] = "\(value)" }
    let text = "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}\n"
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        throw CommandError.failure("--stats \(path): cannot write it: \(error.localizedDescription)")
    }
}
