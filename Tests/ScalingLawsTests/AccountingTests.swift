import XCTest
import ScalingLaws
import Randomness

/// FLOP and parameter accounting, the sweep shape family, seed noise and the learning-rate law.
final class AccountingTests: XCTestCase {
    /// Training FLOPs per token against counts written out by hand (Hoffmann et al. 2022, App. F):
    /// 3 x (L (2·3d² + 2·d² + 2·2·d·f + 2·2·T·d) + 2·V·d).
    func testTrainingFlopsPerTokenMatchesHandCounts() {
        // 2 layers, d 32, f 128, T 64, V 256: per layer 6144 + 2048 + 16384 + 8192 = 32768; head 16384
        let a = ModelShape(nLayer: 2, dModel: 32, nHead: 2, dFF: 128, vocab: 256, seqLen: 64)
        XCTAssertEqual(a.forwardFlopsPerToken, 2 * 32_768 + 16_384)
        XCTAssertEqual(a.trainingFlopsPerToken, 3 * (2 * 32_768 + 16_384))
        // 12 layers, d 768, f 3072, T 1024, V 50257 (GPT-2 small):
        // per layer 3,538,944 + 1,179,648 + 9,437,184 + 3,145,728 = 17,301,504; head 77,194,752
        let b = ModelShape(nLayer: 12, dModel: 768, nHead: 12, dFF: 3072, vocab: 50_257, seqLen: 1024)
        XCTAssertEqual(b.forwardFlopsPerToken, 12 * 17_301_504 + 77_194_752)
        // 3 layers, d 88, f 352, T 64, V 256: per layer 46464 + 15488 + 123904 + 22528 = 208384; head 45056
        let c = ModelShape(nLayer: 3, dModel: 88, nHead: 4, dFF: 352, vocab: 256, seqLen: 64)
        XCTAssertEqual(c.trainingFlopsPerToken, 3 * (3 * 208_384 + 45_056))
        // at GPT-2 scale the count approaches 6 N (non-embedding) plus the head and attention
        let sixN = 6 * Double(b.nonEmbeddingParameters)
        XCTAssertGreaterThan(b.trainingFlopsPerToken, sixN)
        XCTAssertLessThan(b.trainingFlopsPerToken, 1.8 * sixN)
    }

    /// The family's depth never decreases as N grows and is at least min_layers; in the default
    /// family neighbouring members differ by at most 1.5x in N.
    func testShapeFamilyDepthIsMonotoneAndStepsAreFine() throws {
        for family in [ShapeFamily(), ShapeFamily(aspect: 24, minLayers: 3), ShapeFamily(aspect: 64, minLayers: 1, widthStep: 16)] {
            let maxStep = family == ShapeFamily() ? 1.5 : 2.0
            for counting in ParameterCounting.allCases {
                let members = try family.members(in: 2e4...5e6, counting: counting, vocab: 256, seqLen: 64)
                XCTAssertGreaterThan(members.count, 10)
                var lastDepth = 0, lastN = 0.0
                for s in members {
                    XCTAssertGreaterThanOrEqual(s.nLayer, max(lastDepth, family.minLayers), "\(family) \(s)")
                    XCTAssertEqual(s.dModel % family.widthStep, 0)
                    XCTAssertEqual(s.dModel % s.nHead, 0)
                    let n = Double(s.parameters(counting))
                    if lastN > 0 { XCTAssertLessThan(n / lastN, maxStep, "\(family) \(s)") }
                    lastDepth = s.nLayer; lastN = n
                }
                // the chosen shape is near the target
                for target in [3e4, 1e5, 7e5, 3e6] {
                    let choice = try family.shape(params: target, counting: counting, vocab: 256, seqLen: 64)
                    XCTAssertLessThan(abs(choice.relativeError), 0.3, "\(target) -> \(choice.shape)")
                }
            }
        }
        XCTAssertThrowsError(try ShapeFamily(aspect: 0).validate()) { XCTAssertTrue("\($0)".contains("aspect"), "\($0)") }
    }

    /// The family's FLOP counting is continuous in N and equals the shape's count at a member.
    func testFamilyFlopCounting() throws {
        let family = ShapeFamily()
        let counting = FlopCounting.family(family, vocab: 256, seqLen: 64, counting: .total)
        let choice = try family.shape(params: 1e5, counting: .total, vocab: 256, seqLen: 64)
        let n = Double(choice.parameters)
        XCTAssertEqual(counting.flopsPerToken(params: n), choice.shape.trainingFlopsPerToken, accuracy: 1e-6)
        // ratio to 6N is above 1 (head and attention) at this scale
        XCTAssertGreaterThan(counting.flopsPerToken(params: n) / (6 * n), 1.0)
        // compute-optimal planning under the family counting spends the budget exactly
        let law = ChinchillaLaw(E: 1.0, A: 30, B: 200, alpha: 0.35, beta: 0.35)
        let plan = try law.computeOptimal(flops: 1e13, counting: counting)
        XCTAssertEqual(counting.flopsPerToken(params: plan.params) * plan.tokens, 1e13, accuracy: 1e13 * 1e-9)
    }

