import Compute
import Randomness
import ScalingLaws
import Training
import XCTest

/// The mixed-precision forward/backward of the GPT: its gradients against the fp32 model's
/// (whose gradients the TrainingTests check by finite differences), fast kernels against the
/// reference kernels, and directional finite differences of its own loss.
final class MixedGradientTests: XCTestCase {
    static let config = GPTConfig(vocab: 64, seqLen: 16, dModel: 32, nLayer: 2, nHead: 2)
    static let (B, T) = (2, 16)

    static func batch(seed: UInt64) -> ([Int32], [Int32]) {
        var rng = SplitMix64(seed: seed)
        let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 64) }
        let targets = (0..<(B * T)).map { _ in Int32(rng.next() % 64) }
        return (tokens, targets)
    }

    static func gradients(_ precision: TrainConfig.Precision, kernels: some ModelKernels,
                          config: GPTConfig = config) throws -> (loss: Float, grads: [Float], model: GPT) {
        let model = try GPT(config: config, batch: B, seqLen: T, seed: 3, precision: precision)
        // larger weights than the 0.02 init so every path carries signal
        var rng = SplitMix64(seed: 99)
        for i in 0..<model.parameterCount { model.params[i] += Float(rng.nextGaussian() * 0.05) }
        let (x, y) = batch(seed: 4)
        let loss = model.forward(tokens: x, targets: y, kernels: kernels)
        model.grads.zero()
        model.backward(kernels: kernels)
        return (loss, model.grads.toArray(), model)
    }

    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in a.indices {
            num += Double(a[i] - b[i]) * Double(a[i] - b[i])
            den += Double(b[i]) * Double(b[i])
        }
        return (num / max(den, 1e-30)).squareRoot()
    }

    func testMixedGradientsTrackFP32() throws {
        let kernels = FastKernels(pool: ThreadPool(threadCount: 2))
        for config in [Self.config, GPTConfig(vocab: 64, seqLen: 16, dModel: 32, nLayer: 2, nHead: 2,
                                              position: .rope, norm: .rmsNorm, tiedHead: false)] {
            let fp32 = try Self.gradients(.fp32, kernels: kernels, config: config)
            for (precision, lossTol, gradTol) in [(TrainConfig.Precision.bf16, 0.01, 0.03), (.fp16, 0.002, 0.005), (.fp8, 0.05, 0.25)] {
                let mixed = try Self.gradients(precision, kernels: kernels, config: config)
                XCTAssertEqual(Double(mixed.loss), Double(fp32.loss), accuracy: lossTol * Double(fp32.loss), "\(precision) loss")
                let err = Self.relativeError(mixed.grads, fp32.grads)
                XCTAssertLessThan(err, gradTol, "\(precision) gradient relative error vs fp32 (\(config.position), \(config.norm))")
                XCTAssertGreaterThan(err, 0, "\(precision) must actually round something")
            }
        }
    }

    /// Same arithmetic, other summation orders: attention on the exact fp32 tiles (the `vdpbf16ps`
    /// attention rounds P, dS and dO to bf16; MixedKernelTests and AttentionTests check it).
    func testFastMixedKernelsMatchReferenceKernels() throws {
        let fast = FastKernels(pool: ThreadPool(threadCount: 2), bf16Attention: .widening)
        for precision in [TrainConfig.Precision.bf16, .fp16, .fp8] {
            let a = try Self.gradients(precision, kernels: fast)
            let b = try Self.gradients(precision, kernels: ReferenceKernels())
            XCTAssertEqual(a.loss, b.loss, accuracy: 1e-4 * abs(b.loss))
            XCTAssertLessThan(Self.relativeError(a.grads, b.grads), 2e-3, "\(precision)")
        }
    }

    /// d loss(p + h u) / dh at h = 0 equals g · u for the mixed backward's gradient g: central
    /// differences along the gradient direction and a random direction, with h large enough that
    /// the loss change dwarfs the rounding of activations.
    func testDirectionalFiniteDifferences() throws {
        let kernels = FastKernels(pool: ThreadPool(threadCount: 2))
        let (x, y) = Self.batch(seed: 4)
        for precision in [TrainConfig.Precision.bf16, .fp16] {
            let (_, g, model) = try Self.gradients(precision, kernels: kernels)
            let p0 = model.params.toArray()
            var rng = SplitMix64(seed: 17)
            let gn = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let random = (0..<g.count).map { _ in rng.nextGaussian() }
            let rn = random.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            for (name, u) in [("gradient", g.map { Double($0) / gn }), ("random", random.map { $0 / rn })] {
                let h = 2e-2
                func loss(_ t: Double) -> Double {
                    for i in 0..<p0.count { model.params[i] = p0[i] + Float(t * u[i]) }
                    return Double(model.forward(tokens: x, targets: y, kernels: kernels))
                }
                let numeric = (loss(h) - loss(-h)) / (2 * h)
                let analytic = zip(g, u).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                let tol = name == "gradient" ? 0.03 * abs(analytic) : 0.05 * gn
                XCTAssertEqual(numeric, analytic, accuracy: tol, "\(precision) along the \(name)")
            }
        }
    }
}
