// The results file of a sweep (docs/results-format.md): root attributes that say what
// ran and whether it finished, one group per market with its axes as dimension scales
// and every result column as a dataset over the grid, trajectories and errors in
// subgroups. Only the coordinator writes it, one block at a time.

import Foundation
import GameCore
import Profiles
import Sweep

/// Version of the layout below; readers refuse files of another major version.
public let resultsFormatVersion: Int64 = 1

/// The HDF5 group path of each market (`gsm8k/best-of-n` nests as `/gsm8k/best-of-n`);
/// characters outside `[A-Za-z0-9._+-]` become `_`, and clashes get `~2`, `~3`, ...
public func marketGroupPaths(_ names: [String]) -> [String] {
    var used = Set<String>()
    return names.map { name in
        let parts = name.split(separator: "/").map { part -> String in
            let cleaned = String(part.unicodeScalars.map { c -> Character in
                (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) || "._+-".unicodeScalars.contains(c) ? Character(c) : "_"
            })
            return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "_" : cleaned
        }
        var path = "/" + (parts.isEmpty ? ["_"] : parts).joined(separator: "/")
        var k = 2
        let base = path
        while used.contains(path) || used.contains(where: { $0.hasPrefix(path + "/") || path.hasPrefix($0 + "/") }) {
            path = "\(base)~\(k)"
            k += 1
        }
        used.insert(path)
        return path
    }
}

/// Writes a sweep's results into one HDF5 file.
public final class ResultsWriter {
    public let path: String
    let file: H5File
    let plan: SweepPlan
    let groups: [String]
    /// Per market: the column datasets in `ResultSchema.columns` order.
    var columns: [[H5Dataset]] = []
    var trajectoryTables: [TrajectoryTables?] = []
    var errorTables: [ErrorTables] = []
    var pointsDone = 0, pointsFailed = 0
    /// Result columns staged in memory, written a tile at a time.
    var tiles: StagedTiles
    /// Staged tiles read back from the file because the memory budget had written them out
    /// before all their points arrived (results arriving far apart in the grid).
    public var stagingReloads: Int { tiles.reloads }

    struct TrajectoryTables {
        var trajectory, point, firstRow, rowCount: H5Dataset
        var row, profile, share, utility, welfare, potential, inefficiency, visited, moved: H5Dataset
        var rows = 0, count = 0
    }

    struct ErrorTables {
        var index, point, message: H5Dataset
        var count = 0
    }

    /// Creates the file and its whole layout. An existing file is refused unless `force`.
    public static func create(path: String, plan: SweepPlan, ttcgVersion: String, force: Bool,
                              staging: ResultsStaging = .standard) throws -> ResultsWriter {
        if FileManager.default.fileExists(atPath: path) && !force {
            throw HDF5Error(kind: .fileExists, file: path, object: nil, action: "cannot create the results file",
                            detail: "it exists; refusing to overwrite it (use --force)")
        }
        // No chunk cache: each block lands once, in its own region, so a cache only holds
        // memory (up to 1 MiB per dataset, 270 MB for the nine catalog markets) that grows
        // with the sweep until it is full. Without it the coordinator's memory stays flat:
        // 55 MB at 324,000 games and 61 MB at 3.24 million (180 and 322 MB with the default).
        let file = try H5File.create(path, mode: .truncate, chunkCacheBytes: 0)
        return try ResultsWriter(path: path, file: file, plan: plan, ttcgVersion: ttcgVersion, staging: staging)
    }

