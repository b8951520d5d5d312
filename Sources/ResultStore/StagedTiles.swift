// Result columns staged in memory, one tile of consecutive grid points at a time, so the
// results file is written in a few large hyperslabs per column rather than thirty small
// ones per arriving block (docs/architecture.md, "The coordinator's data path at scale").
//
// A staged tile is the truth for its points: it starts as the file holds them (pending
// fill values, or what an earlier flush wrote there, read back) and takes each arriving
// block, so writing the whole tile is always right, whatever arrived and in which order.
// A tile is written when all its points arrived, when the open tiles exceed their memory
// budget (the least recently used goes), and on every flush (snapshot, finish).

import Sweep

/// Where a tile is: a market and the tile's index within that market's points.
struct TileKey: Hashable {
    var market: Int
    var index: Int
}

/// The staged points of one tile, column by column as in `ResultBlock`.
final class StagedTile {
    let key: TileKey
    var block: ResultBlock
    /// Points copied in since the tile was opened (a point written twice counts twice; that
    /// only writes the tile early).
    var arrived = 0
    var lastUse = 0
    init(key: TileKey, block: ResultBlock) {
        self.key = key
        self.block = block
    }
}

/// How much memory a results file stages its columns in.
public struct ResultsStaging: Sendable {
    /// Bytes of memory a tile aims at (all its columns together; at least one point).
    public var tileBytes: Int
    /// Bytes all open tiles may hold before the least recently used is written out.
    public var budgetBytes: Int
    public init(tileBytes: Int, budgetBytes: Int) {
        self.tileBytes = tileBytes
        self.budgetBytes = budgetBytes
    }
    /// 4 MiB tiles, 32 MiB in all: a tile is one write of about 100-200 KB per column.
    public static let standard = ResultsStaging(tileBytes: 4 << 20, budgetBytes: 32 << 20)
}

/// The block of a market's grid that one staged tile fills, and the HDF5 chunk of every
/// column: leading dimensions of extent 1, one dimension cut, the rest whole. So a tile is `points` consecutive flat indices, one hyperslab, one chunk per
/// column: written once, whole, when its last point arrives (no chunk written twice, no
/// chunk filled with fill values first and overwritten later).
struct GridTile: Equatable, Sendable {
    /// The chunk shape over the grid's dimensions (per-provider columns add the providers).
    var shape: [Int]
    var points: Int

    /// The largest such block of at most `target` points (at least one point).
    static func fitting(shape: [Int], target: Int) -> GridTile {
        var strides = [Int](repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * max(1, shape[k + 1]) }
        let k = strides.firstIndex { $0 <= max(1, target) } ?? shape.count - 1
        let extent = max(1, min(max(1, shape[k]), max(1, target) / strides[k]))
        let chunk = Array(repeating: 1, count: k) + [extent] + shape[(k + 1)...].map { max(1, $0) }
        return GridTile(shape: chunk, points: extent * strides[k])
    }
}

/// The open tiles of a results file, bounded by `budgetBytes`.
struct StagedTiles {
    let budgetBytes: Int

    /// Per market: the tile (and chunk) of its grid.
    let grid: [GridTile]
    let bytesPerPoint: [Int]
    var open: [TileKey: StagedTile] = [:]
    /// Storage of tiles written out, kept for the next tiles of the same shape: no fresh
    /// allocation (and fresh pages) for every 4 MiB of results.
    var spare: [ResultBlock] = []
    /// Tiles written to the file at least once: reopening one reads it back first.
    var written = Set<TileKey>()
    var openBytes = 0
    var uses = 0
    /// Tiles read back from the file to be written again.
    var reloads = 0

    init(markets: [PlannedMarket], staging: ResultsStaging) {
        let bytes = markets.map { pm in
            ResultSchema.columns.reduce(0) { sum, c in sum + c.kind.byteSize * (c.perProvider ? pm.market.providerCount : 1) }
        }
        bytesPerPoint = bytes
        grid = markets.indices.map { GridTile.fitting(shape: markets[$0].shape, target: staging.tileBytes / bytes[$0]) }
        budgetBytes = staging.budgetBytes
    }
}

extension ResultBlock {
    /// Copies `count` points of `source` starting at global point `point` into this block.
    mutating func copyPoints(from source: ResultBlock, point: Int, count: Int) {
        let w = providers
        precondition(source.providers == w && point >= start && point + count <= start + self.count
                     && point >= source.start && point + count <= source.start + source.count)
        let to = point - start, from = point - source.start
        func copy<T>(_ dst: inout [[T]], _ src: [[T]], _ perProvider: [Bool]) {
            for slot in perProvider.indices {
                let width = perProvider[slot] ? w : 1
                dst[slot].withUnsafeMutableBufferPointer { d in
                    src[slot].withUnsafeBufferPointer { s in
                        (d.baseAddress! + to * width).update(from: s.baseAddress! + from * width, count: count * width)
                    }
                }
            }
        }
        copy(&float64, source.float64, perProviderSlots.float64)
        copy(&int32, source.int32, perProviderSlots.int32)
        copy(&int64, source.int64, perProviderSlots.int64)
        copy(&uint8, source.uint8, perProviderSlots.uint8)
    }
}

/// Per kind, in slot order: whether each column holds one value per provider.
private let perProviderSlots = (
    float64: ResultSchema.columns.filter { $0.kind == .float64 }.map(\.perProvider),
    int32: ResultSchema.columns.filter { $0.kind == .int32 }.map(\.perProvider),
    int64: ResultSchema.columns.filter { $0.kind == .int64 }.map(\.perProvider),
    uint8: ResultSchema.columns.filter { $0.kind == .uint8 }.map(\.perProvider))

