import ScalingLaws
import Compute
import Training
import XCTest
import Randomness

/// The model on the fast kernels (GEMM, flash attention, thread pool) against the reference loops.
final class FastKernelTests: XCTestCase {
    func testFastKernelsMatchReferenceForwardAndBackward() throws {
        let configs = [
            GPTConfig(vocab: 67, seqLen: 40, dModel: 48, nLayer: 2, nHead: 3),
            GPTConfig(vocab: 67, seqLen: 40, dModel: 64, nLayer: 2, nHead: 4, position: .rope, norm: .rmsNorm, tiedHead: false),
        ]
        for config in configs {
            for threads in [1, 2, 3] {
                let B = 3, T = 37
                let reference = try GPT(config: config, batch: B, seqLen: T, seed: 8)
                let fast = try GPT(config: config, batch: B, seqLen: T, seed: 8)
                var rng = SplitMix64(seed: UInt64(threads))
                let tokens = (0..<(B * T)).map { _ in Int32(rng.next() % 67) }
                let targets = (0..<(B * T)).map { _ in Int32(rng.next() % 67) }
                let lossRef = reference.forward(tokens: tokens, targets: targets, kernels: ReferenceKernels())
                reference.backward(kernels: ReferenceKernels())
                let pool = ThreadPool(threadCount: threads)
                let lossFast = fast.forward(tokens: tokens, targets: targets, kernels: FastKernels(pool: pool))
                fast.backward(kernels: FastKernels(pool: pool))
                XCTAssertEqual(lossFast, lossRef, accuracy: 1e-5 * lossRef)
                var num = 0.0, den = 0.0
                for i in 0..<reference.parameterCount {
                    let d = Double(fast.grads[i] - reference.grads[i])
                    num += d * d
                    den += Double(reference.grads[i]) * Double(reference.grads[i])
                }
                XCTAssertLessThan((num / den).squareRoot(), 1e-4, "\(config.position) threads \(threads)")
            }
        }
    }

    func testFastKernelsGiveTheSameGradientsForAnyThreadCount() throws {
        let config = GPTConfig(vocab: 50, seqLen: 33, dModel: 64, nLayer: 2, nHead: 4)
        var results: [[Float]] = []
        for threads in [1, 2, 4] {
            let model = try GPT(config: config, batch: 2, seqLen: 33, seed: 4)
            var rng = SplitMix64(seed: 1)
            let tokens = (0..<66).map { _ in Int32(rng.next() % 50) }
            let kernels = FastKernels(pool: ThreadPool(threadCount: threads))
            model.forward(tokens: tokens, targets: tokens.reversed(), kernels: kernels)
            model.backward(kernels: kernels)
            results.append((0..<model.parameterCount).map { model.grads[$0] })
        }
        for r in results.dropFirst() {
            let differing = zip(results[0], r).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(differing) of \(r.count) gradients differ between thread counts")
        }
    }
}