    init(path: String, file: H5File, plan: SweepPlan, ttcgVersion: String, staging: ResultsStaging) throws {
        self.path = path
        self.file = file
        self.plan = plan
        self.groups = marketGroupPaths(plan.markets.map(\.name))
        self.tiles = StagedTiles(markets: plan.markets, staging: staging)
        try file.setAttribute("format", "ttcg-results")
        try file.setAttribute("format_version", resultsFormatVersion)
        try file.setAttribute("ttcg_version", ttcgVersion)
        try file.setAttribute("spec", plan.spec.text)
        try file.setAttribute("spec_hash", plan.spec.hash)
        try file.setAttribute("job", plan.spec.name)
        try file.setAttribute("markets", plan.markets.map(\.name))
        try file.setAttribute("market_groups", groups)
        try file.setAttribute("profile_hashes", plan.markets.map(\.profileHash))
        try file.setAttribute("started_at", isoNow())
        try file.setAttribute("finished_at", "")
        try file.setAttribute("completed", Int64(0))
        try file.setAttribute("points_total", Int64(plan.pointCount))
        try file.setAttribute("points_done", Int64(0))
        try file.setAttribute("points_failed", Int64(0))
        for (m, pm) in plan.markets.enumerated() {
            try createMarket(pm, group: groups[m], chunk: tiles.grid[m].shape)
        }
        try file.flush()
    }

