// What one grid point produces, as named columns: the coordinator stores them, the wire
// carries them, the HDF5 layout writes them, `export` flattens them. One schema here,
// so a new column is one line (docs/results-format.md lists them).

import GameCore

/// Element types of result columns.
public enum ColumnKind: Sendable, Hashable {
    case float64, int32, int64, uint8

    /// Bytes per value (on the wire, in the journal and in memory).
    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .int32: 4
        case .uint8: 1
        }
    }
}

/// One result column: a scalar per point, or one value per provider.
public struct Column: Sendable, Hashable {
    public var name: String
    public var kind: ColumnKind
    public var perProvider: Bool
    /// One line for the HDF5 attribute and the docs.
    public var about: String
}

/// Point status values of the `status` column.
public enum PointStatus: UInt8, Sendable {
    case pending = 0, done = 1, failed = 2
}

/// The columns, in a fixed order; `ResultBlock` stores each kind's columns in this order.
public enum ResultSchema {
    public static let columns: [Column] = [
        Column(name: "status", kind: .uint8, perProvider: false, about: "0 pending, 1 done, 2 failed (see errors)"),
        Column(name: "converged", kind: .uint8, perProvider: false, about: "1 when the dynamics ended in a verified pure Nash equilibrium"),
        Column(name: "steps", kind: .int32, perProvider: false, about: "visits made by the dynamics (one visit = one step)"),
        Column(name: "rounds", kind: .int32, perProvider: false, about: "rounds of the dynamics"),
        Column(name: "moves", kind: .int32, perProvider: false, about: "improving moves made"),
        Column(name: "last_move_step", kind: .int32, perProvider: false, about: "step of the last move (0 if none)"),
        Column(name: "eq_profile", kind: .int32, perProvider: true, about: "level index per provider where the dynamics ended (0 = cheapest)"),
        Column(name: "eq_share", kind: .float64, perProvider: true, about: "market share per provider at the equilibrium (Eq. 1)"),
        Column(name: "eq_utility", kind: .float64, perProvider: true, about: "provider utility at the equilibrium, dollars per query"),
        Column(name: "eq_value", kind: .float64, perProvider: true, about: "user value V offered per provider at the equilibrium"),
        Column(name: "abstention_share", kind: .float64, perProvider: false, about: "share of users choosing no provider (V0)"),
        Column(name: "welfare_eq", kind: .float64, perProvider: false, about: "social welfare at the equilibrium"),
        Column(name: "welfare_opt", kind: .float64, perProvider: false, about: "exact maximum social welfare over all profiles"),
        Column(name: "opt_profile", kind: .int32, perProvider: true, about: "a welfare-maximising profile"),
        Column(name: "poa", kind: .float64, perProvider: false, about: "price of anarchy welfare_opt / welfare_eq (NaN if welfare_eq <= 0)"),
        Column(name: "market_user_value", kind: .float64, perProvider: false, about: "share-weighted user value at the equilibrium (Table 2)"),
        Column(name: "market_price", kind: .float64, perProvider: false, about: "share-weighted price at the equilibrium (Table 2)"),
        Column(name: "market_provider_utility", kind: .float64, perProvider: false, about: "share-weighted provider utility at the equilibrium (Table 2)"),
        Column(name: "auction_winner", kind: .int32, perProvider: false, about: "provider index of the auction winner (-1: no trade)"),
        Column(name: "auction_runner_up", kind: .int32, perProvider: false, about: "provider index of the second-best offer (-1: none)"),
        Column(name: "auction_winner_level", kind: .int32, perProvider: false, about: "level the winner bids (-1: no trade)"),
        Column(name: "auction_payment", kind: .float64, perProvider: false, about: "payment to the winner (Eq. 10 with the V0 reserve)"),
        Column(name: "auction_user_value", kind: .float64, perProvider: false, about: "user value under the auction"),
        Column(name: "auction_winner_utility", kind: .float64, perProvider: false, about: "winner utility under the auction (Eq. 11)"),
        Column(name: "auction_welfare", kind: .float64, perProvider: false, about: "social welfare under the auction"),
        Column(name: "equilibria_count", kind: .int64, perProvider: false, about: "number of pure Nash equilibria (-1: not enumerated)"),
        Column(name: "equilibria_worst_welfare", kind: .float64, perProvider: false, about: "worst welfare over pure equilibria (NaN: not enumerated)"),
        Column(name: "equilibria_best_welfare", kind: .float64, perProvider: false, about: "best welfare over pure equilibria (NaN: not enumerated)"),
        Column(name: "poa_worst", kind: .float64, perProvider: false, about: "price of anarchy over the worst pure equilibrium"),
        Column(name: "price_of_stability", kind: .float64, perProvider: false, about: "price of stability (best pure equilibrium)"),
    ]

