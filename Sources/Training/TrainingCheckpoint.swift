import Foundation

/// The checkpoint file every trainer writes and reads (format "ladder-checkpoint-1"): one
/// safetensors file with the parameters and both AdamW moments in the single-rank layout (names
/// as the model's tensors, moments prefixed "optimizer.m." and "optimizer.v."), and metadata: the
/// step, the data generator's state, the training config (JSON), the last losses and (fp16) the
/// loss scaler. Parallel trainers gather their shards into this layout, so a checkpoint resumes
/// under any parallel layout or none: only the model, data and optimization must match.
public enum TrainingCheckpoint {
    public static let format = "ladder-checkpoint-1"

    /// What besides the tensors a checkpoint restores.
    public struct State {
        public var step: Int
        public var rngState: UInt64
        public var recentLosses: [Float]
        /// The fp16 loss scaler's text form ("" when none).
        public var lossScaler: String
        public init(step: Int, rngState: UInt64, recentLosses: [Float], lossScaler: String = "") {
            self.step = step; self.rngState = rngState; self.recentLosses = recentLosses; self.lossScaler = lossScaler
        }
    }

    /// Writes `params`, `m`, `v` (each `layout.count` floats, single-rank layout) and `state`
    /// atomically to `url`.
    public static func write(to url: URL, layout: ParameterLayout, params: UnsafePointer<Float>, m: UnsafePointer<Float>,
                             v: UnsafePointer<Float>, state: State, config: TrainConfig) throws {
        var entries: [Safetensors.Entry] = []
        for (prefix, buffer) in [("", params), ("optimizer.m.", m), ("optimizer.v.", v)] {
            for t in layout.tensors {
                entries.append(.init(name: prefix + t.name, shape: t.shape,
                                     data: UnsafeBufferPointer(start: buffer + t.offset, count: t.count)))
            }
        }
        let configJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        let recent = state.recentLosses.map { String($0.bitPattern) }.joined(separator: ",")
        try Safetensors.write(entries, metadata: ["format": format, "step": String(state.step),
                                                  "rng": String(state.rngState), "config": configJSON,
                                                  "recent_losses": recent, "loss_scaler": state.lossScaler], to: url)
    }

    /// Reads `url` and checks that it is a checkpoint written for `config`, up to what does not
    /// change the results: thread counts and the parallel layout.
    public static func open(_ url: URL, for config: TrainConfig) throws -> Safetensors.File {
        let file = try Safetensors.read(url)
        guard file.metadata["format"] == format, let configText = file.metadata["config"] else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        var saved = try JSONDecoder().decode(TrainConfig.self, from: Data(configText.utf8))
        saved.train.threads = config.train.threads
        saved.parallel = config.parallel
        guard saved == config else {
            throw TrainingError.checkpoint("\(url.path) was written for a different training config; remove it to start over")
        }
        return file
    }

    /// Reads `url`, a WSD trunk's kept checkpoint, and checks that a run with `config` may branch
    /// from it: the same model, data and optimizer (only the length, the schedule's tail,
    /// evaluation, checkpoint cadence, threads and parallel layout may differ), a branch point
    /// before the branch's last step, and the same learning rate at every step before it.
    public static func openBranch(_ url: URL, for config: TrainConfig) throws -> Safetensors.File {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.checkpoint("\(url.path) does not exist: the trunk run has not reached the branch point yet")
        }
        let file = try Safetensors.read(url)
        guard file.metadata["format"] == format, let at = Int(file.metadata["step"] ?? ""),
              let configText = file.metadata["config"] else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        let trunk = try JSONDecoder().decode(TrainConfig.self, from: Data(configText.utf8))
        func normalized(_ c: TrainConfig) -> TrainConfig {
            var c = c
            c.train.steps = 0
            c.train.schedule = .constant
            c.train.cooldownFraction = 0
            c.train.cooldownShape = .linear
            c.train.minLRRatio = 0
            c.train.saveAt = []
            c.train.evalInterval = 0
            c.train.checkpointInterval = 0
            c.train.threads = 1
            c.parallel = ParallelConfig()
            return c
        }
        guard normalized(trunk) == normalized(config) else {
            throw TrainingError.checkpoint("\(url.path) was written by a run with another model, data or optimizer; a branch must share them")
        }
        guard at < config.train.steps else {
            throw TrainingError.checkpoint("\(url.path) is at step \(at), not before this run's last step \(config.train.steps)")
        }
        let mine = config.train, theirs = trunk.train
        for s in 0..<at where mine.lrSchedule.lr(step: s, totalSteps: mine.steps, peak: mine.lr)
            != theirs.lrSchedule.lr(step: s, totalSteps: theirs.steps, peak: theirs.lr) {
            throw TrainingError.checkpoint("the branch's learning rate at step \(s) differs from the trunk's; its cooldown must start at or after step \(at)")
        }
        return file
    }

    /// Copies the tensors of `file` into `params`, `m`, `v` (single-rank layout) and returns the
    /// state; every tensor must be present with its shape.
    public static func read(_ file: Safetensors.File, from url: URL, layout: ParameterLayout, params: UnsafeMutablePointer<Float>,
                            m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) throws -> State {
        guard let step = Int(file.metadata["step"] ?? ""), step >= 0, let rngState = UInt64(file.metadata["rng"] ?? "") else {
            throw TrainingError.checkpoint("\(url.path) is not a ladder checkpoint (missing metadata)")
        }
        for (prefix, buffer) in [("", params), ("optimizer.m.", m), ("optimizer.v.", v)] {
            for t in layout.tensors {
                guard let tensor = file.tensors[prefix + t.name], tensor.shape == t.shape else {
                    throw TrainingError.checkpoint("\(url.path): tensor \(prefix + t.name) is missing or has the wrong shape")
                }
                tensor.values.withUnsafeBufferPointer { (buffer + t.offset).update(from: $0.baseAddress!, count: t.count) }
            }
        }
        let recent = (file.metadata["recent_losses"] ?? "").split(separator: ",").compactMap { UInt32($0) }
            .map(Float.init(bitPattern:))
        return State(step: step, rngState: rngState, recentLosses: recent, lossScaler: file.metadata["loss_scaler"] ?? "")
    }
}
