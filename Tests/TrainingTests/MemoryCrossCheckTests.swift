import Compute
import Foundation
import ScalingLaws
import Training
import XCTest

/// The cluster planner's memory formulas against the built-in trainer's own allocations: a small
/// GPT trained for two steps holds what the formulas (fp32 states, fp32 activations, no dropout,
/// flash attention) predict for it on one rank, within 20%.
final class MemoryCrossCheckTests: XCTestCase {
    func testTrainerPeakMemoryMatchesTheClusterFormulasWithin20Percent() throws {
        // Korthikanti's count itself: 34 s b h + 5 a s^2 b at 16 bits with dropout
        let k = SingleRankMemory.activationsPerLayer(seqLen: 2048, microBatch: 1, hidden: 4096, heads: 32,
                                                     elementBytes: 2, dropout: true, flashAttention: false)
        let sbh: Double = 2048 * 4096, as2b: Double = 32 * 2048 * 2048
        XCTAssertEqual(k, sbh * 34 + as2b * 5)
        XCTAssertEqual(k, ClusterMemory.activationsPerLayer(seqLen: 2048, microBatch: 1, hidden: 4096, heads: 32))

        for (layers, width, heads, seq, batch) in [(6, 128, 4, 128, 8), (4, 192, 6, 256, 4)] {
            var t = TrainConfig.Optimization()
            t.batch = batch
            t.steps = 2
            t.evalInterval = 0
            t.evalBatches = 1
            t.threads = 1
            let config = TrainConfig(model: GPTConfig(vocab: 256, seqLen: seq, dModel: width, nLayer: layers, nHead: heads),
                                     data: .init(path: TrainerTests.corpus, valFraction: 0.1), train: t)
            let data = try TokenDataset.bytes(of: config.data.path, valFraction: config.data.valFraction)
            AlignedMemory.resetPeak()
            let before = AlignedMemory.live
            let measured: Double = try {
                let trainer = try Trainer(config: config, data: data, kernels: FastKernels(pool: ThreadPool(threadCount: 1)))
                _ = try trainer.run()
                return Double(AlignedMemory.peak - before)
            }()
            let model = ClusterModel(parameters: Double(ParameterLayout(config.model).count), nLayer: layers, dModel: width,
                                     nHead: heads, seqLen: seq, flashAttention: true)
            let predicted = SingleRankMemory(model: model, microBatch: batch, vocab: 256, precision: .fp32, dropout: false)
            let ratio = measured / predicted.total
            print(String(format: "memory cross-check L%d d%d T%d B%d: trainer %.1f MB, formulas %.1f MB (states %.1f, activations %.1f, head %.1f, backward working set %.1f), ratio %.3f",
                         layers, width, seq, batch, measured / 1e6, predicted.total / 1e6,
                         (predicted.parameters + predicted.gradients + predicted.optimizerStates) / 1e6,
                         predicted.activations / 1e6, predicted.head / 1e6, predicted.backwardWorkingSet / 1e6, ratio))
            XCTAssertEqual(ratio, 1, accuracy: 0.2, "trainer \(measured) bytes vs formulas \(predicted.total)")
        }
    }
}
