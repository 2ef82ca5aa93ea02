import ScalingLaws
import ArgumentParser
import Compute
import Foundation
import Training

/// `ladder bench train`: training throughput of the built-in trainer on the model shapes of
/// shared/bench/gpt_torch.py, random tokens, after warm-up steps.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trainer throughput (tokens/s, model GFLOP/s, peak memory) on standard model shapes.")

    enum Config: String, ExpressibleByArgument, CaseIterable {
        case tiny, small, medium
        /// (d_model, n_layer, n_head, seq_len, vocab, batch), as gpt_torch.py.
        var shape: (Int, Int, Int, Int, Int, Int) {
            switch self {
            case .tiny: return (128, 4, 4, 256, 4096, 16)
            case .small: return (256, 6, 8, 256, 4096, 16)
            case .medium: return (512, 8, 8, 512, 8192, 8)
            }
        }
    }

    @Option(help: "Model shape: tiny, small or medium.")
    var config: Config = .small

    @Option(help: "Precision (fp32).")
    var precision: TrainConfig.Precision = .fp32

    @Option(help: "Threads.")
    var threads: Int = 2

    @Option(help: "Timed optimizer steps.")
    var steps: Int = 10

    @Option(help: "Untimed warm-up steps.")
    var warmup: Int = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(name: .customLong("peak-gflops"), help: "Stated fp32 peak per thread (GFLOP/s) that MFU is reported against.")
    var peakGflops: Double = PeakFlops.defaultPerThread

    @OptionGroup var parallelOptions: ParallelBenchOptions

    func run() throws {
        if let layout = parallelOptions.parallel { return try BenchTrainParallel.run(config: config, layout: layout, options: parallelOptions, steps: steps, warmup: warmup, json: json) }
        let (C, L, NH, T, V, B) = config.shape
        var t = TrainConfig.Optimization()
        t.batch = B
        t.steps = warmup + steps
        t.lr = 3e-4
        t.weightDecay = 0.1
        t.schedule = .constant
        t.evalInterval = 0
        t.evalBatches = 1
        t.threads = threads
        t.precision = precision
        t.maxGradNorm = .infinity
        let trainConfig = TrainConfig(model: GPTConfig(vocab: V, seqLen: T, dModel: C, nLayer: L, nHead: NH),
                                      data: .init(path: "random"), train: t)
        var rng = SplitMix64(seed: 0)
        let tokens = (0..<(B * (T + 1) * 64)).map { _ in Int32(rng.next() % UInt64(V)) }
        let data = TokenDataset(train: tokens, validation: Array(tokens.prefix(4 * (T + 1))), vocab: V, bytesPerToken: 1, source: "random tokens")
        ThreadPool.setDefaultThreadCount(threads)
        let trainer = try Trainer(config: trainConfig, data: data, kernels: FastKernels(pool: .default))
        var started = Date()
        _ = try trainer.run(stopAfter: warmup)
        started = Date()
        _ = try trainer.run()
        let seconds = Date().timeIntervalSince(started)
        let tokensPerSecond = Double(steps * B * T) / seconds
        let gflops = tokensPerSecond * trainer.model.flopsPerToken / 1e9
        let rss = peakResidentBytes()
        let result: [String: Any] = [
            "system": "ladder", "config": config.rawValue, "precision": precision.rawValue, "threads": threads,
            "params_total": trainer.model.parameterCount, "params_non_embedding": trainer.model.nonEmbeddingParameterCount,
            "tokens_per_s": (tokensPerSecond * 10).rounded() / 10, "model_gflops": (gflops * 100).rounded() / 100,
            "peak_rss_bytes": rss, "step_ms": (seconds / Double(steps) * 1e4).rounded() / 10,
            "mfu": (PeakFlops.mfu(gflops: gflops, threads: threads, perThread: peakGflops) * 1000).rounded() / 1000,
            "peak_gflops": peakGflops * Double(threads),
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%@ %@ %d threads: %.0f tokens/s, %.1f GFLOP/s (MFU %.0f%% of a stated %.0f), %.0f ms/step, peak RSS %.0f MB",
                         config.rawValue, precision.rawValue, threads, tokensPerSecond, gflops,
                         PeakFlops.mfu(gflops: gflops, threads: threads, perThread: peakGflops) * 100, peakGflops * Double(threads),
                         seconds / Double(steps) * 1000, Double(rss) / 1e6))
        }
    }
}

extension TrainConfig.Precision: ExpressibleByArgument {}

/// Peak resident set size of this process (VmHWM), in bytes; 0 where /proc is absent.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
