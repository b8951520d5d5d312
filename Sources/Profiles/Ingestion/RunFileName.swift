// The names of raw-run files (model.md §8): `MODEL--temp-T--samples-S--max-M.jsonl`.

import Foundation

/// What a raw-run file name says: the model, the sampling temperature, the number of
/// samples per question and the generation limit in tokens.
public struct RunFileName: Sendable, Hashable {
    /// The model, as it will appear in the `model` column (everything before `--temp-`).
    public var model: String
    /// The temperature, as written (`0.7`).
    public var temperature: String
    /// Samples generated per question (`S`).
    public var samples: Int
    /// The generation limit in tokens (`M`); chain-of-thought keeps samples with total < M.
    public var maxTokens: Int

    public init(model: String, temperature: String, samples: Int, maxTokens: Int) {
        self.model = model
        self.temperature = temperature
        self.samples = samples
        self.maxTokens = maxTokens
    }

    /// Parses a file name (not a path). Nil unless it is exactly
    /// `MODEL--temp-T--samples-S--max-M.jsonl` with a non-empty model, S >= 1 and M >= 1.
    /// The model may itself contain `-` (and even `--`): the last three `--` parts are read.
    public init?(parsing fileName: String) {
        guard fileName.hasSuffix(".jsonl") else { return nil }
        let stem = fileName.dropLast(".jsonl".count)
        var parts = stem.components(separatedBy: "--")
        guard parts.count >= 4 else { return nil }
        let maxPart = parts.removeLast(), samplesPart = parts.removeLast(), tempPart = parts.removeLast()
        let model = parts.joined(separator: "--")
        guard !model.isEmpty,
              tempPart.hasPrefix("temp-"), samplesPart.hasPrefix("samples-"), maxPart.hasPrefix("max-"),
              let s = Int(samplesPart.dropFirst("samples-".count)), s >= 1,
              let m = Int(maxPart.dropFirst("max-".count)), m >= 1
        else { return nil }
        let t = String(tempPart.dropFirst("temp-".count))
        guard !t.isEmpty else { return nil }
        self.init(model: model, temperature: t, samples: s, maxTokens: m)
    }

    /// The file name this describes.
    public var fileName: String { "\(model)--temp-\(temperature)--samples-\(samples)--max-\(maxTokens).jsonl" }
}
