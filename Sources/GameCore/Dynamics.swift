// Better-response dynamics (model.md §3; the paper's Section 3 and Figure 2).

import Foundation

/// How a visited provider picks its next level.
public enum ResponseRule: String, Sendable, Hashable, CaseIterable {
    /// The paper's rule: the nearest level (k-1, k+1, k-2, k+2, ...) that improves utility.
    case nearestImprovement = "nearest-improvement"
    /// The utility-maximising level, if it improves (ties: nearest, then lower).
    case bestResponse = "best-response"
}

/// The order in which a round visits providers.
public enum VisitOrder: String, Sendable, Hashable, CaseIterable {
    /// A fresh seeded permutation every round (the default).
    case random
    /// Providers 0, 1, ..., N-1 every round.
    case roundRobin = "round-robin"
}

/// Where the dynamics start.
public enum StartProfile: Sendable, Hashable {
    case lowest
    case highest
    case given([Int])
    /// Every provider at a seeded uniform level.
    case random

    public init?(parsing text: String) {
        switch text {
        case "lowest": self = .lowest
        case "highest": self = .highest
        case "random": self = .random
        default: return nil
        }
    }

    public var text: String {
        switch self {
        case .lowest: return "lowest"
        case .highest: return "highest"
        case .random: return "random"
        case .given(let p): return p.map(String.init).joined(separator: ",")
        }
    }
}

/// Settings of the dynamics; the defaults are the paper's.
public struct DynamicsOptions: Sendable, Hashable {
    public var rule: ResponseRule = .nearestImprovement
    public var order: VisitOrder = .random
    public var start: StartProfile = .lowest
    /// Relative improvement a move needs: `U' > U + tol |U|` (absolute 1e-9 when U = 0).
    public var tolerance: Double = 1e-8
    public var maxRounds: Int = 10_000
    public var seed: UInt64 = 0
    /// Keep the full trajectory (profile, shares, utilities, welfare, potential, inefficiency per step).
    public var recordTrajectory: Bool = false

    public init(rule: ResponseRule = .nearestImprovement, order: VisitOrder = .random,
                start: StartProfile = .lowest, tolerance: Double = 1e-8, maxRounds: Int = 10_000,
                seed: UInt64 = 0, recordTrajectory: Bool = false) {
        self.rule = rule
        self.order = order
        self.start = start
        self.tolerance = tolerance
        self.maxRounds = maxRounds
        self.seed = seed
        self.recordTrajectory = recordTrajectory
    }
}

/// Does utility `candidate` beat `current` by the threshold of model.md §3?
/// `tol * |U|`; when `U = 0`, an absolute 1e-9 (or strictly, when `tol = 0`).
@inlinable
public func improves(_ candidate: Double, on current: Double, tolerance: Double) -> Bool {
    let threshold = current != 0 ? tolerance * Swift.abs(current) : (tolerance > 0 ? 1e-9 : 0)
    return candidate > current + threshold
}

/// The path of the dynamics: row 0 is the start, row t the state after step t.
/// Arrays over providers are flat, `row * providerCount + i`.
public struct Trajectory: Sendable, Equatable {
    public var providerCount: Int
    /// Level index of every provider.
    public var profiles: [Int] = []
    public var shares: [Double] = []
    public var utilities: [Double] = []
    public var welfare: [Double] = []
    /// Eq. 7; NaN when a profit is not positive.
    public var potential: [Double] = []
    /// `max W / W(theta^t)` (Figure 2's dashed curve).
    public var inefficiency: [Double] = []
    /// The provider visited at step t (-1 for the start row).
    public var visited: [Int] = []
    /// Whether that provider moved.
    public var moved: [Bool] = []

    public var rowCount: Int { welfare.count }

    /// An empty trajectory (rows are appended as the dynamics run, or decoded from a message).
    public init(providerCount: Int) {
        self.providerCount = providerCount
    }
}

/// Where the dynamics ended.
public struct DynamicsResult: Sendable, Equatable {
    /// Level index per provider at the end.
    public var profile: [Int]
    /// A whole round without a move, confirmed by the Nash check.
    public var converged: Bool
    /// Visits made (one visit = one step, moved or not).
    public var steps: Int
    public var rounds: Int
    public var moves: Int
    /// Step of the last move (0 if nobody moved).
    public var lastMoveStep: Int
    public var trajectory: Trajectory?
}