extension ResultsWriter {
    /// Copies a block's columns into the staged tiles it falls in; writes the tiles it fills.
    func stage(_ block: ResultBlock, market m: Int) throws {
        let pm = plan.markets[m]
        let n = tiles.grid[m].points
        var p = block.start
        let end = block.start + block.count
        while p < end {
            let key = TileKey(market: m, index: (p - pm.firstPoint) / n)
            let tile = try openTile(key)
            let count = min(end, tile.block.start + tile.block.count) - p
            tile.block.copyPoints(from: block, point: p, count: count)
            tile.arrived += count
            tiles.uses += 1
            tile.lastUse = tiles.uses
            if tile.arrived >= tile.block.count { try closeTile(key) }
            p += count
        }
        while tiles.openBytes > tiles.budgetBytes, let oldest = tiles.open.values.min(by: { $0.lastUse < $1.lastUse }) {
            try closeTile(oldest.key)
        }
    }

    /// The open tile at `key`; a new one holds what the file holds for its points.
    func openTile(_ key: TileKey) throws -> StagedTile {
        if let tile = tiles.open[key] { return tile }
        let pm = plan.markets[key.market]
        let n = tiles.grid[key.market].points
        let start = pm.firstPoint + key.index * n
        let count = min(n, pm.firstPoint + pm.pointCount - start), providers = pm.market.providerCount
        var block: ResultBlock
        if let i = tiles.spare.firstIndex(where: { $0.count == count && $0.providers == providers }) {
            block = tiles.spare.remove(at: i)
            block.start = start
            block.makePending()
        } else {
            block = ResultBlock(start: start, count: count, providers: providers)
        }
        if tiles.written.contains(key) {
            try readColumns(into: &block, market: key.market)
            tiles.reloads += 1
        }
        let tile = StagedTile(key: key, block: block)
        tiles.open[key] = tile
        tiles.openBytes += block.count * tiles.bytesPerPoint[key.market]
        return tile
    }

    /// Writes the tile at `key` to the file and forgets it.
    func closeTile(_ key: TileKey) throws {
        guard let tile = tiles.open.removeValue(forKey: key) else { return }
        tiles.openBytes -= tile.block.count * tiles.bytesPerPoint[key.market]
        try writeColumns(tile.block, market: key.market)
        tiles.written.insert(key)
        if tiles.spare.count < 2 { tiles.spare.append(tile.block) }
    }

    /// Writes every open tile (they stay open: their memory is still the truth).
    func flushTiles() throws {
        for tile in tiles.open.values.sorted(by: { ($0.key.market, $0.key.index) < ($1.key.market, $1.key.index) }) {
            try writeColumns(tile.block, market: tile.key.market)
            tiles.written.insert(tile.key)
        }
    }

    /// Writes every open tile and forgets them all.
    func closeTiles() throws {
        try flushTiles()
        tiles.open.removeAll()
        tiles.openBytes = 0
    }

    /// Writes a block's columns where the row-major grid puts them: a few hyperslabs each.
    func writeColumns(_ block: ResultBlock, market m: Int) throws {
        try forEachHyperslab(of: block, market: m) { c, d, slot, start, count, lo, hi in
            switch c.kind {
            case .float64: try block.float64[slot].withUnsafeBufferPointer { try d.write(UnsafeBufferPointer(rebasing: $0[lo..<hi]), start: start, count: count) }
            case .int32: try block.int32[slot].withUnsafeBufferPointer { try d.write(UnsafeBufferPointer(rebasing: $0[lo..<hi]), start: start, count: count) }
            case .int64: try block.int64[slot].withUnsafeBufferPointer { try d.write(UnsafeBufferPointer(rebasing: $0[lo..<hi]), start: start, count: count) }
            case .uint8: try block.uint8[slot].withUnsafeBufferPointer { try d.write(UnsafeBufferPointer(rebasing: $0[lo..<hi]), start: start, count: count) }
            }
        }
    }

    /// Reads a block's columns back from the file (a tile written before and opened again).
    func readColumns(into block: inout ResultBlock, market m: Int) throws {
        var b = block
        try forEachHyperslab(of: block, market: m) { c, d, slot, start, count, lo, hi in
            switch c.kind {
            case .float64: b.float64[slot].replaceSubrange(lo..<hi, with: try d.read(as: Double.self, start: start, count: count))
            case .int32: b.int32[slot].replaceSubrange(lo..<hi, with: try d.read(as: Int32.self, start: start, count: count))
            case .int64: b.int64[slot].replaceSubrange(lo..<hi, with: try d.read(as: Int64.self, start: start, count: count))
            case .uint8: b.uint8[slot].replaceSubrange(lo..<hi, with: try d.read(as: UInt8.self, start: start, count: count))
            }
        }
        block = b
    }

    /// For each column and each grid box of the block's points: the column, its dataset, its
    /// slot among its kind, the hyperslab, and the range of the block's values it holds.
    private func forEachHyperslab(of block: ResultBlock, market m: Int,
                                  _ body: (Column, H5Dataset, Int, [Int], [Int], Int, Int) throws -> Void) throws {
        let pm = plan.markets[m]
        let local = block.start - pm.firstPoint
        let boxes = flatRangeBoxes(shape: pm.shape, range: local..<(local + block.count))
        for (ci, c) in ResultSchema.columns.enumerated() {
            let slot = ResultSchema.slot[c.name]!
            let width = c.perProvider ? block.providers : 1
            for box in boxes {
                let lo = (box.flatStart - local) * width
                try body(c, columns[m][ci], slot, box.start + (c.perProvider ? [0] : []),
                         box.count + (c.perProvider ? [width] : []), lo, lo + box.flatCount * width)
            }
        }
    }
}