    /// Seed noise: the pooled standard deviation of ln L over repeated points, and repeats merged.
    func testSeedNoise() throws {
        var rng = SplitMix64(seed: 7)
        var obs: [Observation] = []
        let sigma = 0.01
        for i in 0..<40 {
            let n = 1e4 * Double(i + 1), d = 1e6
            for _ in 0..<2 { obs.append(Observation(params: n, tokens: d, loss: 2 * exp(sigma * rng.nextGaussian()))) }
        }
        obs.append(Observation(params: 5e6, tokens: 1e6, loss: 1.5))
        let noise = try XCTUnwrap(SeedNoise.estimate(obs))
        XCTAssertEqual(noise.points, 40)
        XCTAssertEqual(noise.runs, 80)
        XCTAssertEqual(noise.sigmaLog, sigma, accuracy: 0.3 * sigma)
        let merged = SeedNoise.averaged(obs)
        XCTAssertEqual(merged.count, 41)
        XCTAssertNil(SeedNoise.estimate(merged))
    }

    /// The learning-rate law recovers a known power law from synthetic sweeps whose loss is a
    /// parabola in ln lr around lr_opt(N) = 0.5 N^-0.3 (one D/N ratio), and lr_opt(N, D) =
    /// 0.5 N^-0.3 (D/N/20)^-0.2 from two ratios, with noise.
    func testLearningRateLawRecoversSyntheticLaw() throws {
        var rng = SplitMix64(seed: 3)
        func sweep(_ sizes: [Double], ratio: Double, dExponent: Double) -> [LearningRateLaw.Observation] {
            var runs: [LearningRateLaw.Observation] = []
            for n in sizes {
                let d = ratio * n
                let opt = 0.5 * pow(n, -0.3) * pow(ratio / 20, dExponent)
                for k in -3...3 {
                    let lr = opt * pow(2, Double(k) * 0.7 + 0.2)
                    let x = log(lr / opt)
                    runs.append(.init(params: n, tokens: d, lr: lr, loss: 2 + 0.05 * x * x + 0.001 * rng.nextGaussian()))
                }
            }
            return runs
        }
        let sizes = [2e4, 5e4, 1.2e5, 3e5]
        let runs = sweep(sizes, ratio: 20, dExponent: 0)
        let law = try LearningRateLaw.fit(runs, counting: .total)
        XCTAssertEqual(law.exponent, -0.3, accuracy: 0.03)
        XCTAssertEqual(law.tokensExponent, 0, "one D/N ratio: the law is in N alone")
        for n in sizes { XCTAssertEqual(law.lr(params: n, tokens: 20 * n) / (0.5 * pow(n, -0.3)), 1, accuracy: 0.1) }
        XCTAssertEqual(law.optima.count, 4)
        // two ratios separate N from D: lr_opt = 0.5 N^-0.3 (D / 20N)^-0.2 = c N^-0.1 D^-0.2
        let both = try LearningRateLaw.fit(sweep(sizes, ratio: 20, dExponent: -0.2) + sweep([5e4, 1.2e5], ratio: 5, dExponent: -0.2),
                                           counting: .total)
        XCTAssertEqual(both.tokensExponent, -0.2, accuracy: 0.03)
        XCTAssertEqual(both.exponent, -0.1, accuracy: 0.03)
        XCTAssertEqual(both.lr(params: 1e5, tokens: 5e5) / (0.5 * pow(1e5, -0.3) * pow(0.25, -0.2)), 1, accuracy: 0.1)
        // an optimum beyond the tried rates is refused by point
        let edge = runs.filter { $0.params != 2e4 } + [2e-3, 4e-3, 8e-3].map { LearningRateLaw.Observation(params: 2e4, tokens: 4e5, lr: $0, loss: 3 - $0) }
        let partial = try LearningRateLaw.fit(edge, counting: .total)
        XCTAssertEqual(partial.optima.count, 3)
        XCTAssertThrowsError(try LearningRateLaw.fit(Array(runs.prefix(7)), counting: .total)) {
            XCTAssertTrue("\($0)".contains("at least two (N, D) points"), "\($0)")
        }
    }
}