    /// Position of each column among the columns of its kind.
    public static let slot: [String: Int] = {
        var counts: [ColumnKind: Int] = [:]
        var out: [String: Int] = [:]
        for c in columns {
            out[c.name] = counts[c.kind, default: 0]
            counts[c.kind, default: 0] += 1
        }
        return out
    }()

    public static func count(_ kind: ColumnKind) -> Int { columns.filter { $0.kind == kind }.count }
}

/// A trajectory of one point.
public struct PointTrajectory: Sendable, Equatable {
    public var point: Int
    public var trajectory: Trajectory
    public init(point: Int, trajectory: Trajectory) {
        self.point = point
        self.trajectory = trajectory
    }
}

/// The results of a contiguous range of points of one market, column by column.
/// Columns of a per-provider kind hold `count * providers` values, point-major.
public struct ResultBlock: Sendable, Equatable {
    public var start: Int
    public var count: Int
    public var providers: Int
    public var float64: [[Double]]
    public var int32: [[Int32]]
    public var int64: [[Int64]]
    public var uint8: [[UInt8]]
    /// Error text of failed points, by global point index.
    public var errors: [Int: String]
    public var trajectories: [PointTrajectory]

    /// A block of `count` pending points: NaN, -1 and 0 everywhere.
    public init(start: Int, count: Int, providers: Int) {
        self.start = start
        self.count = count
        self.providers = providers
        func size(_ c: Column) -> Int { c.perProvider ? count * providers : count }
        let cols = ResultSchema.columns
        float64 = cols.filter { $0.kind == .float64 }.map { [Double](repeating: .nan, count: size($0)) }
        int32 = cols.filter { $0.kind == .int32 }.map { [Int32](repeating: -1, count: size($0)) }
        int64 = cols.filter { $0.kind == .int64 }.map { [Int64](repeating: -1, count: size($0)) }
        uint8 = cols.filter { $0.kind == .uint8 }.map { [UInt8](repeating: 0, count: size($0)) }
        errors = [:]
        trajectories = []
    }

    /// Every point pending again, as in a new block (NaN, -1 and 0); errors and
    /// trajectories are left as they are. Reuses the block's storage.
    public mutating func makePending() {
        for i in float64.indices { float64[i].withUnsafeMutableBufferPointer { $0.update(repeating: .nan) } }
        for i in int32.indices { int32[i].withUnsafeMutableBufferPointer { $0.update(repeating: -1) } }
        for i in int64.indices { int64[i].withUnsafeMutableBufferPointer { $0.update(repeating: -1) } }
        for i in uint8.indices { uint8[i].withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    }

    /// A block of the given columns (each kind's columns in `ResultSchema.columns` order,
    /// each of `count` or `count * providers` values), no errors, no trajectories.
    public init(start: Int, count: Int, providers: Int,
                float64: [[Double]], int32: [[Int32]], int64: [[Int64]], uint8: [[UInt8]]) {
        self.start = start
        self.count = count
        self.providers = providers
        self.float64 = float64
        self.int32 = int32
        self.int64 = int64
        self.uint8 = uint8
        errors = [:]
        trajectories = []
    }

    public func doubles(_ name: String) -> [Double] { float64[ResultSchema.slot[name]!] }
    public func ints(_ name: String) -> [Int32] { int32[ResultSchema.slot[name]!] }
    public func longs(_ name: String) -> [Int64] { int64[ResultSchema.slot[name]!] }
    public func bytes(_ name: String) -> [UInt8] { uint8[ResultSchema.slot[name]!] }
}

extension ResultBlock {
    /// Bit-for-bit equality (NaN equals NaN of the same bits): what "identical results" means
    /// across worker counts, thread counts and resumes.
    public func isIdentical(to other: ResultBlock) -> Bool {
        func same(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
        guard start == other.start, count == other.count, providers == other.providers,
              int32 == other.int32, int64 == other.int64, uint8 == other.uint8, errors == other.errors,
              float64.count == other.float64.count, zip(float64, other.float64).allSatisfy(same),
              trajectories.count == other.trajectories.count else { return false }
        for (x, y) in zip(trajectories, other.trajectories) {
            let s = x.trajectory, t = y.trajectory
            guard x.point == y.point, s.providerCount == t.providerCount, s.profiles == t.profiles,
                  s.visited == t.visited, s.moved == t.moved, same(s.shares, t.shares), same(s.utilities, t.utilities),
                  same(s.welfare, t.welfare), same(s.potential, t.potential), same(s.inefficiency, t.inefficiency)
            else { return false }
        }
        return true
    }
}
