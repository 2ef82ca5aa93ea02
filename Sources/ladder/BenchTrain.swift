import Jobs
import ScalingLaws
import ArgumentParser
import Compute
import Foundation
import Training
import Benchmarks

/// `ladder bench train`: training throughput of the built-in trainer on the model shapes of
/// shared/bench/gpt_torch.py, random tokens, after warm-up steps.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trainer throughput (tokens/s, model GFLOP/s, peak memory) on standard model shapes.")

    @Option(help: "Model shape: tiny, small or medium.")
    var config: BenchShape = .small

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

    func validate() throws {
        do { try benchmark.validate() } catch { throw ValidationError("--\(error)") }
    }

    func run() throws {
        try tier.apply()
        let list = try precision.split(separator: ",").map { name -> TrainConfig.Precision in
            guard let p = TrainConfig.Precision(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown precision '\(name)': use fp32, bf16, fp16 or fp8")
            }
            return p
        }
        guard !list.isEmpty else { throw ValidationError("--precision needs at least one of fp32, bf16, fp16, fp8") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let layout = parallelOptions.parallel {
            guard list.count == 1 else { throw ValidationError("--parallel measures one precision at a time") }
            return try BenchTrainParallel.run(benchmark, layout: layout, options: parallelOptions, precision: list[0], json: json)
        }
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
        for summary in TrainBenchmark.summaries(results, list: list, shape: config) {
            if json {
                print(try jsonLine(summary))
            } else {
                print(String(format: "%@ %@ median of %d: %.0f tokens/s%@, saved activations %.1f MB%@, peak RSS %.0f MB",
                             config.rawValue, summary["precision"] as? String ?? "", summary["runs"] as? Int ?? 0,
                             summary["median_tokens_per_s"] as? Double ?? 0,
                             (summary["speedup_vs_fp32"] as? Double).map { String(format: " (%.2fx fp32)", $0) } ?? "",
                             (summary["activation_bytes"] as? Double ?? 0) / 1e6,
                             (summary["activation_ratio_vs_fp32"] as? Double).map { String(format: " (%.2fx fp32)", $0) } ?? "",
                             (summary["median_peak_rss_bytes"] as? Double ?? 0) / 1e6))
            }
        }
    }

    static func line(_ o: [String: Any]) -> String {
        String(format: "%@ %@ %d threads: %.0f tokens/s, %.1f GFLOP/s, %.0f ms/step, saved activations %.1f MB, peak RSS %.0f MB",
               o["config"] as? String ?? "", o["precision"] as? String ?? "", o["threads"] as? Int ?? 0,
               o["tokens_per_s"] as? Double ?? 0, o["model_gflops"] as? Double ?? 0, o["step_ms"] as? Double ?? 0,
               Double(o["activation_bytes"] as? Int ?? 0) / 1e6, Double(o["peak_rss_bytes"] as? Int ?? 0) / 1e6)
    }

    var benchmark: TrainBenchmark { TrainBenchmark(shape: config, steps: steps, warmup: warmup, peakGflopsPerThread: peakGflops) }

    /// One precision in this process.
    func measure(_ precision: TrainConfig.Precision) throws {
        let result = try benchmark.measure(precision: precision, threads: threads)
        if json {
            print(try jsonLine(result))
        } else {
            print(KernelTierSetup.header)
            let tps = result["tokens_per_s"] as? Double ?? 0, gflops = result["model_gflops"] as? Double ?? 0
            print(String(format: "%@ %@ %d threads: %.0f tokens/s, %.1f GFLOP/s (MFU %.0f%% of a stated %.0f), %.0f ms/step, saved activations %.1f MB, peak RSS %.0f MB",
                         config.rawValue, precision.rawValue, threads, tps, gflops, (result["mfu"] as? Double ?? 0) * 100,
                         peakGflops * Double(threads), result["step_ms"] as? Double ?? 0,
                         Double(result["activation_bytes"] as? Int ?? 0) / 1e6, Double(result["peak_rss_bytes"] as? Int ?? 0) / 1e6))
        }
    }
}

extension BenchShape: ExpressibleByArgument {}

extension TrainConfig.Precision: ExpressibleByArgument {}
