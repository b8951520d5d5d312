// libFuzzer's entry point for the marketReader target (FuzzTargets.marketReader, docs/fuzzing.md).

import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.marketReader(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
