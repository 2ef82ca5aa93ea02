import Foundation

/// Compute-optimal planning with a fitted or published law.
extension ChinchillaLaw {
    func requireValid() throws {
        if !isValid { throw ScalingLawError.invalidLaw(self) }
    }

    static func requirePositive(_ v: Double, _ name: String) throws {
        if !(v.isFinite && v > 0) {
            throw ScalingLawError.invalidArgument("\(name) must be finite and positive (got \(v)).")
        }
    }

    /// Closed-form compute-optimal allocation for `C = 6 N D` (Hoffmann et al. 2022, Appendix A):
    ///
    ///     G = (alpha A / (beta B))^(1/(alpha+beta))
    ///     N_opt = G (C/6)^a,   D_opt = G^-1 (C/6)^b,   a = beta/(alpha+beta),  b = alpha/(alpha+beta)
    public func computeOptimal(flops: Double) throws -> Allocation {
        try requireValid()
        try Self.requirePositive(flops, "FLOPs")
        let g = allocationScale
        let n = g * Foundation.pow(flops / 6, paramsExponent)
        let d = Foundation.pow(flops / 6, tokensExponent) / g
        return Allocation(flops: flops, params: n, tokens: d, loss: loss(params: n, tokens: d))
    }

    /// Compute-optimal allocation under any FLOP counting: the closed form for ``FlopCounting/sixND``,
    /// otherwise a numerical minimization of `L(N, C / flopsPerToken(N))` over `log N`.
    public func computeOptimal(flops: Double, counting: FlopCounting) throws -> Allocation {
        if case .sixND = counting { return try computeOptimal(flops: flops) }
        try requireValid()
        try Self.requirePositive(flops, "FLOPs")
        let guess = try computeOptimal(flops: flops)
        let center = Foundation.log(guess.params)
        let (x, _) = minimize1D(center - 12, center + 6) { x in
            let n = Foundation.exp(x)
            return self.loss(params: n, tokens: counting.tokens(forFlops: flops, params: n))
        }
        let n = Foundation.exp(x)
        let d = counting.tokens(forFlops: flops, params: n)
        return Allocation(flops: flops, params: n, tokens: d, loss: loss(params: n, tokens: d))
    }

    /// Fixed model size: the budget buys `D = C / flopsPerToken(N)` tokens (`C / 6N` by default).
    public func allocation(flops: Double, params: Double, counting: FlopCounting = .sixND) throws -> Allocation {
        try requireValid()
        try Self.requirePositive(flops, "FLOPs")
        try Self.requirePositive(params, "Parameter count")
        let d = counting.tokens(forFlops: flops, params: params)
        return Allocation(flops: flops, params: params, tokens: d, loss: loss(params: params, tokens: d))
    }

