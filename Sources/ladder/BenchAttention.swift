import ArgumentParser
import Compute
import Foundation
import Benchmarks
import Jobs

/// `ladder bench attention`: causal attention forward + backward, flash vs naive materialized.
struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Causal attention forward+backward: flash (tiled, O(T) memory) vs naive (T x T scores).",
        discussion: """
        Layout (B, NH, T, d). Per case: median wall time of forward + backward over --reps runs after \
        one warm-up (fwd_bwd_ms), median process CPU time over all threads (cpu_ms; on a loaded \
        machine wall time includes waiting for a core), and peak extra bytes (memory the kernel \
        allocates beyond inputs, outputs and gradients, plus the saved logsumexp; for naive this \
        includes its T x T buffers). Baseline: python3 shared/bench/attention_torch.py --threads N
        """
    )

    typealias Kernel = AttentionBenchmark.Kernel
    typealias DType = AttentionBenchmark.DType

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "One JSON object per line (keys T, kernel, dtype, fwd_bwd_ms, extra_bytes, ...).")
    var json = false

    @Option(help: "Comma-separated sequence lengths.")
    var seq: String = "256,1024,4096"

    @Option(help: "Timed repetitions per case (median reported).")
    var reps: Int = 5

    @Option(help: "Batch size B.")
    var batch: Int = 4

    @Option(help: "Heads NH.")
    var heads: Int = 8

    @Option(help: "Head dim d.")
    var headDim: Int = 64

    @OptionGroup var tier: KernelTierOptions

    @Option(parsing: .upToNextOption, help: "Kernels to run (flash, naive).")
    var kernel: [Kernel] = [.flash, .naive]

    @Option(parsing: .upToNextOption, help: "Input types for q, k, v (fp32, bf16; naive is fp32 only).")
    var dtype: [DType] = [.fp32]

    var benchmark: AttentionBenchmark {
        get throws { try AttentionBenchmark(batch: batch, heads: heads, headDim: headDim, threads: threads, reps: reps) }
    }

    func validate() throws {
        do {
            _ = try AttentionBenchmark.lengths(seq)
            _ = try benchmark
        } catch let error as BenchmarkInputError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try tier.apply()
        if !json {
            print("attention fwd+bwd, causal, B=\(batch) NH=\(heads) d=\(headDim), threads=\(threads), median of \(reps), \(KernelTierSetup.header)")
            print("    T  kernel  dtype   fwd_bwd_ms   GFLOP/s      cpu_ms   extra_bytes")
        }
        try benchmark.measure(lengths: AttentionBenchmark.lengths(seq), kernels: kernel, dtypes: dtype) { row in
            if json {
                print(try jsonLine(row))
            } else {
                let name = (row["kernel"] as! String).padding(toLength: 6, withPad: " ", startingAt: 0)
                let dt = (row["dtype"] as! String).padding(toLength: 5, withPad: " ", startingAt: 0)
                print(String(format: "%5d  ", row["T"] as! Int) + name + "  " + dt
                      + String(format: "  %11.2f  %8.1f  %10.2f   ", row["fwd_bwd_ms"] as! Double, row["gflops"] as! Double,
                               row["cpu_ms"] as! Double) + "\(row["extra_bytes"]!)")
            }
        }
    }
}

extension AttentionBenchmark.Kernel: ExpressibleByArgument {}
extension AttentionBenchmark.DType: ExpressibleByArgument {}
