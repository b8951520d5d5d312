// Connections against file descriptors (issue 14, case 5). Every TCP connection libzmq
// accepts costs the coordinator a descriptor, and so do its files (the journal, the results
// file, a snapshot's copy). Idle connections by the thousand once took every descriptor, and
// the coordinator died writing a snapshot. The guard watches each socket's monitor, keeps
// the connections under a cap that leaves descriptors for the files, and shuts down any
// connection accepted beyond it (libzmq then closes it); it also counts handshakes that
// fail before ZAP sees them (no CURVE, a wrong server key, not ZeroMQ at all).

import Foundation
import Wire

final class ConnectionGuard {
    /// Descriptors kept for the coordinator's files, libzmq's own and bursts of accepts seen late.
    static let reserved = 64
    /// Connections allowed on the status socket (the rest go to workers).
    static let statusCap = 32

    struct Watched {
        let monitor: ZMQMonitor
        let cap: Int
        var open = 0
    }
    private var watched: [Watched] = []
    /// The limit on open files when the guard started (after raising it to the hard limit).
    let fileLimit: Int
    /// Connections shut down beyond a cap, and handshakes that failed before ZAP.
    private(set) var refusedConnections = 0
    private(set) var failedHandshakes = 0
    private var lastWarning = -Double.infinity
    let log: (String) -> Void

    /// Raises the soft limit on open files to the hard one, then caps the worker socket at
    /// what is left after the reserve and the status socket's share.
    init(log: @escaping (String) -> Void) {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        fileLimit = limit.rlim_cur == rlim_t.max ? Int(Int32.max) : Int(clamping: limit.rlim_cur)
        self.log = log
    }

    /// Connections the worker socket may hold.
    var workerCap: Int { max(8, fileLimit - Self.reserved - Self.statusCap) }

    /// Watches `socket` with at most `cap` connections at once.
    func watch(_ socket: ZMQSocket, cap: Int) throws(WireError) {
        watched.append(Watched(monitor: try ZMQMonitor(socket), cap: cap))
    }

    /// Poll items for the monitors, to wake the coordinator as soon as connections arrive.
    var pollItems: [PollItem] { watched.map { PollItem($0.monitor.socket) } }

    /// Takes every waiting event: counts connections, shuts down those beyond the cap.
    func drain() {
        for i in watched.indices {
            while let event = try? watched[i].monitor.next() {
                switch event.kind {
                case .accepted:
                    watched[i].open += 1
                    if watched[i].open > watched[i].cap {
                        // libzmq owns the descriptor: shutting it down makes libzmq close it.
                        shutdown(Int32(bitPattern: event.value), Int32(SHUT_RDWR))
                        refusedConnections += 1
                        warn(cap: watched[i].cap)
                    }
                case .disconnected:
                    watched[i].open = max(0, watched[i].open - 1)
                case .handshakeFailedProtocol, .handshakeFailedNoDetail:
                    failedHandshakes += 1
                default:
                    break
                }
            }
        }
    }

    private func warn(cap: Int) {
        let now = monotonicSeconds()
        guard now - lastWarning >= 10 else { return }
        lastWarning = now
        log("connections refused: \(refusedConnections) beyond the cap of \(cap) (the limit on open files is \(fileLimit), ulimit -n; \(Self.reserved) kept for the files)")
    }

    func close() { for w in watched { w.monitor.close() } }
}