    /// Least compute whose compute-optimal model reaches `targetLoss`, found by bisection on
    /// `log C` along the optimal frontier (the frontier loss falls monotonically with `C`).
    /// Throws ``ScalingLawError/targetLossUnreachable(target:irreducible:)`` when `targetLoss <= E`.
    ///
    /// For `6ND` the answer also has a closed form, `C/6 = ((A G^-alpha + B G^beta) / (L - E))^((alpha+beta)/(alpha beta))`,
    /// which the tests check this against.
    public func minimumCompute(targetLoss: Double, counting: FlopCounting = .sixND) throws -> Allocation {
        try requireValid()
        guard targetLoss.isFinite else {
            throw ScalingLawError.invalidArgument("Target loss must be finite (got \(targetLoss)).")
        }
        guard targetLoss > E else { throw ScalingLawError.targetLossUnreachable(target: targetLoss, irreducible: E) }
        func frontierLoss(_ logC: Double) throws -> Double {
            try computeOptimal(flops: Foundation.exp(logC), counting: counting).loss
        }
        var lo = Foundation.log(1.0), hi = Foundation.log(1e30)
        // Widen until the bracket holds the target (the loss is decreasing in C).
        while try frontierLoss(lo) < targetLoss { lo -= 20; if lo < -200 { break } }
        while try frontierLoss(hi) > targetLoss {
            hi += 20
            if hi > 700 {
                throw ScalingLawError.invalidArgument("Target loss \(targetLoss) needs more than 1e300 FLOPs under this law (E = \(E)).")
            }
        }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if try frontierLoss(mid) > targetLoss { lo = mid } else { hi = mid }
            if hi - lo <= 1e-13 * max(1, abs(hi)) { break }
        }
        return try computeOptimal(flops: Foundation.exp(hi), counting: counting)
    }

    /// Muennighoff et al. 2023's effective data for `tokens` drawn from `uniqueTokens` unique
    /// tokens: `D' = U + U R* (1 - e^(-R/R*))` with `R = D/U - 1` repeated epochs, `R* = 15.4`;
    /// `D' = D` when `D <= U`. Saturates at `U (1 + R*)`.
    public static func effectiveTokens(tokens: Double, uniqueTokens: Double, decay rStar: Double = 15.4) -> Double {
        guard tokens > uniqueTokens else { return tokens }
        let r = tokens / uniqueTokens - 1
        return uniqueTokens + uniqueTokens * rStar * (1 - Foundation.exp(-r / rStar))
    }

    /// Data-constrained plan: minimizes `E + A/N^alpha + B/D'^beta` over `N` with `D = C / (6N)`
    /// and `D'` the effective tokens of ``effectiveTokens(tokens:uniqueTokens:decay:)``
    /// (Muennighoff et al. 2023, data term only). With ample unique data this is ``computeOptimal(flops:)``.
    public func dataConstrainedOptimal(flops: Double, uniqueTokens: Double, counting: FlopCounting = .sixND,
                                       decay rStar: Double = 15.4) throws -> DataConstrainedAllocation {
        try requireValid()
        try Self.requirePositive(flops, "FLOPs")
        try Self.requirePositive(uniqueTokens, "Unique tokens")
        try Self.requirePositive(rStar, "R*")
        let guess = try computeOptimal(flops: flops)
        let center = Foundation.log(guess.params)
        func effLoss(_ n: Double) -> (Double, Double, Double) {
            let d = counting.tokens(forFlops: flops, params: n)
            let eff = Self.effectiveTokens(tokens: d, uniqueTokens: uniqueTokens, decay: rStar)
            return (d, eff, loss(params: n, tokens: eff))
        }
        let (x, _) = minimize1D(center - 12, center + 12) { effLoss(Foundation.exp($0)).2 }
        let n = Foundation.exp(x)
        let (d, eff, l) = effLoss(n)
        return DataConstrainedAllocation(allocation: Allocation(flops: flops, params: n, tokens: d, loss: l),
                                         uniqueTokens: uniqueTokens, epochs: d / uniqueTokens, effectiveTokens: eff)
    }

    /// Inference-aware plan (Sardana et al. 2024): the loss `ℓ` of the compute-optimal model for
    /// `flops` is kept, and `N` minimizes `6 N D(N) + 2 N T` where `D(N) = (B / (ℓ - E - A N^-alpha))^(1/beta)`
    /// is the data that model needs to reach `ℓ` (defined for `N > (A / (ℓ - E))^(1/alpha)`).
    /// Uses `6ND` training and `2N` inference FLOPs per token.
    public func inferenceAwareOptimal(flops: Double, inferenceTokens: Double) throws -> InferenceAwareAllocation {
        try requireValid()
        try Self.requirePositive(flops, "FLOPs")
        guard inferenceTokens.isFinite && inferenceTokens >= 0 else {
            throw ScalingLawError.invalidArgument("Inference tokens must be finite and >= 0 (got \(inferenceTokens)).")
        }
        let base = try computeOptimal(flops: flops)
        let target = base.loss
        let t = inferenceTokens
        let gap = target - E
        let nMin = Foundation.pow(A / gap, 1 / alpha)
        func tokensFor(_ n: Double) -> Double {
            let rest = gap - A * Foundation.pow(n, -alpha)
            return rest > 0 ? Foundation.pow(B / rest, 1 / beta) : .infinity
        }
        func cost(_ n: Double) -> Double { 6 * n * tokensFor(n) + 2 * n * t }
        let lo = Foundation.log(nMin) + 1e-9
        let hi = max(Foundation.log(base.params) + 2, lo + 1)
        let (x, _) = minimize1D(lo, hi, scan: 800) { cost(Foundation.exp($0)) }
        // The baseline is the optimum when T = 0; keep it exactly then (and whenever it is no worse).
        var n = Foundation.exp(x), d = tokensFor(n)
        if !(cost(n) < cost(base.params)) { n = base.params; d = base.tokens }
        let train = 6 * n * d
        let total = train + 2 * n * t
        let baseTotal = base.flops + 2 * base.params * t
        return InferenceAwareAllocation(
            allocation: Allocation(flops: train, params: n, tokens: d, loss: loss(params: n, tokens: d)),
            inferenceTokens: t, inferenceFlops: 2 * n * t, totalFlops: total,
            baseline: base, baselineTotalFlops: baseTotal, savings: 1 - total / baseTotal)
    }
}
