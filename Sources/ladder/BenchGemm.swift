import ArgumentParser
import Compute
import Foundation
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

    static let defaultShapes = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
                                (4096, 768, 256), (4096, 256, 256), (4096, 256, 1024)]

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if cpuTime && threads != 1 {
            throw ValidationError("--cpu-time measures one thread: use it with --threads 1")
        }
        _ = try parsedShapes()
        _ = try parsedLayouts()
    }

    func parsedShapes() throws -> [(Int, Int, Int)] {
        guard let shapes else { return Self.defaultShapes }
        return try shapes.split(separator: ",").map { item in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("bad shape '\(item)': expected MxNxK with positive integers")
            }
            return (parts[0], parts[1], parts[2])
        }
    }

    func parsedLayouts() throws -> [GEMMLayout] {
        guard let layouts else { return GEMMLayout.allCases }
        return try layouts.split(separator: ",").map { item in
            guard let l = GEMMLayout(rawValue: item.uppercased()) else {
                throw ValidationError("bad layout '\(item)': expected NN, NT or TN")
            }
            return l
        }
    }

    func run() throws {
        try tier.apply()
        ThreadPool.setDefaultThreadCount(threads)
        let pool = ThreadPool.default
        var rng = BenchRandom(seed: 0x5EED)
        if !json {
            let kernelNote = precision == .bf16
                ? " kernel=\(bf16Kernel == .automatic ? "\(GEMM.automaticBF16Kernel)" : bf16Kernel.rawValue)"
                : ""
            print("precision=\(precision.rawValue) threads=\(threads)\(kernelNote) \(KernelTierSetup.header)"
                + (precision == .bf16 ? " vdpbf16ps/fma flop ratio=\(GEMM.bf16DotSpeedup)" : ""))
            print("     M      N      K  layout   GFLOP/s")
        }
        for (m, n, k) in try parsedShapes() {
            let a = AlignedBuffer<Float>(count: m * k), b = AlignedBuffer<Float>(count: k * n)
            let c = AlignedBuffer<Float>(count: m * n)
            for i in 0..<a.count { a[i] = rng.uniform() }
            for i in 0..<b.count { b[i] = rng.uniform() }
            let a16 = AlignedBuffer<BFloat16>(count: precision == .bf16 ? m * k : 0)
            let b16 = AlignedBuffer<BFloat16>(count: precision == .bf16 ? k * n : 0)
            if precision == .bf16 {
                Convert.floatToBFloat16(a.pointer, a16.pointer, count: a.count)
                Convert.floatToBFloat16(b.pointer, b16.pointer, count: b.count)
            }
            for layout in try parsedLayouts() {
                // Same buffers for every layout: A is read as m×k or k×m, B as k×n or n×k.
                let lda = layout.transposeA == .none ? k : m
                let ldb = layout.transposeB == .none ? n : k
                let call = {
                    switch precision {
                    case .fp32:
                        GEMM.multiply(transposeA: layout.transposeA, transposeB: layout.transposeB,
                                      m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                                      c: c.pointer, ldc: n, pool: pool)
                    case .bf16:
                        GEMM.multiply(transposeA: layout.transposeA, transposeB: layout.transposeB,
                                      m: m, n: n, k: k, a: a16.pointer, lda: lda, b: b16.pointer,
                                      ldb: ldb, c: c.pointer, ldc: n, kernel: bf16Kernel.bf16Kernel,
                                      pool: pool)
                    }
                }
                let median = Self.timeSeconds(budget: seconds, cpuClock: cpuTime, fastest: best, call)
                let gflops = 2.0 * Double(m) * Double(n) * Double(k) / median / 1e9
                let rounded = (gflops * 10).rounded() / 10
                if json {
                    var row: [String: Any] = ["M": m, "N": n, "K": k, "layout": layout.rawValue,
                                              "precision": precision.rawValue, "threads": threads, "gflops": rounded]
                    row.merge(KernelTierSetup.jsonFields) { a, _ in a }
                    if precision == .bf16 {
                        row["bf16_kernel"] = "\(bf16Kernel == .automatic ? GEMM.automaticBF16Kernel : bf16Kernel.bf16Kernel)"
                    }
                    let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(pad(m, 6), pad(n, 6), pad(k, 6), "    \(layout.rawValue)", pad(rounded, 9))
                }
                fflush(nil) // every stream, stdout included (the C global stdout is off limits in Swift 6 mode)
            }
        }
    }

    /// Two warm-up calls, then timed calls until `budget` seconds have passed (at least 5);
    /// returns the median (or fastest) time of one call.
    static func timeSeconds(budget: Double, cpuClock: Bool, fastest: Bool,
                            _ call: () -> Void) -> Double {
        call(); call()
        var times: [Double] = []
        let end = now() + budget
        let clock = cpuClock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC
        while now() < end || times.count < 5 {
            let t0 = now(clock); call(); times.append(now(clock) - t0)
        }
        times.sort()
        return fastest ? times[0] : times[times.count / 2]
    }

    static func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private func pad<T>(_ v: T, _ width: Int) -> String {
        let s = "\(v)"
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
