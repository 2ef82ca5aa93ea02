import ArgumentParser
import Compute
import Distributed
import Foundation
import Jobs
import Randomness
import ScalingLaws
import Training

/// `ladder bench train --parallel dp=2[,tp=..,pp=..,cp=..,zero=1] [--backend threads|mpi]`.
struct ParallelBenchOptions: ParsableArguments {
    @Option(help: "Measure a parallel layout, e.g. dp=2 or dp=2,zero=1 (keys dp, tp, pp, cp, zero): one JSON line per rank with tokens/s and the rank's memory.")
    var parallel: ParallelConfig?

    @Option(help: "With --parallel: threads (ranks are threads of this process) or mpi (run under mpirun -np WORLD; needs a --traits MPI build).")
    var backend: CommunicationBackend = .threads

    @Option(name: .customLong("threads-per-rank"), help: "With --parallel: compute threads of each rank.")
    var threadsPerRank: Int = 1
}

extension ParallelConfig: ExpressibleByArgument {
    /// "dp=2,tp=1,zero=1"; unnamed axes stay 1.
    public init?(argument: String) {
        var c = ParallelConfig()
        for part in argument.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let v = Int(kv[1]) else { return nil }
            switch kv[0] {
            case "dp": c.dp = v
            case "tp": c.tp = v
            case "pp": c.pp = v
            case "cp": c.cp = v
            case "zero": c.zero = v
            default: return nil
            }
        }
        self = c
    }
}

enum BenchTrainParallel {
    /// Trains `warmup` untimed then `steps` timed optimizer steps of the bench shape `config` with
    /// the global batch of the single-process bench, split by the layout; prints one line per rank.
    static func run(config: BenchTrain.Config, layout: ParallelConfig, options: ParallelBenchOptions,
                    steps: Int, warmup: Int, json: Bool) throws {
        do { try layout.validate() } catch { throw ValidationError("--parallel: \(error)") }
        guard options.threadsPerRank >= 1 else { throw ValidationError("--threads-per-rank must be at least 1") }
        let (C, L, NH, T, V, B) = config.shape
        // (the global batch and tokens per step are the single-process bench's)
        var t = TrainConfig.Optimization()
        t.batch = B
        t.steps = warmup + steps
        t.lr = 3e-4
        t.schedule = .constant
        t.evalInterval = 0
        t.evalBatches = 1
        t.threads = options.threadsPerRank
        t.maxGradNorm = .infinity
        if layout.pp > 1 {
            // a pipeline needs micro-batches to fill: 4 per stage (at most one sequence each)
            var micro = min(B, 4 * layout.pp)
            while B % micro != 0 { micro -= 1 }
            t.batch = B / micro
            t.microBatches = micro
        }
        var trainConfig = TrainConfig(model: GPTConfig(vocab: V, seqLen: T, dModel: C, nLayer: L, nHead: NH),
                                      data: .init(path: "random"), train: t)
        trainConfig.parallel = layout
        var rng = SplitMix64(seed: 0)
        let tokens = (0..<(B * (T + 1) * 64)).map { _ in Int32(rng.next() % UInt64(V)) }
        let data = TokenDataset(train: tokens, validation: Array(tokens.prefix(4 * (T + 1))), vocab: V, bytesPerToken: 1,
                                source: "random tokens")
        let perRank = options.threadsPerRank
        let lines = try ParallelLauncher.run(backend: options.backend, worldSize: layout.worldSize) { comm -> [String: Any] in
            let kernels = FastKernels(pool: ThreadPool(threadCount: perRank))
            let trainer = try ParallelTraining.trainer(config: trainConfig, data: data, kernels: kernels, world: comm)
            _ = try trainer.run(stopAfter: warmup, onEvent: { _ in })
            let commBefore = trainer.communicationSeconds
            try comm.barrier()
            let started = Date()
            _ = try trainer.run(stopAfter: nil, onEvent: { _ in })
            try comm.barrier()
            let seconds = Date().timeIntervalSince(started)
            let tps = Double(steps * B * T) / seconds
            let m = trainer.memory
            var line: [String: Any] = [
                "system": "ladder", "config": config.rawValue, "parallel": layout.label, "backend": options.backend.rawValue,
                "rank": comm.rank, "world": comm.size, "threads_per_rank": perRank,
                "tokens_per_s": (tps * 10).rounded() / 10, "step_ms": (seconds / Double(steps) * 1e4).rounded() / 10,
                "comm_ms_per_step": ((trainer.communicationSeconds - commBefore) / Double(steps) * 1e4).rounded() / 10,
                "model_gflops": (tps * trainer.flopsPerToken / 1e7).rounded() / 100,
                "param_bytes": m.parameters, "grad_bytes": m.gradients, "optimizer_bytes": m.optimizerState,
                "rank_state_bytes": m.total, "activation_bytes": m.activations, "workspace_bytes": m.workspace,
                "rank_training_bytes": m.training, "peak_rss_bytes": peakResidentBytes(),
                "micro_batches": trainConfig.train.microBatches,
            ]
            if let bubble = trainer.bubbleFraction {
                line["bubble_ideal"] = (bubble.ideal * 1000).rounded() / 1000
                line["bubble_measured"] = (bubble.measured * 1000).rounded() / 1000
            }
            return line
        }
        for line in lines {
            if json {
                print(try jsonLine(line))
            } else {
                print(String(format: "%@ %@ over %@, rank %d/%d, %d thread(s): %.0f tokens/s, %.0f ms/step (%.1f ms in collectives), params+grads+optimizer %.1f MB (optimizer %.1f MB), activations %.1f MB, peak RSS %.0f MB",
                             config.rawValue, layout.label, options.backend.rawValue, line["rank"] as! Int, line["world"] as! Int,
                             perRank, line["tokens_per_s"] as! Double, line["step_ms"] as! Double,
                             line["comm_ms_per_step"] as! Double, Double(line["rank_state_bytes"] as! Int) / 1e6,
                             Double(line["optimizer_bytes"] as! Int) / 1e6, Double(line["activation_bytes"] as! Int) / 1e6,
                             Double(line["peak_rss_bytes"] as! Int) / 1e6))
            }
        }
    }
}