    /// The group of one market; its result columns are chunked `chunk` (+ the providers).
    func createMarket(_ pm: PlannedMarket, group path: String, chunk: [Int]) throws {
        let g = try file.requireGroup(path)
        let market = pm.market
        try g.setAttribute("market", pm.name)
        try g.setAttribute("reference", pm.reference)
        try g.setAttribute("dataset", market.dataset ?? "")
        try g.setAttribute("method", market.method ?? "")
        try g.setAttribute("profile_hash", pm.profileHash)
        try g.setAttribute("providers", market.providers.map(\.name))
        try g.setAttribute("levels", market.levels)
        try g.setAttribute("first_point", Int64(pm.firstPoint))
        try g.setAttribute("point_count", Int64(pm.pointCount))
        try g.setAttribute("all_equilibria", Int64(pm.allEquilibria ? 1 : 0))
        try g.setAttribute("market_json", MarketFile.renderJSON(market))

        // The axes, each a dimension scale.
        var scales: [H5Dataset] = []
        let a = pm.axes
        for (k, name) in axisNames.enumerated() {
            let n = pm.shape[k]
            let d: H5Dataset
            switch name {
            case "beta": d = try g.createDataset(name, of: Double.self, dims: [n]); try d.write(a.beta.map(\.beta))
            case "margin": d = try g.createDataset(name, of: Double.self, dims: [n]); try d.write(a.margin)
            case "alpha": d = try g.createDataset(name, of: Double.self, dims: [n]); try d.write(a.alpha)
            case "v0": d = try g.createDataset(name, of: Double.self, dims: [n]); try d.write(a.v0)
            case "seed": d = try g.createDataset(name, of: Int64.self, dims: [n]); try d.write(a.seed.map { Int64(bitPattern: $0) })
            case "tolerance": d = try g.createDataset(name, of: Double.self, dims: [n]); try d.write(a.tolerance)
            case "max_rounds": d = try g.createDataset(name, of: Int64.self, dims: [n]); try d.write(a.maxRounds.map(Int64.init))
            default: d = try g.createStringDataset(name, dims: [n]); try d.write(strings: a.labels(k))
            }
            try d.makeDimensionScale(name: name)
            scales.append(d)
        }
        let providerScale = try g.createStringDataset("provider", dims: [market.providerCount])
        try providerScale.write(strings: market.providers.map(\.name))
        try providerScale.makeDimensionScale(name: "provider")

        var datasets: [H5Dataset] = []
        var attachments: [[H5Dataset?]] = []
        for c in ResultSchema.columns {
            let dims = pm.shape + (c.perProvider ? [market.providerCount] : [])
            let chunk = chunk + (c.perProvider ? [market.providerCount] : [])
            let d: H5Dataset
            switch c.kind {
            case .float64: d = try g.createDataset(c.name, of: Double.self, dims: dims, chunk: chunk)
            case .int32: d = try g.createDataset(c.name, of: Int32.self, dims: dims, chunk: chunk, fill: -1)
            case .int64: d = try g.createDataset(c.name, of: Int64.self, dims: dims, chunk: chunk, fill: -1)
            case .uint8: d = try g.createDataset(c.name, of: UInt8.self, dims: dims, chunk: chunk, fill: 0)
            }
            attachments.append(scales + (c.perProvider ? [providerScale] : []))
            try d.setAttribute("description", c.about)
            datasets.append(d)
        }
        try g.attach(scales: attachments, to: datasets)
        columns.append(datasets)

        // Failed points: (point, message) rows.
        let eg = try g.createGroup("errors")
        let eIndex = try eg.createDataset("error", of: Int64.self, dims: [0], maxDims: [H5Dataset.unlimited], chunk: [256])
        try eIndex.makeDimensionScale(name: "error")
        let ePoint = try eg.createDataset("point", of: Int64.self, dims: [0], maxDims: [H5Dataset.unlimited], chunk: [256])
        let eMessage = try eg.createStringDataset("message", dims: [0], maxDims: [H5Dataset.unlimited], chunk: [256])
        for d in [ePoint, eMessage] { try eg.attach(scale: eIndex, to: d, dimension: 0) }
        try ePoint.setAttribute("description", "global grid point index of a failed point (point - first_point = row-major index in this group)")
        errorTables.append(ErrorTables(index: eIndex, point: ePoint, message: eMessage))

        // Trajectories: one row per step, rows of a point contiguous.
        guard plan.spec.outputs.trajectories != .none else {
            trajectoryTables.append(nil)
            return
        }
        let tg = try g.createGroup("trajectories")
        let n = market.providerCount
        func table<T: H5Numeric>(_ name: String, _ type: T.Type, perProvider: Bool = false) throws -> H5Dataset {
            try tg.createDataset(name, of: type, dims: perProvider ? [0, n] : [0],
                                 maxDims: perProvider ? [H5Dataset.unlimited, n] : [H5Dataset.unlimited],
                                 chunk: perProvider ? [max(1, 4096 / n), n] : [4096])
        }
        let trajectory = try table("trajectory", Int64.self)
        try trajectory.makeDimensionScale(name: "trajectory")
        let row = try table("row", Int64.self)
        try row.makeDimensionScale(name: "row")
        let tProvider = try tg.createStringDataset("provider", dims: [n])
        try tProvider.write(strings: market.providers.map(\.name))
        try tProvider.makeDimensionScale(name: "provider")
        let t = TrajectoryTables(
            trajectory: trajectory, point: try table("point", Int64.self), firstRow: try table("first_row", Int64.self),
            rowCount: try table("row_count", Int64.self), row: row,
            profile: try table("profile", Int32.self, perProvider: true), share: try table("share", Double.self, perProvider: true),
            utility: try table("utility", Double.self, perProvider: true), welfare: try table("welfare", Double.self),
            potential: try table("potential", Double.self), inefficiency: try table("inefficiency", Double.self),
            visited: try table("visited", Int32.self), moved: try table("moved", UInt8.self))
        for d in [t.point, t.firstRow, t.rowCount] { try tg.attach(scale: trajectory, to: d, dimension: 0) }
        for d in [t.profile, t.share, t.utility, t.welfare, t.potential, t.inefficiency, t.visited, t.moved] {
            try tg.attach(scale: row, to: d, dimension: 0)
        }
        for d in [t.profile, t.share, t.utility] { try tg.attach(scale: tProvider, to: d, dimension: 1) }
        try t.point.setAttribute("description", "global grid point of each trajectory; its steps are rows first_row ..< first_row + row_count")
        try t.visited.setAttribute("description", "provider visited at the step (-1: the start row)")
        trajectoryTables.append(t)
    }

