import Foundation

/// The family of model shapes a sweep trains: for a target parameter count it gives one GPT shape,
/// with depth that never decreases as N grows, at least `minLayers` layers, and widths in steps
/// of `widthStep` (so neighbouring sizes at CPU scale differ by 1.1-1.5x rather than the 2x of
/// power-of-two widths).
///
/// Rule: the ideal width for N non-embedding parameters at aspect ratio `d_model / n_layer = aspect`
/// is `d* = (aspect N / 12)^(1/3)` (from `N ≈ 12 n_layer d²`, Kaplan et al. 2020); the depth is
/// `n_layer = max(minLayers, round(d* / aspect))`, a non-decreasing function of N; the width is
/// then the multiple of `widthStep` whose shape (at that depth) is closest to N in log space.
/// Heads number the divisor of `d_model` closest to `d_model / headDim`. `d_ff = mlpRatio · d_model`.
/// Kaplan et al. (Fig. 6) find models under two layers leave the trend, hence `minLayers = 2`.
public struct ShapeFamily: Sendable, Hashable, Codable, CustomStringConvertible {
    public var aspect: Double = 32
    public var minLayers: Int = 2
    public var widthStep: Int = 4
    public var headDim: Int = 16
    public var mlpRatio: Int = 4

    public init(aspect: Double = 32, minLayers: Int = 2, widthStep: Int = 4, headDim: Int = 16, mlpRatio: Int = 4) {
        self.aspect = aspect; self.minLayers = minLayers; self.widthStep = widthStep
        self.headDim = headDim; self.mlpRatio = mlpRatio
    }

    enum CodingKeys: String, CodingKey {
        case aspect
        case minLayers = "min_layers", widthStep = "width_step", headDim = "head_dim", mlpRatio = "mlp_ratio"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var f = ShapeFamily()
        f.aspect = try c.decodeIfPresent(Double.self, forKey: .aspect) ?? f.aspect
        f.minLayers = try c.decodeIfPresent(Int.self, forKey: .minLayers) ?? f.minLayers
        f.widthStep = try c.decodeIfPresent(Int.self, forKey: .widthStep) ?? f.widthStep
        f.headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? f.headDim
        f.mlpRatio = try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? f.mlpRatio
        self = f
    }

    public static let fileKeys = ["aspect", "min_layers", "width_step", "head_dim", "mlp_ratio"]

    /// Checks the values; messages name the key.
    public func validate(prefix: String = "model.family") throws {
        func fail(_ m: String) throws -> Never { throw ScalingLawError.invalidArgument("\(prefix).\(m)") }
        if !(aspect.isFinite && aspect >= 1 && aspect <= 1024) { try fail("aspect must be in [1, 1024], got \(aspect)") }
        if !(1...512).contains(minLayers) { try fail("min_layers must be in 1...512, got \(minLayers)") }
        if !(1...1024).contains(widthStep) { try fail("width_step must be in 1...1024, got \(widthStep)") }
        if !(1...1024).contains(headDim) { try fail("head_dim must be in 1...1024, got \(headDim)") }
        if !(1...64).contains(mlpRatio) { try fail("mlp_ratio must be in 1...64, got \(mlpRatio)") }
    }

    /// The depth this family gives `params` non-embedding parameters.
    public func layers(forNonEmbedding params: Double) -> Int {
        let ideal = Foundation.pow(aspect * max(params, 1) / 12, 1.0 / 3)
        return max(minLayers, Int((ideal / aspect).rounded()))
    }

    /// Heads: the divisor of `d` closest (in log) to `d / headDim`, so head dimensions stay near
    /// `headDim` when the width is not a multiple of it.
    func shape(layers: Int, width d: Int, vocab: Int, seqLen: Int) -> ModelShape {
        let ideal = max(1, Double(d) / Double(headDim))
        let heads = (1...d).filter { d % $0 == 0 }.min { abs(Foundation.log(Double($0) / ideal)) < abs(Foundation.log(Double($1) / ideal)) }!
        return ModelShape(nLayer: layers, dModel: d, nHead: heads, dFF: mlpRatio * d, vocab: vocab, seqLen: seqLen)
    }

    /// The family's shape for `params` parameters counted as `counting`.
    public func shape(params: Double, counting: ParameterCounting, vocab: Int, seqLen: Int) throws -> ShapeChoice {
        guard params.isFinite && params >= 100 else {
            throw ScalingLawError.invalidArgument("Model shape needs a parameter count >= 100 (got \(params)).")
        }
        guard vocab > 0 && seqLen > 0 else {
            throw ScalingLawError.invalidArgument("Vocabulary size and context length must be positive (got \(vocab), \(seqLen)).")
        }
        // The depth follows the non-embedding size; for total counting, find the non-embedding
        // size whose total is `params` first (embeddings grow with the width only).
        var nonEmbedding = params
        if counting == .total {
            for _ in 0..<40 {
                let d = Foundation.pow(aspect * max(nonEmbedding, 1) / 12, 1.0 / 3)
                nonEmbedding = max(1, params - Double(vocab + seqLen) * d)
            }
        }
        let depth = layers(forNonEmbedding: nonEmbedding)
        // the count does not depend on the heads: pick the width first, then its heads
        var best: (width: Int, count: Int, error: Double)?
        // start well below the ideal width (min_layers can make the right width smaller than d*)
        let ideal = Foundation.pow(aspect * max(nonEmbedding, 1) / 12, 1.0 / 3)
        var d = max(widthStep, Int(ideal / 4) / widthStep * widthStep)
        while d <= 1 << 17 {
            let counts = ModelShape.parameterCount(nLayer: depth, dModel: d, dFF: mlpRatio * d, vocab: vocab, seqLen: seqLen)
            let c = counting == .total ? counts.total : counts.nonEmbedding
            let e = abs(Foundation.log(Double(c) / params))
            if best == nil || e < best!.error { best = (d, c, e) }
            if Double(c) > 2 * params { break }
            d += widthStep
        }
        guard let chosen = best else {
            throw ScalingLawError.invalidArgument("No transformer shape found for \(params) parameters.")
        }
        return ShapeChoice(shape: shape(layers: depth, width: chosen.width, vocab: vocab, seqLen: seqLen), target: params,
                           counting: counting, parameters: chosen.count, relativeError: Double(chosen.count) / params - 1)
    }

    /// The family's distinct shapes for sizes in `range` (sampled every 1%), smallest first.
    public func members(in range: ClosedRange<Double>, counting: ParameterCounting, vocab: Int, seqLen: Int) throws -> [ModelShape] {
        var shapes: [ModelShape] = []
        var n = range.lowerBound
        while n <= range.upperBound * 1.0001 {
            let s = try shape(params: n, counting: counting, vocab: vocab, seqLen: seqLen).shape
            if shapes.last != s { shapes.append(s) }
            n *= 1.01
        }
        return shapes
    }

    public var description: String {
        "n_layer = max(\(minLayers), round(d*/\(Self.format(aspect)))) with d* = (\(Self.format(aspect)) N/12)^(1/3); d_model in steps of \(widthStep); head dim \(headDim); d_ff = \(mlpRatio) d_model"
    }

    static func format(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}
