import ArgumentParser
import Compute
import Foundation
import Benchmarks
import Jobs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ladder bench gemm`: median GFLOP/s of `C = op(A) op(B)` on the shapes of
/// shared/bench/gemm_numpy.py, every layout, after warm-up, on uniform(-1, 1) random data.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GEMM throughput (GFLOP/s, median) per shape and layout."
    )

    enum Precision: String, ExpressibleByArgument, CaseIterable { case fp32, bf16 }

    enum Kernel: String, ExpressibleByArgument, CaseIterable {
        case automatic, dot, widening, portable
        var bf16Kernel: BF16Kernel {
            switch self {
            case .automatic: return .automatic
            case .dot: return .dotProduct
            case .widening: return .widening
            case .portable: return .portable
            }
        }
    }

    @Option(help: "Threads in the compute pool.")
    var threads: Int = 1

    @Option(help: "Input precision: fp32, or bf16 (fp32 accumulation and output).")
    var precision: Precision = .fp32

    @Option(name: .customLong("bf16-kernel"),
            help: "bf16 inner kernel: automatic, dot (vdpbf16ps), widening, portable.")
    var bf16Kernel: Kernel = .automatic

    @Option(help: "Time budget per shape and layout, in seconds (at least 5 timed runs).")
    var seconds: Double = 1.0

    @Option(help: "Comma-separated MxNxK shapes (default: the six numpy-baseline shapes).")
    var shapes: String?

    @Option(help: "Comma-separated layouts among NN, NT, TN (default: all).")
    var layouts: String?

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @OptionGroup var tier: KernelTierOptions

    @Flag(help: ArgumentHelp(
        "Time with the calling thread's CPU clock instead of wall time (only with --threads 1).",
        discussion: "A tuning aid on a shared machine: time while descheduled is not counted."))
    var cpuTime = false

    @Flag(help: "Report the fastest run instead of the median (a tuning aid under load).")
    var best = false

    var benchmark: GEMMBenchmark {
        GEMMBenchmark(precision: precision == .fp32 ? .fp32 : .bf16, bf16Kernel: bf16Kernel.bf16Kernel, seconds: seconds,
                      cpuTime: cpuTime, best: best)
    }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if cpuTime && threads != 1 {
            throw ValidationError("--cpu-time measures one thread: use it with --threads 1")
        }
        do {
            _ = try GEMMBenchmark.shapes(shapes)
            _ = try GEMMBenchmark.layouts(layouts)
        } catch let error as BenchmarkInputError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try tier.apply()
        ThreadPool.setDefaultThreadCount(threads)
        let bench = benchmark
        if !json {
            let kernelNote = precision == .bf16 ? " kernel=\(bench.resolvedBF16Kernel)" : ""
            print("precision=\(precision.rawValue) threads=\(threads)\(kernelNote) \(KernelTierSetup.header)"
                + (precision == .bf16 ? " vdpbf16ps/fma flop ratio=\(GEMM.bf16DotSpeedup)" : ""))
            print("     M      N      K  layout   GFLOP/s")
        }
        try bench.measure(shapes: GEMMBenchmark.shapes(shapes), layouts: GEMMBenchmark.layouts(layouts), pool: .default) { row in
            if json {
                print(try jsonLine(row))
            } else {
                print(pad(row["M"]!, 6), pad(row["N"]!, 6), pad(row["K"]!, 6), "    \(row["layout"]!)", pad(row["gflops"]!, 9))
            }
            fflush(nil) // every stream, stdout included (the C global stdout is off limits in Swift 6 mode)
        }
    }

    private func pad(_ v: Any, _ width: Int) -> String {
        let s = "\(v)"
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
