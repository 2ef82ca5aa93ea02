import Foundation

/// A GPT-2 style decoder shape and its exact parameter count.
///
/// Per block (pre-LayerNorm, biases everywhere, `d = dModel`, `f = dFF`):
///
///     attention  qkv: 3d² + 3d,  output projection: d² + d         → 4d² + 4d
///     MLP        up: d·f + f,    down: f·d + d                     → 2·d·f + f + d
///     two LayerNorms (gain + bias)                                 → 4d
///
/// plus a final LayerNorm (2d). Non-embedding = nLayer · block + 2d (with f = 4d:
/// 12 d² + 13 d per block, the `12 L d²` of Kaplan et al.). Embedding = vocab · d (tokens, tied
/// with the output head, so no separate head) + seqLen · d (learned positions).
///
/// Grouped-query attention (Ainslie et al. 2023): `nKVHead` key/value heads shared by the `nHead`
/// query heads (default `nKVHead = nHead`, plain multi-head attention); the qkv projection is then
/// `d · (d + 2 k) + d + 2 k` with `k = nKVHead · headDim`.
public struct ModelShape: Sendable, Hashable, Codable, CustomStringConvertible {
    public var nLayer: Int
    public var dModel: Int
    public var nHead: Int
    public var dFF: Int
    public var vocab: Int
    public var seqLen: Int
    /// Key/value heads (grouped-query attention); `nHead` for plain multi-head attention.
    public var nKVHead: Int

    public init(nLayer: Int, dModel: Int, nHead: Int, dFF: Int, vocab: Int, seqLen: Int, nKVHead: Int? = nil) {
        self.nLayer = nLayer
        self.dModel = dModel
        self.nHead = nHead
        self.dFF = dFF
        self.vocab = vocab
        self.seqLen = seqLen
        self.nKVHead = nKVHead ?? nHead
    }

    /// Parameter counts of a GPT-2 style model (see the type's documentation for the formula);
    /// `kvWidth` is `nKVHead · headDim` (default `dModel`: multi-head attention).
    public static func parameterCount(nLayer: Int, dModel: Int, dFF: Int, vocab: Int, seqLen: Int, kvWidth: Int? = nil)
        -> (nonEmbedding: Int, embedding: Int, total: Int) {
        let d = dModel, f = dFF, k = kvWidth ?? dModel
        let block = (d * (d + 2 * k) + d + 2 * k) + (d * d + d) + (2 * d * f + f + d) + 4 * d
        let nonEmbedding = nLayer * block + 2 * d
        let embedding = vocab * d + seqLen * d
        return (nonEmbedding, embedding, nonEmbedding + embedding)
    }

    public var nonEmbeddingParameters: Int {
        Self.parameterCount(nLayer: nLayer, dModel: dModel, dFF: dFF, vocab: vocab, seqLen: seqLen, kvWidth: kvWidth).nonEmbedding
    }

    public var embeddingParameters: Int {
        Self.parameterCount(nLayer: nLayer, dModel: dModel, dFF: dFF, vocab: vocab, seqLen: seqLen, kvWidth: kvWidth).embedding
    }

    public var totalParameters: Int {
        Self.parameterCount(nLayer: nLayer, dModel: dModel, dFF: dFF, vocab: vocab, seqLen: seqLen, kvWidth: kvWidth).total
    }

    public func parameters(_ counting: ParameterCounting) -> Int {
        counting == .nonEmbedding ? nonEmbeddingParameters : totalParameters
    }

    /// `dModel / nHead`.
    public var headDim: Int { dModel / nHead }

    /// Width of the key (and of the value) projection: `nKVHead · headDim`.
    public var kvWidth: Int { nKVHead * headDim }

    /// `dModel / nLayer` (Kaplan et al. 2020 find loss flat for roughly 20–200; 64–128 is usual).
    public var aspectRatio: Double { Double(dModel) / Double(nLayer) }

    /// The attention-aware FLOP counting for this shape.
    public var flopCounting: FlopCounting { .sixNDPlusAttention(nLayer: nLayer, dModel: dModel, seqLen: seqLen) }

    public var description: String {
        "\(nLayer) layers, d_model \(dModel), \(nHead) heads of \(headDim)\(nKVHead == nHead ? "" : " (\(nKVHead) kv heads)"), d_ff \(dFF), vocab \(vocab), context \(seqLen)"
    }
}

extension ModelShape {
    private enum CodingKeys: String, CodingKey { case nLayer, dModel, nHead, dFF, vocab, seqLen, nKVHead }

