import Foundation

/// The outcome of ``ModelShape/parallelSearch(params:counting:vocab:seqLen:kvHeads:)``: a shape the
/// usual parallel degrees divide, and what it traded for that.
public struct ParallelShapeChoice: Sendable, Hashable, Codable {
    public var choice: ShapeChoice
    /// Tensor-parallel degrees (powers of two up to 8, one node) dividing the heads and kv heads.
    public var tensorParallelDegrees: [Int]
    /// Pipeline degrees (powers of two up to 64) dividing the layers.
    public var pipelineParallelDegrees: [Int]
    /// The tier the shape came from, first = most parallel-friendly (see the search).
    public var tier: Int

    /// One line: the size error and the degrees that divide the shape.
    public var summary: String {
        let shape = choice.shape
        return String(format: "%+.1f%% from N; %d heads%@ (tp %@ divide them), %d layers (pp %@ divide them)",
                      choice.relativeError * 100, shape.nHead,
                      shape.nKVHead == shape.nHead ? "" : " / \(shape.nKVHead) kv heads",
                      tensorParallelDegrees.map(String.init).joined(separator: ", "), shape.nLayer,
                      pipelineParallelDegrees.map(String.init).joined(separator: ", "))
    }
}

extension ModelShape {
    /// A shape for `params` that tensor and pipeline parallelism divide, as real model families are
    /// built (GPT-3: 96 heads, 96 layers; Llama 3 405B: 128 heads, 8 kv heads, 126 layers; Megatron
    /// 1T: 160 heads, 128 layers):
    ///
    /// - heads a multiple of 8 (so tp = 1, 2, 4, 8 divides them), head dimension 64 below a width
    ///   of 2048 and 128 from there (`dModel` = heads · head dimension, `dFF = 4 dModel`);
    /// - `kvHeads` key/value heads (grouped-query attention; `nil` = one per head): widths whose
    ///   head count it does not divide are skipped;
    /// - layers: tier 1 wants a multiple of 8 and `dModel / nLayer` in 64–200, within 3% of N;
    ///   tier 2 a multiple of 4 and aspect 32–256, within 5%; tier 3 an even count, within 10%;
    ///   else the closest shape. In a tier the score is `|log(count / N)| + 0.002 |log2(aspect / 128)|`.
    public static func parallelSearch(params: Double, counting: ParameterCounting = .nonEmbedding, vocab: Int,
                                      seqLen: Int, kvHeads: Int? = nil) throws -> ParallelShapeChoice {
        guard params.isFinite && params >= 1e6 else {
            throw ScalingLawError.invalidArgument("The parallel-friendly shape search needs N >= 1e6 parameters (got \(params)).")
        }
        guard vocab > 0 && seqLen > 0 else {
            throw ScalingLawError.invalidArgument("Vocabulary size and context length must be positive (got \(vocab), \(seqLen)).")
        }
        if let k = kvHeads, k < 1 { throw ScalingLawError.invalidArgument("kv heads must be at least 1, got \(k).") }
        typealias Candidate = (shape: ModelShape, count: Int, sizeError: Double)
        var candidates: [Candidate] = []
        for heads in stride(from: 8, through: 1024, by: 8) {
            let headDim = heads * 64 < 2048 ? 64 : 128
            let d = heads * headDim
            let kv = kvHeads ?? heads
            guard kv <= heads, heads % kv == 0 else { continue }
            for layers in 1...1024 {
                let s = ModelShape(nLayer: layers, dModel: d, nHead: heads, dFF: 4 * d, vocab: vocab, seqLen: seqLen, nKVHead: kv)
                let c = s.parameters(counting)
                candidates.append((s, c, abs(log(Double(c) / params))))
                if Double(c) > params * 1.2 { break }
            }
        }
        guard !candidates.isEmpty else {
            throw ScalingLawError.invalidArgument("No head count that is a multiple of 8 is divisible by \(kvHeads ?? 0) kv heads; use 1, 2, 4 or 8 kv heads.")
        }
        func score(_ c: Candidate, aspectWeight: Double) -> Double {
            c.sizeError + aspectWeight * abs(log2(c.shape.aspectRatio / 128))
        }
        let tiers: [(layerMultiple: Int, aspect: ClosedRange<Double>, tolerance: Double)] = [
            (8, 64...200, 1.03), (4, 32...256, 1.05), (2, 16...512, 1.10),
        ]
        var chosen: Candidate? = nil, tier = tiers.count + 1
        for (i, t) in tiers.enumerated() {
            let inTier = candidates.filter {
                $0.shape.nLayer % t.layerMultiple == 0 && t.aspect.contains($0.shape.aspectRatio) && $0.sizeError <= log(t.tolerance)
            }
            if let best = inTier.min(by: { score($0, aspectWeight: 0.002) < score($1, aspectWeight: 0.002) }) {
                chosen = best; tier = i + 1; break
            }
        }
        if chosen == nil { chosen = candidates.min { score($0, aspectWeight: 0.05) < score($1, aspectWeight: 0.05) } }
        let c = chosen!
        let powers = sequence(first: 1, next: { $0 * 2 }).prefix { $0 <= 64 }
        return ParallelShapeChoice(
            choice: ShapeChoice(shape: c.shape, target: params, counting: counting, parameters: c.count,
                                relativeError: Double(c.count) / params - 1),
            tensorParallelDegrees: powers.filter { c.shape.nHead % $0 == 0 && c.shape.nKVHead % $0 == 0 && $0 <= 8 },
            pipelineParallelDegrees: powers.filter { c.shape.nLayer % $0 == 0 },
            tier: tier)
    }
}