    /// Takes a block of one market's points: its columns are staged (`StagedTiles`) and
    /// reach the file where the row-major grid puts them; errors and trajectories are appended.
    public func write(_ block: ResultBlock) throws {
        let m = plan.marketIndex(ofPoint: block.start)
        try stage(block, market: m)
        if !block.errors.isEmpty {
            let sorted = block.errors.sorted { $0.key < $1.key }
            try appendErrors(market: m, points: sorted.map(\.key), messages: sorted.map(\.value))
        }
        if !block.trajectories.isEmpty, var t = trajectoryTables[m] {
            let n = block.providers
            var points: [Int64] = [], firsts: [Int64] = [], counts: [Int64] = []
            var profile: [Int32] = [], share: [Double] = [], utility: [Double] = []
            var welfare: [Double] = [], potential: [Double] = [], inefficiency: [Double] = []
            var visited: [Int32] = [], moved: [UInt8] = []
            var row = t.rows
            for pt in block.trajectories {
                let tr = pt.trajectory
                points.append(Int64(pt.point)); firsts.append(Int64(row)); counts.append(Int64(tr.rowCount))
                row += tr.rowCount
                profile += tr.profiles.map { Int32(clamping: $0) }
                share += tr.shares; utility += tr.utilities
                welfare += tr.welfare; potential += tr.potential; inefficiency += tr.inefficiency
                visited += tr.visited.map { Int32(clamping: $0) }; moved += tr.moved.map { $0 ? 1 : 0 }
            }
            let newRows = row - t.rows
            let newCount = t.count + points.count
            for d in [t.trajectory, t.point, t.firstRow, t.rowCount] { try d.extend(toRows: newCount) }
            try t.trajectory.write((t.count..<newCount).map(Int64.init), atRow: t.count)
            try t.point.write(points, atRow: t.count)
            try t.firstRow.write(firsts, atRow: t.count)
            try t.rowCount.write(counts, atRow: t.count)
            for d in [t.row, t.profile, t.share, t.utility, t.welfare, t.potential, t.inefficiency, t.visited, t.moved] {
                try d.extend(toRows: row)
            }
            try t.row.write((t.rows..<row).map(Int64.init), atRow: t.rows)
            try t.profile.write(profile, start: [t.rows, 0], count: [newRows, n])
            try t.share.write(share, start: [t.rows, 0], count: [newRows, n])
            try t.utility.write(utility, start: [t.rows, 0], count: [newRows, n])
            try t.welfare.write(welfare, atRow: t.rows)
            try t.potential.write(potential, atRow: t.rows)
            try t.inefficiency.write(inefficiency, atRow: t.rows)
            try t.visited.write(visited, atRow: t.rows)
            try t.moved.write(moved, atRow: t.rows)
            t.rows = row
            t.count = newCount
            trajectoryTables[m] = t
        }
        pointsDone += block.count - block.errors.count
        pointsFailed += block.errors.count
    }

    /// Marks every point of `item` failed with `message`.
    public func recordFailure(item: WorkItem, message: String) throws {
        var block = ResultBlock(start: item.start, count: item.count, providers: plan.markets[item.market].market.providerCount)
        let status = ResultSchema.slot["status"]!
        for i in 0..<item.count {
            block.uint8[status][i] = PointStatus.failed.rawValue
            block.errors[item.start + i] = message
        }
        try write(block)
    }

    func appendErrors(market m: Int, points: [Int], messages: [String]) throws {
        var e = errorTables[m]
        let newCount = e.count + points.count
        for d in [e.index, e.point, e.message] { try d.extend(toRows: newCount) }
        try e.index.write((e.count..<newCount).map(Int64.init), atRow: e.count)
        try e.point.write(points.map(Int64.init), atRow: e.count)
        try e.message.write(strings: messages, atRow: e.count)
        e.count = newCount
        errorTables[m] = e
    }

    /// Counters and buffers to disk.
    public func flush() throws {
        try flushTiles()
        try file.setAttribute("points_done", Int64(pointsDone))
        try file.setAttribute("points_failed", Int64(pointsFailed))
        try file.flush()
    }