extension Game {
    /// Runs better-response dynamics from `options.start` until a round makes no move or
    /// `options.maxRounds` rounds have passed.
    public func betterResponseDynamics(_ options: DynamicsOptions = DynamicsOptions(),
                                       maxWelfare knownMaxWelfare: Double? = nil) -> DynamicsResult {
        let n = providerCount, k = levelCount
        var rng = SeededGenerator(seed: options.seed)
        var profile = [Int](repeating: 0, count: n)
        switch options.start {
        case .lowest: break
        case .highest: for i in 0..<n { profile[i] = k - 1 }
        case .given(let p):
            precondition(p.count == n && p.allSatisfy { $0 >= 0 && $0 < k }, "start profile out of range")
            profile = p
        case .random: for i in 0..<n { profile[i] = rng.uniform(below: k) }
        }
        var order = [Int](0..<n)
        var trajectory: Trajectory? = nil
        var maxW = 0.0, phiConstant = Double.nan
        if options.recordTrajectory {
            maxW = knownMaxWelfare ?? maximumWelfare().welfare
            if isPerfect { phiConstant = perfectPotentialConstant() }
            trajectory = Trajectory(providerCount: n)
            record(&trajectory!, profile: profile, visited: -1, moved: false, maxWelfare: maxW, constant: phiConstant)
        }
        var steps = 0, moves = 0, rounds = 0, lastMove = 0
        var converged = false
        let tol = options.tolerance
        while rounds < options.maxRounds {
            rounds += 1
            if options.order == .random {
                for i in 0..<n { order[i] = i }
                order.withUnsafeMutableBufferPointer { rng.shuffle($0) }
            }
            var movedThisRound = false
            for slot in 0..<n {
                let i = order[slot]
                steps += 1
                let next = profile.withUnsafeBufferPointer { p in
                    response(of: i, in: p, rule: options.rule, tolerance: tol)
                }
                let moved = next != profile[i]
                if moved {
                    profile[i] = next
                    moves += 1
                    lastMove = steps
                    movedThisRound = true
                }
                if trajectory != nil {
                    record(&trajectory!, profile: profile, visited: i, moved: moved, maxWelfare: maxW, constant: phiConstant)
                }
            }
            if !movedThisRound {
                converged = isNash(profile, tolerance: tol)
                break
            }
        }
        return DynamicsResult(profile: profile, converged: converged, steps: steps, rounds: rounds,
                              moves: moves, lastMoveStep: lastMove, trajectory: trajectory)
    }

    /// The level provider `i` moves to under `rule` (its current level if none improves).
    @inlinable
    public func response(of i: Int, in profile: UnsafeBufferPointer<Int>, rule: ResponseRule,
                         tolerance: Double) -> Int {
        let k = levelCount
        let current = profile[i]
        let r = rivals(of: i, in: profile)
        let u = utility(i, level: current, against: r)
        switch rule {
        case .nearestImprovement:
            var d = 1
            while d < k {
                let down = current - d, up = current + d
                if down >= 0, improves(utility(i, level: down, against: r), on: u, tolerance: tolerance) { return down }
                if up < k, improves(utility(i, level: up, against: r), on: u, tolerance: tolerance) { return up }
                if down < 0 && up >= k { break }
                d += 1
            }
            return current
        case .bestResponse:
            var best = current, bestU = u, bestDistance = 0
            for l in 0..<k where l != current {
                let ul = utility(i, level: l, against: r)
                let dist = Swift.abs(l - current)
                // Strictly better, or equal and nearer, or equal, as near and lower.
                if ul > bestU || (ul == bestU && best != current && (dist < bestDistance || (dist == bestDistance && l < best))) {
                    best = l; bestU = ul; bestDistance = dist
                }
            }
            return best != current && improves(bestU, on: u, tolerance: tolerance) ? best : current
        }
    }

    /// Pure Nash equilibrium check (Eq. 6 with the threshold of model.md §3):
    /// no provider has a level that beats its utility by more than the threshold.
    public func isNash(_ profile: [Int], tolerance: Double = 1e-8) -> Bool {
        profile.withUnsafeBufferPointer { p in
            (0..<providerCount).allSatisfy { isBestResponding($0, in: p, tolerance: tolerance) }
        }
    }

    /// Whether provider `i` has no improving deviation at `profile`.
    @inlinable
    public func isBestResponding(_ i: Int, in profile: UnsafeBufferPointer<Int>, tolerance: Double) -> Bool {
        let r = rivals(of: i, in: profile)
        let current = profile[i]
        let u = utility(i, level: current, against: r)
        for l in 0..<levelCount where l != current {
            if improves(utility(i, level: l, against: r), on: u, tolerance: tolerance) { return false }
        }
        return true
    }

    private func record(_ t: inout Trajectory, profile: [Int], visited: Int, moved: Bool,
                        maxWelfare: Double, constant: Double) {
        let (s, _) = shares(of: profile)
        let w = welfare(of: profile)
        t.profiles.append(contentsOf: profile)
        t.shares.append(contentsOf: s)
        for i in 0..<providerCount { t.utilities.append(s[i] * profit[index(i, profile[i])]) }
        t.welfare.append(w)
        t.potential.append(potential(of: profile, constant: constant))
        t.inefficiency.append(w > 0 ? maxWelfare / w : .nan)
        t.visited.append(visited)
        t.moved.append(moved)
    }
}
