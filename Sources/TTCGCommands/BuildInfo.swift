// Which build this is: the version, the git commit it was built from, and the libzmq and
// HDF5 it runs with. `ttcg --version` prints it and every results file records it, so a
// cluster's log or a file says what produced it (issue 15).
//
// The commit is not compiled in (SwiftPM has no build-time values): `make build` writes it
// beside the binary (`ttcg.BUILD`) and `make dist` into `share/ttcg/BUILD`; a binary built
// by hand says "commit unknown".

import Engine
import Foundation
import Profiles

enum BuildInfo {
    /// The BUILD file's `commit` line, or "unknown".
    static let commit: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "unknown" }
        let dir = URL(fileURLWithPath: String(cString: buffer)).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent("../share/ttcg/BUILD"), dir.appendingPathComponent("ttcg.BUILD")] {
            guard let text = try? String(contentsOf: candidate, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("commit ") {
                return printable(String(line.dropFirst("commit ".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        return "unknown"
    }()

    /// `0.1.0 (commit 1a2b3c4d5e6f; libzmq 4.3.4; HDF5 1.10.8)`: what `--version` prints
    /// after "ttcg" and what results files and journals record as `ttcg_version`.
    static var version: String {
        "\(TTCG.version) (commit \(commit); libzmq \(libzmqVersion); HDF5 \(libhdf5Version))"
    }
}
