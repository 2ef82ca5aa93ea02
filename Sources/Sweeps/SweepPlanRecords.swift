import Foundation
import Training

extension PlannedRun {
    /// The run as `ladder sweep plan --json` prints it: shape, N (counted and total), D, C, batch,
    /// steps, rate, beta2, warmup, budget, WSD part, steps and FLOPs actually trained, and the probed wall time if any.
    public func planRecord(estimatedSeconds: Double?) -> [String: Any] {
        var o: [String: Any] = ["name": name, "role": role.rawValue, "n_layer": shape.nLayer, "d_model": shape.dModel,
                                "n_head": shape.nHead, "params": params, "params_total": paramsTotal,
                                "tokens": tokens, "flops": flops, "steps": config.train.steps, "lr": config.train.lr,
                                "batch": config.train.batch, "micro_batches": config.train.microBatches,
                                "beta2": config.train.beta2, "warmup": config.train.warmup]
        if let budget { o["budget"] = budget }
        if let estimatedSeconds { o["estimated_seconds"] = estimatedSeconds }
        switch wsd {
        case .trunk: o["wsd"] = "trunk"; o["save_at"] = config.train.saveAt
        case let .branch(trunk, step): o["wsd"] = "branch"; o["trunk"] = trunk; o["branch_step"] = step
        case nil: break
        }
        o["steps_trained"] = stepsTrained
        o["flops_spent"] = flopsSpent
        return o
    }
}

/// What a sweep's runs read of its data: passes over the training split per run (at most 1 means
/// no training token is read twice under shuffled sampling), by run name, and the split's sizes.
public struct SweepDataUse {
    public let passes: [String: Double]
    public let trainTokens: Int, validationTokens: Int

    /// Loads the sweep's data (it must be in place) and counts each run's windows against it.
    public init(_ spec: SweepSpec, runs: [PlannedRun]) throws {
        let data = try TokenDataset.load(spec.data)
        var passes: [String: Double] = [:]
        for r in runs {
            let samples = r.config.train.steps * r.config.train.microBatches * r.config.train.batch
            passes[r.name] = data.passes(samples: samples, T: r.config.model.seqLen)
        }
        self.passes = passes
        trainTokens = data.train.count
        validationTokens = data.validation.count
    }
}
