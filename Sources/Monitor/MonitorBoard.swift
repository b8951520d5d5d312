// Where the coordinator's thread leaves what the dashboard shows, and the HTTP thread picks
// it up: the latest status with copies of the live science, the failures and the history.
// Publishing copies a few small arrays under a lock; reading takes the whole snapshot.

import Engine
import Synchronization

/// Everything the dashboard's pages, JSON and metrics are rendered from: one published moment.
public struct MonitorSnapshot: Sendable {
    /// What `ttcg status --json` would print now.
    public var status: SweepStatus
    public var science: LiveScience
    public var failures: FailureLog
    /// Bytes of results accepted in this run.
    public var resultBytes: Int
    public var history: ThroughputHistory
    /// The workers table: connected workers, then the lost ones.
    public var workers: [WorkerRow]
    /// Statuses published so far.
    public var sequence: Int
}

/// The board between the coordinator (publisher) and the dashboard server (readers).
public final class MonitorBoard: Sendable {
    struct State {
        var snapshot: MonitorSnapshot
        var roster: WorkerRoster
    }
    let state: Mutex<State>
    /// The Prometheus registry the metrics are exposed from, updated at each scrape.
    public let metrics: MetricsExposition

    /// A board holding `status` and what `observed` has seen so far. `timeoutSeconds` is the
    /// coordinator's: a worker silent longer shows as lost.
    public init(status: SweepStatus, observed: ObservedSink, timeoutSeconds: Double?) {
        var roster = WorkerRoster(timeoutSeconds: timeoutSeconds)
        var history = ThroughputHistory()
        history.add(seconds: status.elapsedSeconds, points: status.pointsDone)
        let rows = roster.update(status)
        state = Mutex(State(snapshot: MonitorSnapshot(status: status, science: observed.science, failures: observed.failures,
                                                      resultBytes: observed.resultBytes, history: history, workers: rows, sequence: 1),
                            roster: roster))
        metrics = MetricsExposition(sweep: status.job, specHash: status.specHash)
    }

    /// Publishes `status` with what `observed` has seen (on the coordinator's thread, from
    /// the progress callback). Copies small arrays; renders nothing.
    public func publish(_ status: SweepStatus, observed: ObservedSink) {
        let science = observed.science, failures = observed.failures, bytes = observed.resultBytes
        state.withLock { s in
            s.snapshot.status = status
            s.snapshot.science = science
            s.snapshot.failures = failures
            s.snapshot.resultBytes = bytes
            s.snapshot.history.add(seconds: status.elapsedSeconds, points: status.pointsDone)
            s.snapshot.workers = s.roster.update(status)
            s.snapshot.sequence += 1
        }
    }

    /// The latest published moment.
    public func snapshot() -> MonitorSnapshot {
        state.withLock { $0.snapshot }
    }
}
