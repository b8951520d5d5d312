// A result sink that keeps everything in memory: for tests, and for small sweeps whose
// caller wants the blocks themselves.

import Sweep

public final class MemorySink: ResultSink {
    public private(set) var blocks: [Int: ResultBlock] = [:]
    public private(set) var failures: [Int: String] = [:]
    /// Item ids in the order they were accepted.
    public private(set) var order: [Int] = []

    public init() {}

    public func write(_ block: ResultBlock, item: WorkItem) throws {
        precondition(blocks[item.id] == nil, "item \(item.id) written twice")
        blocks[item.id] = block
        order.append(item.id)
    }

    public func recordFailure(item: WorkItem, message: String) throws {
        failures[item.id] = message
        order.append(item.id)
    }
}
