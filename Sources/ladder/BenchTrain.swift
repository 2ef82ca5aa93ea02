import Jobs
import ScalingLaws
import ArgumentParser
import Compute
import Foundation
import Training
import Randomness

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

    @Option(help: ArgumentHelp("Precision, or a comma-separated list run one after the other (each in its own process, so peak RSS is per precision): fp32, bf16, fp16, fp8 (experimental).",
                               valueName: "list"))
    var precision: String = "fp32"

    @Option(help: "With a list: run the whole list this many times, interleaved, then print the median of each.")
    var repeats: Int = 1

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

    @OptionGroup var tier: KernelTierOptions

    func run() throws {
        try tier.apply()
        if let layout = parallelOptions.parallel { return try BenchTrainParallel.run(config: config, layout: layout, options: parallelOptions, steps: steps, warmup: warmup, json: json) }
        let list = try precision.split(separator: ",").map { name -> TrainConfig.Precision in
            guard let p = TrainConfig.Precision(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown precision '\(name)': use fp32, bf16, fp16 or fp8")
            }
            return p
        }
        guard !list.isEmpty else { throw ValidationError("--precision needs at least one of fp32, bf16, fp16, fp8") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if list.count == 1 && repeats == 1 {
            try measure(list[0])
        } else {
            try compare(list)
        }
    }

    /// Runs each precision of `list` in a child `ladder bench train` (`repeats` rounds, interleaved),
    /// prints every result, then per precision the median tokens/s and its ratio to fp32.
    func compare(_ list: [TrainConfig.Precision]) throws {
        var results: [TrainConfig.Precision: [[String: Any]]] = [:]
        let exe = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        for _ in 0..<repeats {
            for p in list {
                let child = Process()
                child.executableURL = exe
                child.arguments = ["bench", "train", "--config", config.rawValue, "--precision", p.rawValue,
                                   "--threads", String(threads), "--steps", String(steps), "--warmup", String(warmup),
                                   "--peak-gflops", String(peakGflops), "--json"] + tier.arguments
                let pipe = Pipe()
                child.standardOutput = pipe
                try child.run()
                let out = pipe.fileHandleForReading.readDataToEndOfFile()
                child.waitUntilExit()
                guard child.terminationStatus == 0,
                      let object = try JSONSerialization.jsonObject(with: out) as? [String: Any] else {
                    throw ValidationError("bench train --precision \(p.rawValue) failed (exit \(child.terminationStatus))")
                }
                results[p, default: []].append(object)
                print(json ? String(decoding: out, as: UTF8.self).trimmingCharacters(in: .newlines) : Self.line(object))
            }
        }
        func median(_ p: TrainConfig.Precision, _ key: String) -> Double {
            let v = (results[p] ?? []).compactMap { $0[key] as? Double }.sorted()
            return v.isEmpty ? .nan : v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        for p in list {
            let tps = median(p, "tokens_per_s"), act = median(p, "activation_bytes"), rss = median(p, "peak_rss_bytes")
            var summary: [String: Any] = KernelTierSetup.jsonFields
            summary.merge(["system": "ladder", "summary": true, "config": config.rawValue, "precision": p.rawValue,
                                          "runs": results[p]?.count ?? 0, "median_tokens_per_s": (tps * 10).rounded() / 10,
                                          "activation_bytes": act, "median_peak_rss_bytes": rss]) { a, _ in a }
            if list.contains(.fp32) {
                summary["speedup_vs_fp32"] = ((tps / median(.fp32, "tokens_per_s")) * 1000).rounded() / 1000
                summary["activation_ratio_vs_fp32"] = ((act / median(.fp32, "activation_bytes")) * 1000).rounded() / 1000
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%@ %@ median of %d: %.0f tokens/s%@, saved activations %.1f MB%@, peak RSS %.0f MB",
                             config.rawValue, p.rawValue, results[p]?.count ?? 0, tps,
                             (summary["speedup_vs_fp32"] as? Double).map { String(format: " (%.2fx fp32)", $0) } ?? "",
                             act / 1e6,
                             (summary["activation_ratio_vs_fp32"] as? Double).map { String(format: " (%.2fx fp32)", $0) } ?? "",
                             rss / 1e6))
            }
        }
    }

    static func line(_ o: [String: Any]) -> String {
        String(format: "%@ %@ %d threads: %.0f tokens/s, %.1f GFLOP/s, %.0f ms/step, saved activations %.1f MB, peak RSS %.0f MB",
               o["config"] as? String ?? "", o["precision"] as? String ?? "", o["threads"] as? Int ?? 0,
               o["tokens_per_s"] as? Double ?? 0, o["model_gflops"] as? Double ?? 0, o["step_ms"] as? Double ?? 0,
               Double(o["activation_bytes"] as? Int ?? 0) / 1e6, Double(o["peak_rss_bytes"] as? Int ?? 0) / 1e6)
    }

    /// One precision in this process.
    func measure(_ precision: TrainConfig.Precision) throws {
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
        t.precision = KernelTierSetup.arithmetic(for: precision)
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
        var result: [String: Any] = [
            "activation_bytes": trainer.model.savedActivationBytes, "scratch_bytes": trainer.model.scratchBytes,
            "skipped_steps": trainer.lossScaler?.skippedSteps ?? 0,
            "system": "ladder", "config": config.rawValue, "precision": precision.rawValue, "threads": threads,
            "params_total": trainer.model.parameterCount, "params_non_embedding": trainer.model.nonEmbeddingParameterCount,
            "tokens_per_s": (tokensPerSecond * 10).rounded() / 10, "model_gflops": (gflops * 100).rounded() / 100,
            "peak_rss_bytes": rss, "step_ms": (seconds / Double(steps) * 1e4).rounded() / 10,
            "mfu": (PeakFlops.mfu(gflops: gflops, threads: threads, perThread: peakGflops) * 1000).rounded() / 1000,
            "peak_gflops": peakGflops * Double(threads),
        ]
        result.merge(KernelTierSetup.jsonFields) { a, _ in a }
        result["arithmetic"] = t.precision.rawValue
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(KernelTierSetup.header)
            print(String(format: "%@ %@ %d threads: %.0f tokens/s, %.1f GFLOP/s (MFU %.0f%% of a stated %.0f), %.0f ms/step, saved activations %.1f MB, peak RSS %.0f MB",
                         config.rawValue, precision.rawValue, threads, tokensPerSecond, gflops,
                         PeakFlops.mfu(gflops: gflops, threads: threads, perThread: peakGflops) * 100, peakGflops * Double(threads),
                         seconds / Double(steps) * 1000, Double(trainer.model.savedActivationBytes) / 1e6, Double(rss) / 1e6))
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