    /// Rewrites each market's trajectories in point order, so the finished file does not
    /// depend on the order results arrived in (worker count, retries, resumes).
    func sortTrajectories() throws {
        for m in trajectoryTables.indices {
            guard let t = trajectoryTables[m], t.count > 1 else { continue }
            let points = try t.point.read(as: Int64.self), firsts = try t.firstRow.read(as: Int64.self)
            let counts = try t.rowCount.read(as: Int64.self)
            let order = points.indices.sorted { points[$0] < points[$1] }
            if order == Array(points.indices) { continue }
            let n = plan.markets[m].market.providerCount
            func permuted<T>(_ values: [T], width: Int) -> [T] {
                var out: [T] = []
                out.reserveCapacity(values.count)
                for i in order {
                    let lo = Int(firsts[i]) * width, hi = lo + Int(counts[i]) * width
                    out.append(contentsOf: values[lo..<hi])
                }
                return out
            }
            var newFirsts: [Int64] = [], row: Int64 = 0
            for i in order { newFirsts.append(row); row += counts[i] }
            try t.point.write(order.map { points[$0] })
            try t.rowCount.write(order.map { counts[$0] })
            try t.firstRow.write(newFirsts)
            try t.profile.write(permuted(try t.profile.read(as: Int32.self), width: n))
            try t.share.write(permuted(try t.share.read(as: Double.self), width: n))
            try t.utility.write(permuted(try t.utility.read(as: Double.self), width: n))
            try t.welfare.write(permuted(try t.welfare.read(as: Double.self), width: 1))
            try t.potential.write(permuted(try t.potential.read(as: Double.self), width: 1))
            try t.inefficiency.write(permuted(try t.inefficiency.read(as: Double.self), width: 1))
            try t.visited.write(permuted(try t.visited.read(as: Int32.self), width: 1))
            try t.moved.write(permuted(try t.moved.read(as: UInt8.self), width: 1))
        }
        // Errors too: one row per failed point, in point order.
        for m in errorTables.indices where errorTables[m].count > 1 {
            let e = errorTables[m]
            let points = try e.point.read(as: Int64.self), messages = try e.message.readStrings()
            let order = points.indices.sorted { points[$0] < points[$1] }
            try e.point.write(order.map { points[$0] })
            try e.message.write(strings: order.map { messages[$0] })
        }
    }

    /// Stamps the finish time and, when every point has a result, `completed = 1`; closes.
    public func finish(completed: Bool) throws {
        try closeTiles()
        try sortTrajectories()
        try file.setAttribute("points_done", Int64(pointsDone))
        try file.setAttribute("points_failed", Int64(pointsFailed))
        try file.setAttribute("finished_at", isoNow())
        try file.setAttribute("completed", Int64(completed ? 1 : 0))
        try file.flush()
        try file.close()
    }

    /// Closes without marking anything (an interrupted run).
    public func close() throws {
        let staged = Result { try closeTiles() }
        try file.close()
        try staged.get()
    }
}

/// A hyperslab of a row-major grid that is one contiguous run of flat indices.
public struct GridBox: Equatable, Sendable {
    public var start: [Int]
    public var count: [Int]
    public var flatStart: Int
    public var flatCount: Int
}

/// Cuts a range of row-major flat indices of a grid of `shape` into boxes (at most about
/// 2 per dimension), each contiguous in flat order, so a block is a few hyperslab writes.
public func flatRangeBoxes(shape: [Int], range: Range<Int>) -> [GridBox] {
    let d = shape.count
    var strides = [Int](repeating: 1, count: d)
    for k in stride(from: d - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
    var boxes: [GridBox] = []
    var a = range.lowerBound
    while a < range.upperBound {
        // The coarsest dimension at whose boundary `a` sits and whose step still fits.
        var k = d - 1
        for j in 0..<d where a % strides[j] == 0 && a + strides[j] <= range.upperBound {
            k = j
            break
        }
        var index = [Int](repeating: 0, count: d)
        var rest = a
        for j in 0..<d { index[j] = rest / strides[j]; rest %= strides[j] }
        let n = min((range.upperBound - a) / strides[k], shape[k] - index[k])
        var count = [Int](repeating: 1, count: d)
        count[k] = n
        for j in (k + 1)..<max(k + 1, d) { count[j] = shape[j] }
        boxes.append(GridBox(start: index, count: count, flatStart: a, flatCount: n * strides[k]))
        a += n * strides[k]
    }
    return boxes
}

func isoNow() -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: Date())
}
