// Where the coordinator puts accepted results: the HDF5 file through its journal
// (`ResultsSession`), or memory in tests (`MemorySink`).

import Sweep

/// Where accepted results go (the HDF5 file, or memory in tests). Called on the
/// coordinator's thread only.
public protocol ResultSink: AnyObject {
    /// The results of `item`, accepted once.
    func write(_ block: ResultBlock, item: WorkItem) throws
    /// The same, with the block's bytes as the worker encoded them (`Codec.resultBlockBytes`).
    func write(_ block: ResultBlock, encoded: ArraySlice<UInt8>, item: WorkItem) throws
    /// `item` failed on every attempt: its points are failed with `message`.
    func recordFailure(item: WorkItem, message: String) throws
    /// Called on every heartbeat tick: time-based work (flushing a journal, a snapshot).
    func tick() throws
}

extension ResultSink {
    public func tick() throws {}
    public func write(_ block: ResultBlock, encoded: ArraySlice<UInt8>, item: WorkItem) throws {
        try write(block, item: item)
    }
}
