// Coverage-guided fuzzing of the readers of untrusted bytes (docs/fuzzing.md): one function
// per target, each feeding an input to the real reader through its public API. A thrown
// error is the reader doing its job; a trap, a crash, a hang or unbounded memory is a bug.
// Where a reader's output can be checked cheaply, the target also checks it (a decoded
// message encodes and decodes to itself, a parsed market renders to text that parses).
//
// Fuzz/ builds one libFuzzer executable per target around these functions; the test
// target FuzzCorpusTests runs every committed corpus input through them once.

/// The fuzz targets by name: the names of `Fuzz/corpus/<name>/` and of `make fuzz FUZZ_TARGETS=...`.
public enum FuzzTargets {
    public typealias Target = @Sendable (UnsafeRawBufferPointer) -> Void

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [(name: String, run: Target)] = [
        ("protocolDecoder", protocolDecoder),
        ("journalReader", journalReader),
        ("specReader", specReader),
        ("marketReader", marketReader),
        ("ingestionScanner", ingestionScanner),
    ]

    /// The target called `name`, if any.
    public static func named(_ name: String) -> Target? {
        all.first { $0.name == name }?.run
    }
}

/// A violated property of a reader's output: stops the process like a trap, so libFuzzer
/// keeps the input as a crash and the corpus test fails with the message.
func fuzzCheck(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !ok() { fatalError(message(), file: file, line: line) }
}
