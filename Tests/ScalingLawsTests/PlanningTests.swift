import Foundation
import XCTest
import ScalingLaws
import Randomness

final class PlanningTests: XCTestCase {
    /// Besiroglu et al. 2024: with their fit, about 80M parameters and 2.1B tokens at 1e18 FLOPs
    /// (the closed form gives 80.5M and 2.07B); about 20 tokens per parameter at Chinchilla's
    /// budget (5.76e23 FLOPs: 18.4), exponents a = 0.513, b = 0.487.
    func testEpochAllocations() throws {
        let plan = try ChinchillaLaw.epoch.computeOptimal(flops: 1e18)
        assertRelative(plan.params, 80e6, 0.03)
        assertRelative(plan.tokens, 2.1e9, 0.03)
        assertRelative(6 * plan.params * plan.tokens, 1e18, 1e-12)
        let chinchillaBudget = try ChinchillaLaw.epoch.computeOptimal(flops: 5.76e23)
        XCTAssert((15...25).contains(chinchillaBudget.tokensPerParam), "\(chinchillaBudget.tokensPerParam)")
        XCTAssertEqual(ChinchillaLaw.epoch.paramsExponent, 0.513, accuracy: 0.001)
        XCTAssertEqual(ChinchillaLaw.epoch.tokensExponent, 0.487, accuracy: 0.001)
    }

    /// Hoffmann et al. 2022, Table 2 (Approach 3): N_opt ∝ C^0.46, D_opt ∝ C^0.54; and the
    /// predicted loss of Chinchilla itself (70B parameters, 1.4T tokens) is about 1.94.
    func testChinchillaAllocations() throws {
        let law = ChinchillaLaw.chinchilla
        XCTAssertEqual(law.paramsExponent, 0.46, accuracy: 0.01)
        XCTAssertEqual(law.tokensExponent, 0.54, accuracy: 0.01)
        XCTAssertEqual(law.loss(params: 70e9, tokens: 1.4e12), 1.94, accuracy: 0.01)
        // Exponents read off two closed-form plans.
        let lo = try law.computeOptimal(flops: 1e20), hi = try law.computeOptimal(flops: 1e24)
        XCTAssertEqual(log(hi.params / lo.params) / log(1e4), law.paramsExponent, accuracy: 1e-12)
        XCTAssertEqual(log(hi.tokens / lo.tokens) / log(1e4), law.tokensExponent, accuracy: 1e-12)
    }

    /// The closed form against direct numerical minimization of L(N, C/(6N)) over log N, for both
    /// published laws and random ones, at budgets from 1e15 to 1e26.
    func testClosedFormMatchesNumericalMinimum() throws {
        var rng = SplitMix64(seed: 21)
        var laws = [ChinchillaLaw.chinchilla, .epoch]
        for _ in 0..<6 {
            laws.append(ChinchillaLaw(E: 1 + rng.nextUniform(), A: 50 + 2_000 * rng.nextUniform(), B: 50 + 5_000 * rng.nextUniform(),
                                      alpha: 0.2 + 0.4 * rng.nextUniform(), beta: 0.2 + 0.4 * rng.nextUniform()))
        }
        for law in laws {
            for c in [1e15, 1e18, 1e21, 1e23, 1e26] {
                let plan = try law.computeOptimal(flops: c)
                let x = goldenMinimum(log(plan.params) - 10, log(plan.params) + 10) { x in
                    law.loss(params: exp(x), tokens: c / (6 * exp(x)))
                }
                assertRelative(plan.params, exp(x), 1e-5, "\(law) at \(c)")
                // The library's numerical path (attention term of zero) agrees too.
                let numeric = try law.computeOptimal(flops: c, counting: .sixNDPlusAttention(nLayer: 0, dModel: 0, seqLen: 0))
                assertRelative(numeric.params, plan.params, 1e-5)
                assertRelative(numeric.loss, plan.loss, 1e-12)
                XCTAssertLessThanOrEqual(plan.loss, law.loss(params: plan.params * 1.01, tokens: c / (6 * plan.params * 1.01)))
                XCTAssertLessThanOrEqual(plan.loss, law.loss(params: plan.params / 1.01, tokens: c / (6 * plan.params / 1.01)))
            }
        }
    }

