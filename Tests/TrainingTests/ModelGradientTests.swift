import Randomness
import ScalingLaws
import Training
import XCTest

final class ModelGradientTests: XCTestCase {
    /// The whole model's gradient against central differences, for each architecture option.
    func testWholeModelGradientMatchesFiniteDifferences() throws {
        let variants: [GPTConfig] = [
            GPTConfig(vocab: 11, seqLen: 6, dModel: 8, nLayer: 2, nHead: 2),
            GPTConfig(vocab: 11, seqLen: 6, dModel: 8, nLayer: 2, nHead: 2, position: .rope, norm: .rmsNorm, tiedHead: false),
        ]
        for config in variants {
            let B = 2, T = 5
            let model = try GPT(config: config, batch: B, seqLen: T, seed: 5)
            // larger weights than GPT-2's init so that every path carries signal
            var rng = SplitMix64(seed: 99)
            for i in 0..<model.parameterCount { model.params[i] += Float(rng.nextGaussian() * 0.3) }
            let tokens: [Int32] = (0..<(B * T)).map { _ in Int32(rng.next() % 11) }
            let targets: [Int32] = (0..<(B * T)).map { _ in Int32(rng.next() % 11) }
            let kernels = ReferenceKernels()
            model.grads.zero()
            _ = model.forward(tokens: tokens, targets: targets, kernels: kernels)
            model.backward(kernels: kernels)
            var numerical: [Double] = [], analytic: [Float] = []
            let eps: Float = 1e-2
            for i in stride(from: 0, to: model.parameterCount, by: 3) {
                let orig = model.params[i]
                model.params[i] = orig + eps
                let up = Double(model.forward(tokens: tokens, targets: targets, kernels: kernels))
                model.params[i] = orig - eps
                let down = Double(model.forward(tokens: tokens, targets: targets, kernels: kernels))
                model.params[i] = orig
                numerical.append((up - down) / (2 * Double(eps)))
                analytic.append(model.grads[i])
            }
            let err = GradientCheck.relativeError(numerical, analytic)
            XCTAssertLessThan(err, 1e-2, "\(config.position) \(config.norm): relative gradient error \(err)")
        }
    }

    func testInvalidConfigsGiveClearErrors() {
        XCTAssertThrowsError(try GPT(config: GPTConfig(vocab: 10, seqLen: 8, dModel: 30, nLayer: 1, nHead: 4), batch: 1, seqLen: 8, seed: 0)) {
            XCTAssertTrue("\($0)".contains("d_model (30) must be divisible by model.n_head (4)"), "\($0)")
        }
        XCTAssertThrowsError(try GPT(config: GPTConfig(vocab: 10, seqLen: 8, dModel: 32, nLayer: 1, nHead: 4), batch: 1, seqLen: 9, seed: 0)) {
            XCTAssertTrue("\($0)".contains("sequence length 9"), "\($0)")
        }
        XCTAssertThrowsError(try GPT(config: GPTConfig(vocab: 10, seqLen: 8, dModel: 32, nLayer: 0, nHead: 4), batch: 1, seqLen: 8, seed: 0)) {
            XCTAssertTrue("\($0)".contains("n_layer"), "\($0)")
        }
    }
}
