import ScalingLaws
import Foundation

extension Trainer {
    static var format: String { "ladder-checkpoint-1" }

    /// Writes parameters, AdamW moments, the step, the data generator's state, the config and
    /// (fp16) the dynamic loss scaler's state in one safetensors file, atomically.
    public func save(to url: URL) throws {
        var entries: [Safetensors.Entry] = []
        for (prefix, buffer) in [("", model.params), ("optimizer.m.", m), ("optimizer.v.", v)] {
            for t in model.layout.tensors {
                entries.append(.init(name: prefix + t.name, shape: t.shape,
                                     data: UnsafeBufferPointer(start: buffer.pointer + t.offset, count: t.count)))
            }
        }
        let configJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        let recent = recentLosses.map { String($0.bitPattern) }.joined(separator: ",")
        try Safetensors.write(entries, metadata: ["format": Self.format, "step": String(step),
                                                  "rng": String(rng.state), "config": configJSON,
                                                  "recent_losses": recent,
                                                  "loss_scaler": lossScaler?.checkpointText ?? ""], to: url)
    }

    /// Restores a checkpoint written by `save` for the same config; training then continues
    /// exactly as if it had never stopped.
    public func resume(from url: URL) throws {
        let file = try Safetensors.read(url)
        guard file.metadata["format"] == Self.format, let configText = file.metadata["config"] else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        var saved = try JSONDecoder().decode(TrainConfig.self, from: Data(configText.utf8))
        saved.train.threads = config.train.threads  // results do not depend on the thread count
        guard saved == config else {
            throw TrainingError.checkpoint("\(url.path) was written for a different training config; remove it to start over")
        }
        try load(file, from: url)
    }

    /// Copies a checkpoint's tensors, step, data position and recent losses into this trainer.
    func load(_ file: Safetensors.File, from url: URL) throws {
        guard let step = Int(file.metadata["step"] ?? ""), let rngState = UInt64(file.metadata["rng"] ?? "") else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        for (prefix, buffer) in [("", model.params), ("optimizer.m.", m), ("optimizer.v.", v)] {
            for t in model.layout.tensors {
                guard let tensor = file.tensors[prefix + t.name], tensor.shape == t.shape else {
                    throw TrainingError.checkpoint("\(url.path): tensor \(prefix + t.name) is missing or has the wrong shape")
                }
                tensor.values.withUnsafeBufferPointer { (buffer.pointer + t.offset).update(from: $0.baseAddress!, count: t.count) }
            }
        }
        if lossScaler != nil {
            guard let scaler = DynamicLossScaler(checkpointText: file.metadata["loss_scaler"] ?? "") else {
                throw TrainingError.checkpoint("\(url.path) has no loss-scaler state for this fp16 run; remove it to start over")
            }
            lossScaler = scaler
        }
        self.step = step
        rng = SplitMix64(seed: rngState)
        recentLosses = (file.metadata["recent_losses"] ?? "").split(separator: ",").compactMap { UInt32($0) }.map(Float.init(bitPattern:))
    }
}
