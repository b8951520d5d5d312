// libFuzzer's entry point for the ingestionScanner target (FuzzTargets.ingestionScanner, docs/fuzzing.md).

import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.ingestionScanner(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
