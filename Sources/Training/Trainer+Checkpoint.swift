import Foundation
import Randomness

extension Trainer {
    static var format: String { TrainingCheckpoint.format }

    /// Writes parameters, AdamW moments, the step, the data generator's state, the config and
    /// (fp16) the dynamic loss scaler's state in one safetensors file, atomically.
    public func save(to url: URL) throws {
        let state = TrainingCheckpoint.State(step: step, rngState: rng.state, recentLosses: loop.recentLosses,
                                             lossScaler: lossScaler?.checkpointText ?? "")
        try TrainingCheckpoint.write(to: url, layout: model.layout, params: model.params.pointer, m: m.pointer, v: v.pointer,
                                     state: state, config: config)
    }

    /// Restores a checkpoint written by `save` (or by a parallel trainer) for the same config, up
    /// to threads and parallel layout; training then continues exactly as if it had never stopped.
    public func resume(from url: URL) throws {
        try load(TrainingCheckpoint.open(url, for: config), from: url)
    }

    /// Copies a checkpoint's tensors, step, data position and recent losses into this trainer.
    func load(_ file: Safetensors.File, from url: URL) throws {
        let state = try TrainingCheckpoint.read(file, from: url, layout: model.layout, params: model.params.pointer,
                                                m: m.pointer, v: v.pointer)
        if lossScaler != nil { lossScaler = try DynamicLossScaler.saved(in: state, of: url) }
        loop.restore(step: state.step, recentLosses: state.recentLosses)
        rng = SplitMix64(seed: state.rngState)
    }
}
