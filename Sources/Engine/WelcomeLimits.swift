// What a worker would refuse, found before any worker is started: the spec and its markets
// travel in one WELCOME message, and a worker's decoder caps its size and each string in it
// (ProtocolLimits). A sweep whose welcome breaks a cap would otherwise be dropped by every
// worker, again and again, and never run (issue 14, case 4). So would a spec or market that
// loads here but not from the JSON a worker gets (a fuzzing find).

import Sweep

extension Welcome {
    /// The welcome of `plan`, with `marketsJSON` (one market per spec entry).
    public init(plan: SweepPlan, marketsJSON: [String], heartbeatMilliseconds: UInt32, timeoutMilliseconds: UInt32) {
        self.init(specHash: plan.spec.hash, specText: plan.spec.text, specSource: plan.spec.source,
                  markets: marketsJSON, heartbeatMilliseconds: heartbeatMilliseconds, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Why a worker would refuse this welcome, or nil: it is encoded and decoded as a worker
    /// decodes it, so the answer is the decoder's own.
    public var refusal: String? {
        let frames = Codec.encode(.welcome(self))
        let bytes = frames.reduce(0) { $0 + $1.count }
        guard Int64(bytes) <= ProtocolLimits.maxMessageBytes else {
            return "the spec and its markets come to \(grouped(bytes)) bytes, above the \(ProtocolLimits.maxMessageBytes >> 20) MiB a worker accepts in one message; expected fewer or smaller markets"
        }
        let decoded: Message
        do {
            decoded = try Codec.decode(frames)
        } catch {
            return "a worker would refuse the spec and its markets: \(error); expected a spec of at most \(ProtocolLimits.maxSpecBytes >> 20) MiB, markets of at most \(ProtocolLimits.maxMarketBytes >> 20) MiB each (as JSON) and at most \(grouped(ProtocolLimits.maxMarkets)) markets"
        }
        // Then the plan is loaded from it as a worker loads it: a market that reads here but
        // not from its JSON would otherwise leave every worker refusing and the sweep at 0.
        guard case .welcome(let w) = decoded else { return "a worker would not read the welcome as one" }
        do {
            _ = try Worker.plan(from: w)
        } catch {
            return "a worker would not load the spec and its markets from the coordinator's copy: \(error)"
        }
        return nil
    }
}
