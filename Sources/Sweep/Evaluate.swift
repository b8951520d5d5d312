// Playing the games of a work item: one `GameCore.solve` per grid point, in parallel with
// Dispatch, into a `ResultBlock`. The numbers depend only on the plan and the point, never
// on the thread, worker or order (the seed is the spec seed plus the point's seed value).

import Dispatch
import Foundation
import GameCore

/// The settings and options of one grid point.
public struct GamePoint: Sendable, Equatable {
    public var point: Int
    public var market: Int
    public var indices: [Int]
    public var rationality: Rationality
    public var settings: MarketSettings
    public var dynamics: DynamicsOptions
    public var seedValue: UInt64
}

extension SweepPlan {
    /// Everything one grid point needs to be played.
    public func gamePoint(_ point: Int) -> GamePoint {
        let (m, ix) = axisIndices(ofPoint: point)
        let pm = markets[m], a = pm.axes
        var settings = pm.market.settings
        settings.margin = a.margin[ix[1]]
        settings.alpha = a.alpha[ix[2]]
        settings.v0 = a.v0[ix[3]]
        settings.valueCurve = a.valueCurve[ix[4]]
        let rationality = a.beta[ix[0]]
        let seedValue = a.seed[ix[5]]
        let dynamics = DynamicsOptions(rule: a.rule[ix[6]], order: a.order[ix[7]], start: a.start[ix[8]],
                                       tolerance: a.tolerance[ix[9]], maxRounds: a.maxRounds[ix[10]],
                                       seed: spec.seed &+ seedValue,
                                       recordTrajectory: spec.outputs.trajectories.keeps(rationality))
        return GamePoint(point: point, market: m, indices: ix, rationality: rationality, settings: settings,
                         dynamics: dynamics, seedValue: seedValue)
    }

    /// Plays one point. Failures (a setting the market rejects) are returned, not thrown:
    /// a sweep records them and goes on.
    public func play(_ point: Int) -> Result<GameSolution, PointFailure> {
        let gp = gamePoint(point)
        let pm = markets[gp.market]
        do {
            let game = try Game(market: pm.market, settings: gp.settings, rationality: gp.rationality)
            // Enumeration runs single-threaded inside a point: the points are the parallelism.
            let options = SolveOptions(dynamics: gp.dynamics, allEquilibria: pm.allEquilibria,
                                       enumeration: EnumerationOptions(tolerance: gp.dynamics.tolerance,
                                                                       profileBudget: Int.max, threads: 1))
            do {
                return .success(try game.solve(options))
            } catch {
                return .failure(PointFailure(message: "\(error)"))
            }
        } catch {
            return .failure(PointFailure(message: "invalid settings: \(error)"))
        }
    }

    /// Plays every point of `item` on up to `threads` threads (0: all cores).
    public func evaluate(_ item: WorkItem, threads: Int = 0) -> ResultBlock {
        let n = markets[item.market].market.providerCount
        var outcomes = [Result<GameSolution, PointFailure>?](repeating: nil, count: item.count)
        let workers = max(1, min(item.count, threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount))
        outcomes.withUnsafeMutableBufferPointer { buffer in
            let slots = SendableBuffer(buffer)
            if workers == 1 {
                for i in 0..<item.count { slots.buffer[i] = play(item.start + i) }
            } else {
                // Interleaved points per worker: neighbouring points cost alike, so this balances.
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var i = w
                    while i < item.count {
                        slots.buffer[i] = play(item.start + i)
                        i += workers
                    }
                }
            }
        }
        var block = ResultBlock(start: item.start, count: item.count, providers: n)
        for (i, outcome) in outcomes.enumerated() {
            switch outcome! {
            case .success(let solution): block.record(solution, at: i)
            case .failure(let f):
                block.uint8[ResultSchema.slot["status"]!][i] = PointStatus.failed.rawValue
                // At most 1,000 bytes of it travel (ProtocolLimits.maxErrorBytes is 1,024).
                block.errors[item.start + i] = f.message.utf8.count <= 1_000 ? f.message
                    : String(decoding: f.message.utf8.prefix(1_000), as: UTF8.self) + " ..."
            }
        }
        return block
    }
}

/// Why a point failed.
public struct PointFailure: Error, Sendable, Equatable {
    public var message: String
}

/// A buffer shared by `concurrentPerform` workers that write disjoint indices.
private struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

extension ResultBlock {
    /// Writes one solved point at local index `i`.
    mutating func record(_ s: GameSolution, at i: Int) {
        let n = providers
        func setD(_ name: String, _ v: Double) { float64[ResultSchema.slot[name]!][i] = v }
        func setI(_ name: String, _ v: Int) { int32[ResultSchema.slot[name]!][i] = Int32(clamping: v) }
        func setDs(_ name: String, _ v: [Double]) {
            let c = ResultSchema.slot[name]!
            for j in 0..<n { float64[c][i * n + j] = v[j] }
        }
        func setIs(_ name: String, _ v: [Int]) {
            let c = ResultSchema.slot[name]!
            for j in 0..<n { int32[c][i * n + j] = Int32(clamping: v[j]) }
        }
        uint8[ResultSchema.slot["status"]!][i] = PointStatus.done.rawValue
        uint8[ResultSchema.slot["converged"]!][i] = s.dynamics.converged ? 1 : 0
        setI("steps", s.dynamics.steps)
        setI("rounds", s.dynamics.rounds)
        setI("moves", s.dynamics.moves)
        setI("last_move_step", s.dynamics.lastMoveStep)
        setIs("eq_profile", s.dynamics.profile)
        setDs("eq_share", s.shares)
        setDs("eq_utility", s.utilities)
        setDs("eq_value", s.values)
        setD("abstention_share", s.abstentionShare)
        setD("welfare_eq", s.welfare)
        setD("welfare_opt", s.optimum.welfare)
        setIs("opt_profile", s.optimum.profile)
        setD("poa", s.priceOfAnarchy.value)
        let stats = s.marketVersusAuction.market
        setD("market_user_value", stats.userValue)
        setD("market_price", stats.price)
        setD("market_provider_utility", stats.providerUtility)
        let auction = s.marketVersusAuction.auction
        setI("auction_winner", auction.winner ?? -1)
        setI("auction_runner_up", auction.runnerUp ?? -1)
        setI("auction_winner_level", auction.winner.map { auction.bids[$0].level } ?? -1)
        setD("auction_payment", auction.payment)
        setD("auction_user_value", auction.userValue)
        setD("auction_winner_utility", auction.winnerUtility)
        setD("auction_welfare", auction.welfare)
        if let e = s.equilibria {
            int64[ResultSchema.slot["equilibria_count"]!][i] = Int64(e.count)
            setD("equilibria_worst_welfare", e.count > 0 ? e.worstWelfare : .nan)
            setD("equilibria_best_welfare", e.count > 0 ? e.bestWelfare : .nan)
            setD("poa_worst", e.priceOfAnarchyWorst.value)
            setD("price_of_stability", e.priceOfStability.value)
        }
        if let t = s.dynamics.trajectory {
            trajectories.append(PointTrajectory(point: start + i, trajectory: t))
        }
    }
}
