import Compute
import Distributed
import Foundation
import Randomness
import ScalingLaws
import Training
import XCTest

/// Shared fixtures: a tiny GPT config over seeded random tokens, the single-rank reference run,
/// and parity checks.
enum Fixture {
    static func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(rng.nextGaussian()) }
    }

    /// Text-like tokens: a seeded walk over a small alphabet (learnable, not uniform).
    static func dataset(vocab: Int = 64, count: Int = 6000, seed: UInt64 = 11) -> TokenDataset {
        var rng = SplitMix64(seed: seed)
        var tokens: [Int32] = []
        var cur: UInt64 = 0
        for _ in 0..<count {
            cur = (cur * 7 + rng.next() % 5) % UInt64(vocab)
            tokens.append(Int32(cur))
        }
        let split = count * 9 / 10
        return TokenDataset(train: Array(tokens[..<split]), validation: Array(tokens[split...]), vocab: vocab,
                            bytesPerToken: 1, source: "seeded walk")
    }

    static func config(batch: Int = 4, steps: Int = 6, seqLen: Int = 16, dModel: Int = 32, nLayer: Int = 2,
                       nHead: Int = 4, microBatches: Int = 1) -> TrainConfig {
        var t = TrainConfig.Optimization()
        t.batch = batch
        t.microBatches = microBatches
        t.steps = steps
        t.lr = 3e-3
        t.warmup = 1
        t.evalInterval = 0
        t.evalBatches = 2
        t.threads = 1
        t.seed = 5
        t.gradClip = 1
        return TrainConfig(model: GPTConfig(vocab: 64, seqLen: seqLen, dModel: dModel, nLayer: nLayer, nHead: nHead),
                           data: .init(path: "memory"), train: t)
    }

    /// Layout parity is checked on attention's exact fp32 tiles: ring attention (cp) has only those,
    /// and the `vdpbf16ps` tiles' bf16 rounding of P, dS and dO would otherwise differ between a
    /// cp layout and the single-rank run (`MixedModelParallelTests` checks those tiles per layout).
    static func kernels(bf16Attention: BF16Kernel = .widening) -> FastKernels {
        FastKernels(pool: ThreadPool(threadCount: 1), bf16Attention: bf16Attention)
    }

    struct Run {
        var losses: [Float]
        var params: [Float]
        var valLoss: Float?
    }

    /// The single-rank `Trainer` run that parallel runs must reproduce.
    static func reference(_ config: TrainConfig, data: TokenDataset) throws -> Run {
        let trainer = try Trainer(config: config, data: data, kernels: kernels())
        var losses: [Float] = []
        let result = try trainer.run(onEvent: { if case let .step(_, _, loss, _, _, _) = $0 { losses.append(loss) } })
        XCTAssertEqual(result.outcome, .done)
        return Run(losses: losses, params: trainer.model.params.toArray(), valLoss: result.finalValLoss)
    }

    /// Losses step by step agree to `lossTolerance` (relative), and the final parameters differ by
    /// at most `paramTolerance` of how far training moved them.
    static func assertParity(_ run: Run, _ reference: Run, initial: [Float], lossTolerance: Float = 1e-4,
                             paramTolerance: Double = 2e-3, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.losses.count, reference.losses.count, label, file: file, line: line)
        for (i, (a, b)) in zip(run.losses, reference.losses).enumerated() {
            XCTAssertEqual(a, b, accuracy: lossTolerance * max(1, abs(b)), "\(label): loss at step \(i + 1)", file: file, line: line)
        }
        XCTAssertEqual(run.params.count, reference.params.count, label, file: file, line: line)
        let ratio = parameterDistance(run, reference, initial: initial)
        XCTAssertLessThan(ratio, paramTolerance, "\(label): |params - reference| / |reference - initial| = \(ratio)", file: file, line: line)
        if let a = run.valLoss, let b = reference.valLoss {
            XCTAssertEqual(a, b, accuracy: lossTolerance * max(1, abs(b)), "\(label): validation loss", file: file, line: line)
        }
    }

    /// |params - reference| / |reference - initial| (L2 over all parameters).
    static func parameterDistance(_ run: Run, _ reference: Run, initial: [Float]) -> Double {
        var diff = 0.0, moved = 0.0
        for i in 0..<min(run.params.count, reference.params.count) {
            diff += Double(run.params[i] - reference.params[i]) * Double(run.params[i] - reference.params[i])
            moved += Double(reference.params[i] - initial[i]) * Double(reference.params[i] - initial[i])
        }
        return moved > 0 ? (diff / moved).squareRoot() : .infinity
    }

    static func initialParams(_ config: TrainConfig) throws -> [Float] {
        try GPT(config: config.model, batch: 1, seqLen: config.model.seqLen, seed: config.train.seed).params.toArray()
    }
}