    /// Decodes shapes written before `nKVHead` existed as multi-head attention.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let heads = try c.decode(Int.self, forKey: .nHead)
        self.init(nLayer: try c.decode(Int.self, forKey: .nLayer), dModel: try c.decode(Int.self, forKey: .dModel), nHead: heads,
                  dFF: try c.decode(Int.self, forKey: .dFF), vocab: try c.decode(Int.self, forKey: .vocab),
                  seqLen: try c.decode(Int.self, forKey: .seqLen), nKVHead: try c.decodeIfPresent(Int.self, forKey: .nKVHead))
    }
}

/// The outcome of ``ModelShape/search(params:counting:vocab:seqLen:)``.
public struct ShapeChoice: Sendable, Hashable, Codable {
    public var shape: ModelShape
    /// The requested `N`.
    public var target: Double
    public var counting: ParameterCounting
    /// The shape's exact count under `counting`.
    public var parameters: Int
    /// `parameters / target - 1`.
    public var relativeError: Double
}

extension ModelShape {
    /// Preferred `dModel / nLayer` band (Kaplan et al. 2020).
    public static let aspectRange: ClosedRange<Double> = 64...128

    /// A shape whose parameter count (`counting`) is close to `params`, with the usual proportions:
    /// `dFF = 4 dModel`; head dimension 64 with `dModel` a multiple of 64, head dimension 32 with
    /// `dModel` a multiple of 32 below 256, or head dimension 16 below 64 (tiny CPU-scale models). Tiers, first that has a shape within tolerance wins:
    /// `dModel / nLayer` in ``aspectRange`` within 3% of N; in 32–256 within 5%; in 16–512 within 10%
    /// (tiny models). In a tier the score is `|log(count / N)| + 0.002 · |log2(aspect / 90)|` (size
    /// first, shape second); if no tier fits, any shape minimizing `|log(count/N)| + 0.05 · |log2(aspect/90)|`.
    /// `minLayers` excludes shallower shapes (one-layer models are weak at tiny scale).
    public static func search(params: Double, counting: ParameterCounting = .nonEmbedding,
                              vocab: Int, seqLen: Int, minLayers: Int = 1) throws -> ShapeChoice {
        guard params.isFinite && params >= 1_000 else {
            throw ScalingLawError.invalidArgument("Model shape search needs a parameter count >= 1000 (got \(params)).")
        }
        guard vocab > 0 && seqLen > 0 else {
            throw ScalingLawError.invalidArgument("Vocabulary size and context length must be positive (got \(vocab), \(seqLen)).")
        }
        var candidates: [(shape: ModelShape, count: Int, sizeError: Double)] = []
        var d = 16
        while d <= 65_536 {
            let headDim = d < 64 ? 16 : d < 256 ? 32 : 64
            if d % headDim == 0 {
                for layers in max(1, minLayers)...max(512, minLayers) {
                    let s = ModelShape(nLayer: layers, dModel: d, nHead: d / headDim, dFF: 4 * d, vocab: vocab, seqLen: seqLen)
                    let c = s.parameters(counting)
                    if c > 0 {
                        candidates.append((s, c, abs(_log(Double(c) / params))))
                    }
                    if Double(c) > params * 2 { break }
                }
            }
            d += d < 64 ? 16 : d < 256 ? 32 : 64
        }
        func best(in band: ClosedRange<Double>?, aspectWeight: Double) -> (shape: ModelShape, count: Int, sizeError: Double)? {
            func score(_ c: (shape: ModelShape, count: Int, sizeError: Double)) -> Double {
                c.sizeError + aspectWeight * abs(_log2(c.shape.aspectRatio / 90))
            }
            return candidates.filter { band == nil || band!.contains($0.shape.aspectRatio) }.min { x, y in
                let sx = score(x), sy = score(y)
                return sx != sy ? sx < sy : (x.shape.dModel, x.shape.nLayer) < (y.shape.dModel, y.shape.nLayer)
            }
        }
        var choice: (shape: ModelShape, count: Int, sizeError: Double)? = nil
        for (band, tolerance) in [(aspectRange, 1.03), (32.0...256.0, 1.05), (16.0...512.0, 1.10)] {
            if let c = best(in: band, aspectWeight: 0.002), c.sizeError <= _log(tolerance) { choice = c; break }
        }
        if choice == nil { choice = best(in: nil, aspectWeight: 0.05) }
        guard let chosen = choice else {
            throw ScalingLawError.invalidArgument("No transformer shape found for \(params) parameters.")
        }
        return ShapeChoice(shape: chosen.shape, target: params, counting: counting, parameters: chosen.count,
                           relativeError: Double(chosen.count) / params - 1)
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _log2(_ x: Double) -> Double { Foundation.log2(x) }
