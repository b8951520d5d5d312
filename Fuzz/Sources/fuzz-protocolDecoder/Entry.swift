// libFuzzer's entry point for the protocolDecoder target (FuzzTargets.protocolDecoder, docs/fuzzing.md).

import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.protocolDecoder(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
