import Compute
import Foundation
import Jobs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bad benchmark argument, with a message naming it.
public struct BenchmarkInputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// GEMM throughput: the median (or fastest) time of `C = op(A) op(B)` per shape and layout after
/// warm-up, on uniform(-1, 1) random data, as GFLOP/s (2 M N K flops per call). The default shapes
/// are those of `shared/bench/gemm_numpy.py`.
public struct GEMMBenchmark {
    public enum Precision: String, CaseIterable, Sendable { case fp32, bf16 }

    public static let defaultShapes = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
                                       (4096, 768, 256), (4096, 256, 256), (4096, 256, 1024)]

    public var precision: Precision
    /// The bf16 inner kernel (bf16 only).
    public var bf16Kernel: BF16Kernel
    /// Time budget per shape and layout, in seconds (at least 5 timed calls).
    public var seconds: Double
    /// Time with the calling thread's CPU clock (one thread only).
    public var cpuTime: Bool
    /// Report the fastest call instead of the median.
    public var best: Bool

    public init(precision: Precision = .fp32, bf16Kernel: BF16Kernel = .automatic, seconds: Double = 1,
                cpuTime: Bool = false, best: Bool = false) {
        self.precision = precision; self.bf16Kernel = bf16Kernel; self.seconds = seconds
        self.cpuTime = cpuTime; self.best = best
    }

    /// "MxNxK,..." (nil: the default shapes).
    public static func shapes(_ text: String?) throws -> [(Int, Int, Int)] {
        guard let text else { return defaultShapes }
        return try text.split(separator: ",").map { item in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
                throw BenchmarkInputError("bad shape '\(item)': expected MxNxK with positive integers")
            }
            return (parts[0], parts[1], parts[2])
        }
    }

    /// "NN,NT,TN" (nil: all three).
    public static func layouts(_ text: String?) throws -> [GEMMLayout] {
        guard let text else { return GEMMLayout.allCases }
        return try text.split(separator: ",").map { item in
            guard let l = GEMMLayout(rawValue: item.uppercased()) else {
                throw BenchmarkInputError("bad layout '\(item)': expected NN, NT or TN")
            }
            return l
        }
    }

    /// The bf16 kernel the GEMM runs (the automatic choice resolved).
    public var resolvedBF16Kernel: BF16Kernel { bf16Kernel == .automatic ? GEMM.automaticBF16Kernel : bf16Kernel }

    /// Measures every shape in every layout on `pool`, handing each record (keys M, N, K, layout,
    /// precision, threads, gflops, the tier's fields, and bf16_kernel for bf16) to `each` as soon
    /// as it is measured.
    public func measure(shapes: [(Int, Int, Int)], layouts: [GEMMLayout], pool: ThreadPool,
                        each: ([String: Any]) throws -> Void) throws {
        var rng = BenchRandom(seed: 0x5EED)
        for (m, n, k) in shapes {
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
            for layout in layouts {
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
                                      ldb: ldb, c: c.pointer, ldc: n, kernel: bf16Kernel, pool: pool)
                    }
                }
                let time = Self.timeSeconds(budget: seconds, cpuClock: cpuTime, fastest: best, call)
                let gflops = 2.0 * Double(m) * Double(n) * Double(k) / time / 1e9
                var row: [String: Any] = ["M": m, "N": n, "K": k, "layout": layout.rawValue,
                                          "precision": precision.rawValue, "threads": pool.threadCount,
                                          "gflops": rounded(gflops, 1)]
                row.merge(KernelTierSetup.jsonFields) { a, _ in a }
                if precision == .bf16 { row["bf16_kernel"] = "\(resolvedBF16Kernel)" }
                try each(row)
            }
        }
    }

    /// Two warm-up calls, then timed calls until `budget` seconds have passed (at least 5);
    /// returns the median (or fastest) time of one call.
    public static func timeSeconds(budget: Double, cpuClock: Bool, fastest: Bool, _ call: () -> Void) -> Double {
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
}
