import Foundation
import Randomness

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

    /// An IsoFLOP sweep: for each budget `C`, `sizesPerBudget` model sizes log-spaced over
    /// `N_opt(C) · 10^(±spanDecades/2)` (N_opt of `law` under C = 6ND), each trained on D = C / 6N
    /// tokens, labelled with the budget (`budget = "1e+18"` style). Each loss is `L(N, D) · (1 + noise · z)`,
    /// z standard normal from a ``SplitMix64`` seeded with `seed`. `computeMultiplier` m trains on the
    /// stated compute but draws the loss at m · C (the run's compute is worth m times as much):
    /// `L(m^a N, m^b D)` with the law's allocation exponents a, b, i.e. a run whose effective compute is m C.
    public static func isoFLOP(law: ChinchillaLaw, budgets: [Double], sizesPerBudget: Int = 7, spanDecades: Double = 1.2,
                               noise: Double = 0.01, computeMultiplier: Double = 1, seed: UInt64 = 1) -> [Observation] {
        precondition(sizesPerBudget >= 1 && !budgets.isEmpty, "need at least one budget and one size")
        var rng = SplitMix64(seed: seed)
        var out: [Observation] = []
        let a = law.paramsExponent, b = law.tokensExponent
        let scaleN = Foundation.pow(computeMultiplier, a), scaleD = Foundation.pow(computeMultiplier, b)
        for c in budgets {
            let nOpt = law.allocationScale * Foundation.pow(c / 6, a)
            let lo = nOpt * Foundation.pow(10, -spanDecades / 2), hi = nOpt * Foundation.pow(10, spanDecades / 2)
            for j in 0..<sizesPerBudget {
                let n = logSpaced(lo...hi, j, sizesPerBudget).rounded()
                let d = c / (6 * n)
                let loss = law.loss(params: n * scaleN, tokens: d * scaleD) * (1 + noise * rng.nextGaussian())
                let label = String(format: "%.3g", c)
                out.append(Observation(params: n, tokens: d, loss: loss, flops: c, name: "C\(label)-N\(j)", budget: label))
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
