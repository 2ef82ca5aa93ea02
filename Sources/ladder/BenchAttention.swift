import ArgumentParser
import Attention
import Compute
import Dispatch
import Foundation
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

    enum Kernel: String, ExpressibleByArgument, CaseIterable { case flash, naive }
    enum DType: String, ExpressibleByArgument, CaseIterable { case fp32, bf16 }

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

    var lengths: [Int] { seq.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        let parts = seq.split(separator: ",")
        if parts.isEmpty || lengths.count != parts.count || lengths.contains(where: { $0 < 1 }) {
            throw ValidationError("--seq must be a comma-separated list of positive integers, got '\(seq)'")
        }
        if threads < 1 { throw ValidationError("--threads must be >= 1") }
        if reps < 1 { throw ValidationError("--reps must be >= 1") }
        if batch < 1 || heads < 1 { throw ValidationError("--batch and --heads must be >= 1") }
        if headDim < 1 || headDim > 128 { throw ValidationError("--head-dim must be in 1...128") }
    }

    func run() throws {
        try tier.apply()
        if !json {
            print("attention fwd+bwd, causal, B=\(batch) NH=\(heads) d=\(headDim), threads=\(threads), median of \(reps), \(KernelTierSetup.header)")
            print("    T  kernel  dtype   fwd_bwd_ms   GFLOP/s      cpu_ms   extra_bytes")
        }
        for T in lengths {
            let n = batch * heads * T * headDim
            var rng = BenchRandom(seed: UInt64(T))
            let q = rng.floats(n), k = rng.floats(n), v = rng.floats(n), dOut = rng.floats(n)
            for kind in kernel {
                for type in dtype {
                    if kind == .naive && type == .bf16 { continue }
                    let ms = try time(kind, type, T: T, q: q, k: k, v: v, dOut: dOut)
                    try report(T: T, kind: kind, type: type, ms: ms.wall, cpuMs: ms.cpu,
                               bytes: extraBytes(kind, type, T: T))
                }
            }
        }
    }

    /// Peak bytes beyond caller tensors: saved lse + the larger of forward and backward scratch.
    func extraBytes(_ kind: Kernel, _ type: DType, T: Int) -> Int {
        let lse = batch * heads * T * 4
        let scratch = kind == .flash
            ? FlashAttention.scratchBytes(B: batch, NH: heads, T: T, d: headDim, threads: threads,
                                        bf16Inputs: type == .bf16)
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
        let (B, NH, d) = (batch, heads, headDim)
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

    func report(T: Int, kind: Kernel, type: DType, ms: Double, cpuMs: Double, bytes: Int) throws {
        // Same FLOP convention as attention_torch.py: 7 matmuls of B NH T^2 d MACs (causal not halved).
        let gflops = Double(batch * heads * T * T * headDim) * 2 * 3.5 / (ms / 1e3) / 1e9
        if json {
            var row: [String: Any] = [
                "T": T, "kernel": kind.rawValue, "dtype": type.rawValue,
                "fwd_bwd_ms": (ms * 100).rounded() / 100, "extra_bytes": bytes,
                "cpu_ms": (cpuMs * 100).rounded() / 100,
                "batch": batch, "heads": heads, "head_dim": headDim, "threads": threads,
                "gflops": (gflops * 10).rounded() / 10,
            ]
            row.merge(KernelTierSetup.jsonFields) { a, _ in a }
            let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let name = kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            let dt = type.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            print(String(format: "%5d  ", T) + name + "  " + dt
                  + String(format: "  %11.2f  %8.1f  %10.2f   ", ms, gflops, cpuMs) + "\(bytes)")
        }
    }
}