    func testAttentionCountingBuysFewerTokens() throws {
        let law = ChinchillaLaw.epoch
        let counting = FlopCounting.sixNDPlusAttention(nLayer: 24, dModel: 2048, seqLen: 2048)
        XCTAssertEqual(counting.flopsPerToken(params: 1e9), 6e9 + 6 * 24 * 2048 * 2048)
        XCTAssertEqual(FlopCounting.sixND.trainingFlops(params: 2e8, tokens: 1e9), 1.2e18)
        let plain = try law.computeOptimal(flops: 1e21)
        let withAttention = try law.computeOptimal(flops: 1e21, counting: counting)
        XCTAssertGreaterThan(withAttention.loss, plain.loss)
        assertRelative(counting.trainingFlops(params: withAttention.params, tokens: withAttention.tokens), 1e21, 1e-12)
    }

    func testFixedModelSize() throws {
        let plan = try ChinchillaLaw.epoch.allocation(flops: 1e20, params: 1e8)
        assertRelative(plan.tokens, 1e20 / 6e8, 1e-15)
        XCTAssertEqual(plan.loss, ChinchillaLaw.epoch.loss(params: 1e8, tokens: 1e20 / 6e8))
        XCTAssertGreaterThan(plan.loss, try ChinchillaLaw.epoch.computeOptimal(flops: 1e20).loss)
        XCTAssertThrowsError(try ChinchillaLaw.epoch.allocation(flops: 1e20, params: 0))
    }

    /// Least compute for a target loss against the closed form
    /// `C/6 = ((A G^-alpha + B G^beta) / (L - E))^((alpha+beta)/(alpha beta))`.
    func testTargetLoss() throws {
        for law in [ChinchillaLaw.chinchilla, .epoch] {
            for target in [law.E + 0.05, 2.5, 3.5] {
                let plan = try law.minimumCompute(targetLoss: target)
                XCTAssertEqual(plan.loss, target, accuracy: 1e-9)
                let g = law.allocationScale
                let k = law.A * pow(g, -law.alpha) + law.B * pow(g, law.beta)
                let closed = 6 * pow(k / (target - law.E), (law.alpha + law.beta) / (law.alpha * law.beta))
                assertRelative(plan.flops, closed, 1e-9)
                let optimal = try law.computeOptimal(flops: plan.flops)
                assertRelative(optimal.params, plan.params, 1e-12)
            }
        }
    }

    func testTargetLossAtOrBelowIrreducibleThrows() {
        let law = ChinchillaLaw.epoch
        assertThrows(.targetLossUnreachable(target: law.E, irreducible: law.E)) { try law.minimumCompute(targetLoss: law.E) }
        assertThrows(.targetLossUnreachable(target: 1.0, irreducible: law.E)) { try law.minimumCompute(targetLoss: 1.0) }
        XCTAssertThrowsError(try law.minimumCompute(targetLoss: .nan))
    }

    func testEffectiveTokens() {
        XCTAssertEqual(ChinchillaLaw.effectiveTokens(tokens: 5e9, uniqueTokens: 1e10), 5e9)
        XCTAssertEqual(ChinchillaLaw.effectiveTokens(tokens: 1e10, uniqueTokens: 1e10), 1e10)
        // Four epochs: R = 3, D' = U (1 + 15.4 (1 - e^(-3/15.4))).
        XCTAssertEqual(ChinchillaLaw.effectiveTokens(tokens: 4e10, uniqueTokens: 1e10),
                       1e10 * (1 + 15.4 * (1 - exp(-3 / 15.4))), accuracy: 1)
        // Saturation at U (1 + R*).
        assertRelative(ChinchillaLaw.effectiveTokens(tokens: 1e15, uniqueTokens: 1e10), 1e10 * 16.4, 1e-9)
    }

    /// Scarce unique data: more parameters, fewer tokens than the unconstrained plan, higher loss;
    /// ample unique data: the unconstrained plan.
    func testDataConstrainedPlan() throws {
        let law = ChinchillaLaw.epoch
        let c = 1e22
        let free = try law.computeOptimal(flops: c)
        let ample = try law.dataConstrainedOptimal(flops: c, uniqueTokens: free.tokens * 10)
        assertRelative(ample.allocation.params, free.params, 1e-5)
        var previous = free
        for fraction in [0.5, 0.1, 0.01] {
            let plan = try law.dataConstrainedOptimal(flops: c, uniqueTokens: free.tokens * fraction)
            XCTAssertGreaterThan(plan.allocation.params, previous.params * 1.001, "U = \(fraction) D_opt")
            XCTAssertLessThan(plan.allocation.tokens, previous.tokens)
            XCTAssertGreaterThan(plan.allocation.loss, previous.loss)
            XCTAssertGreaterThan(plan.epochs, 1)
            XCTAssertLessThan(plan.effectiveTokens, plan.allocation.tokens)
            assertRelative(6 * plan.allocation.params * plan.allocation.tokens, c, 1e-12)
            // It is the minimum over N: nearby sizes are no better.
            for factor in [0.98, 1.02] {
                let n = plan.allocation.params * factor
                let d = c / (6 * n)
                XCTAssertLessThanOrEqual(plan.allocation.loss,
                                         law.loss(params: n, tokens: ChinchillaLaw.effectiveTokens(tokens: d, uniqueTokens: plan.uniqueTokens)))
            }
            previous = plan.allocation
        }
    }

