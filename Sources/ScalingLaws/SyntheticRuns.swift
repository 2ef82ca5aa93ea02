import Foundation

/// Synthetic training runs drawn from a known law, for tests and benchmarks.
public enum SyntheticRuns {
    /// Runs on a grid: `sizes` model sizes log-spaced over `params`, and for each size
    /// `tokensPerSize` token counts log-spaced over `tokensPerParam · N`. Each loss is
    /// `L(N, D) · (1 + noise · z)` with `z` standard normal from a ``SplitMix64`` seeded with `seed`.
    public static func grid(law: ChinchillaLaw,
                            params: ClosedRange<Double> = 1e7...1e9, sizes: Int = 25,
                            tokensPerParam: ClosedRange<Double> = 2...200, tokensPerSize: Int = 10,
                            noise: Double = 0.01, seed: UInt64 = 1) -> [Observation] {
        precondition(sizes >= 1 && tokensPerSize >= 1, "need at least one size and one token count")
        var rng = SplitMix64(seed: seed)
        var out: [Observation] = []
        out.reserveCapacity(sizes * tokensPerSize)
        for i in 0..<sizes {
            let n = logSpaced(params, i, sizes).rounded()
            for j in 0..<tokensPerSize {
                let d = (n * logSpaced(tokensPerParam, j, tokensPerSize)).rounded()
                let loss = law.loss(params: n, tokens: d) * (1 + noise * rng.nextGaussian())
                out.append(Observation(params: n, tokens: d, loss: loss, flops: 6 * n * d,
                                       name: "N\(i)-D\(j)"))
            }
        }
        return out
    }

    static func logSpaced(_ r: ClosedRange<Double>, _ i: Int, _ count: Int) -> Double {
        guard count > 1 else { return (r.lowerBound * r.upperBound).squareRoot() }
        let t = Double(i) / Double(count - 1)
        return Foundation.exp(Foundation.log(r.lowerBound) + t * (Foundation.log(r.upperBound) - Foundation.log(r.lowerBound)))
    }
}
