import Foundation
import Randomness
import Training

/// A config's seconds per optimizer step, measured as `ladder sweep plan` estimates a sweep's wall
/// time: one warm-up step, then the mean of two timed steps on random tokens (no evaluation,
/// checkpoints or clipping; the config's model, batch, micro-batches, precision and threads).
public enum StepTimeProbe {
    public static func secondsPerStep(_ config: TrainConfig, kernels: some ModelKernels) throws -> Double {
        var c = config
        c.train.steps = 3
        c.train.saveAt = []  // a WSD trunk's checkpoint steps lie beyond the probe's 3
        c.train.checkpointInterval = 0
        c.train.evalInterval = 0
        c.train.evalBatches = 1
        c.train.warmup = 0
        c.train.maxGradNorm = .infinity
        var rng = SplitMix64(seed: 1)
        let n = (c.model.seqLen + 1) * c.train.batch * 4
        let tokens = (0..<n).map { _ in Int32(rng.next() % UInt64(c.model.vocab)) }
        let data = TokenDataset(train: tokens, validation: tokens, vocab: c.model.vocab, bytesPerToken: 1, source: "probe")
        let trainer = try Trainer(config: c, data: data, kernels: kernels)
        _ = try trainer.run(stopAfter: 1)
        let start = Date()
        let result = try trainer.run()
        precondition(result.steps == 3, "the probe trains three steps")
        return Date().timeIntervalSince(start) / 2
    }
}