    /// More inference tokens: smaller model, more training tokens, same loss, growing savings.
    func testInferenceAwarePlanShrinksModelAsInferenceGrows() throws {
        let law = ChinchillaLaw.chinchilla
        let c = 1e22
        let none = try law.inferenceAwareOptimal(flops: c, inferenceTokens: 0)
        assertRelative(none.allocation.params, none.baseline.params, 1e-9)
        XCTAssertEqual(none.savings, 0, accuracy: 1e-9)
        var previous = none
        for t in [1e11, 1e12, 1e13, 1e14] {
            let plan = try law.inferenceAwareOptimal(flops: c, inferenceTokens: t)
            XCTAssertLessThan(plan.allocation.params, previous.allocation.params, "T = \(t)")
            XCTAssertGreaterThan(plan.allocation.tokens, previous.allocation.tokens)
            XCTAssertEqual(plan.allocation.loss, plan.baseline.loss, accuracy: 1e-9)
            XCTAssertGreaterThan(plan.savings, previous.savings)
            XCTAssertEqual(plan.totalFlops, plan.allocation.flops + 2 * plan.allocation.params * t, accuracy: plan.totalFlops * 1e-12)
            // A local minimum of total compute along the iso-loss curve.
            for factor in [0.99, 1.01] {
                let n = plan.allocation.params * factor
                let d = pow(law.B / (plan.baseline.loss - law.E - law.A * pow(n, -law.alpha)), 1 / law.beta)
                XCTAssertLessThanOrEqual(plan.totalFlops, 6 * n * d + 2 * n * t)
            }
            previous = plan
        }
    }

    func testInvalidPlanningInput() {
        let bad = ChinchillaLaw(E: 1.7, A: 400, B: 400, alpha: -0.3, beta: 0.3)
        assertThrows(.invalidLaw(bad)) { try bad.computeOptimal(flops: 1e20) }
        XCTAssertThrowsError(try ChinchillaLaw.epoch.computeOptimal(flops: 0))
        XCTAssertThrowsError(try ChinchillaLaw.epoch.computeOptimal(flops: .nan))
        XCTAssertThrowsError(try ChinchillaLaw.epoch.dataConstrainedOptimal(flops: 1e20, uniqueTokens: -1))
        XCTAssertThrowsError(try ChinchillaLaw.epoch.inferenceAwareOptimal(flops: 1e20, inferenceTokens: -1))
    }

    func testFrontierAndLossCurve() throws {
        let law = ChinchillaLaw.epoch
        let frontier = try law.frontier(flops: 1e18...1e24, count: 7)
        XCTAssertEqual(frontier.count, 7)
        XCTAssertEqual(frontier.first!.flops, 1e18)
        XCTAssertEqual(frontier.last!.flops, 1e24)
        for (a, b) in zip(frontier, frontier.dropFirst()) {
            assertRelative(b.flops / a.flops, 10, 1e-9)
            XCTAssertGreaterThan(b.params, a.params)
            XCTAssertGreaterThan(b.tokens, a.tokens)
            XCTAssertLessThan(b.loss, a.loss)
        }
        XCTAssertEqual(frontier[3], try law.computeOptimal(flops: frontier[3].flops))
        let curve = try law.lossCurve(params: 1e8, tokens: 1e9...1e12, count: 4)
        XCTAssertEqual(curve.map(\.tokens).count, 4)
        assertRelative(curve[1].tokens, 1e10, 1e-12)
        for p in curve { XCTAssertEqual(p.loss, law.loss(params: 1e8, tokens: p.tokens)) }
        XCTAssertThrowsError(try law.frontier(flops: 0...1e20, count: 3))
    }
}
