// libFuzzer's entry point for the specReader target (FuzzTargets.specReader, docs/fuzzing.md).

import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.specReader(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
