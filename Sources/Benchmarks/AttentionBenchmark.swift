import Attention
import Compute
import Dispatch
import Foundation
import Jobs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Causal attention forward + backward in layout (B, NH, T, d): per case the median wall time over
/// `reps` runs after one warm-up, the median process CPU time over all threads, and the peak
/// extra bytes (memory the kernel allocates beyond inputs, outputs and gradients, plus the saved
/// logsumexp; for naive this includes its T x T buffers). GFLOP/s as `attention_torch.py` counts:
/// 7 matmuls of B NH T² d multiply-adds (the causal half not taken off).
public struct AttentionBenchmark {
    public enum Kernel: String, CaseIterable, Sendable { case flash, naive }
    public enum DType: String, CaseIterable, Sendable { case fp32, bf16 }

    public var batch: Int, heads: Int, headDim: Int, threads: Int, reps: Int

    public init(batch: Int = 4, heads: Int = 8, headDim: Int = 64, threads: Int, reps: Int = 5) throws {
        guard threads >= 1 else { throw BenchmarkInputError("--threads must be >= 1") }
        guard reps >= 1 else { throw BenchmarkInputError("--reps must be >= 1") }
        guard batch >= 1 && heads >= 1 else { throw BenchmarkInputError("--batch and --heads must be >= 1") }
        guard (1...128).contains(headDim) else { throw BenchmarkInputError("--head-dim must be in 1...128") }
        self.batch = batch; self.heads = heads; self.headDim = headDim; self.threads = threads; self.reps = reps
    }

    /// "256,1024,..." as positive sequence lengths.
    public static func lengths(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",")
        let lengths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, lengths.count == parts.count, lengths.allSatisfy({ $0 >= 1 }) else {
            throw BenchmarkInputError("--seq must be a comma-separated list of positive integers, got '\(text)'")
        }
        return lengths
    }

    /// Measures every length with every kernel and input type (naive is fp32 only), handing each
    /// record (keys T, kernel, dtype, fwd_bwd_ms, cpu_ms, gflops, extra_bytes, the shape, threads and
    /// the tier's fields) to `each` as soon as it is measured.
    public func measure(lengths: [Int], kernels: [Kernel], dtypes: [DType], each: ([String: Any]) throws -> Void) throws {
        for T in lengths {
            let n = batch * heads * T * headDim
            var rng = BenchRandom(seed: UInt64(T))
            let q = rng.floats(n), k = rng.floats(n), v = rng.floats(n), dOut = rng.floats(n)
            for kind in kernels {
                for type in dtypes where !(kind == .naive && type == .bf16) {
                    let ms = try time(kind, type, T: T, q: q, k: k, v: v, dOut: dOut)
                    let gflops = Double(batch * heads * T * T * headDim) * 2 * 3.5 / (ms.wall / 1e3) / 1e9
                    var row: [String: Any] = [
                        "T": T, "kernel": kind.rawValue, "dtype": type.rawValue,
                        "fwd_bwd_ms": rounded(ms.wall, 2), "extra_bytes": extraBytes(kind, type, T: T),
                        "cpu_ms": rounded(ms.cpu, 2), "batch": batch, "heads": heads, "head_dim": headDim,
                        "threads": threads, "gflops": rounded(gflops, 1),
                    ]
                    if kind == .flash && type == .bf16 {
                        // bf16 products on `vdpbf16ps`, or bf16 widened to the fp32 tiles.
                        row["arithmetic"] = FlashAttention.usesBF16DotProduct(d: headDim) ? "bf16" : "fp32"
                    }
                    row.merge(KernelTierSetup.jsonFields) { a, _ in a }
                    try each(row)
                }
            }
        }
    }

    /// Peak bytes beyond caller tensors: saved lse + the larger of forward and backward scratch.
    public func extraBytes(_ kind: Kernel, _ type: DType, T: Int) -> Int {
        let lse = batch * heads * T * 4
        let scratch = kind == .flash
            ? FlashAttention.scratchBytes(B: batch, NH: heads, T: T, d: headDim, threads: threads, bf16Inputs: type == .bf16)
            : NaiveAttention.scratchBytes(B: batch, NH: heads, T: T, d: headDim, threads: threads)
        return lse + max(scratch.forward, scratch.backward)
    }

    /// Median wall and process-CPU milliseconds of one forward + backward.
    func time(_ kind: Kernel, _ type: DType, T: Int, q: [Float], k: [Float], v: [Float], dOut: [Float]) throws
        -> (wall: Double, cpu: Double) {
        let n = q.count
        var out = [Float](repeating: 0, count: n), lse = [Float](repeating: 0, count: batch * heads * T)
        var dq = out, dk = out, dv = out
        let qb = type == .bf16 ? q.map { BF16($0) } : [], kb = type == .bf16 ? k.map { BF16($0) } : []
        let vb = type == .bf16 ? v.map { BF16($0) } : []
        let (B, NH, d, threads) = (batch, heads, headDim, threads)
        func once() throws {
            switch (kind, type) {
            case (.flash, .fp32):
                try FlashAttention.forward(q: q, k: k, v: v, out: &out, lse: &lse, B: B, NH: NH, T: T, d: d,
                                           causal: true, threads: threads)
                try FlashAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk,
                                            dv: &dv, B: B, NH: NH, T: T, d: d, causal: true, threads: threads)
            case (.flash, .bf16):
                try FlashAttention.forward(q: qb, k: kb, v: vb, out: &out, lse: &lse, B: B, NH: NH, T: T, d: d,
                                           causal: true, threads: threads)
                try FlashAttention.backward(q: qb, k: kb, v: vb, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk,
                                            dv: &dv, B: B, NH: NH, T: T, d: d, causal: true, threads: threads)
            case (.naive, _):
                try NaiveAttention.forward(q: q, k: k, v: v, out: &out, lse: &lse, B: B, NH: NH, T: T, d: d,
                                           causal: true, threads: threads)
                try NaiveAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk,
                                            dv: &dv, B: B, NH: NH, T: T, d: d, causal: true, threads: threads)
            }
        }
        try once()
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = processCPUSeconds()
            try once()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            cpu.append((processCPUSeconds() - c0) * 1e3)
        }
        wall.sort(); cpu.sort()
        return (wall[wall.count / 2], cpu[cpu.count / 2])
    }

    /// CPU seconds used by this process (all threads): under load, wall time includes waiting for a core.
    func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
