// libFuzzer's entry point for the journalReader target (FuzzTargets.journalReader, docs/fuzzing.md).

import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.journalReader(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
