import Attention
import Compute
import Foundation
import Randomness

/// Random attention inputs from the seeded generator, so every failure reproduces from the printed seed.
extension SplitMix64 {
    /// Uniform in [-scale, scale), never exactly zero.
    mutating func uniform(_ scale: Float) -> Float {
        let u = Float(next() >> 40) / Float(1 << 24)  // [0, 1)
        let x = (2 * u - 1) * scale
        return x == 0 ? scale / 7 : x
    }
    mutating func array(_ n: Int, scale: Float) -> [Float] { (0..<n).map { _ in uniform(scale) } }
}

/// A fresh seed per run (printed by the caller).
func freshSeed() -> UInt64 { UInt64.random(in: 1...UInt64.max) }

enum InputType: String { case fp32, bf16 }

struct AttentionCase: CustomStringConvertible {
    var B: Int, NH: Int, T: Int, d: Int, causal: Bool
    var count: Int { B * NH * T * d }
    var description: String { "B=\(B) NH=\(NH) T=\(T) d=\(d) causal=\(causal)" }
}

struct AttentionResult: Equatable {
    var out: [Float], lse: [Float], dq: [Float], dk: [Float], dv: [Float]
}

func roundedToBF16(_ x: [Float]) -> [Float] { x.map { BF16($0).float } }

/// Runs the flash kernels forward then backward with upstream gradient `dOut`.
func runFlash(_ c: AttentionCase, q: [Float], k: [Float], v: [Float], dOut: [Float],
              type: InputType, threads: Int) throws -> AttentionResult {
    var out = [Float](repeating: .nan, count: c.count), lse = [Float](repeating: .nan, count: c.B * c.NH * c.T)
    var dq = out, dk = out, dv = out
    switch type {
    case .fp32:
        try FlashAttention.forward(q: q, k: k, v: v, out: &out, lse: &lse, B: c.B, NH: c.NH, T: c.T, d: c.d,
                                   causal: c.causal, threads: threads)
        try FlashAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk, dv: &dv,
                                    B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal, threads: threads)
    case .bf16:
        let qb = q.map { BF16($0) }, kb = k.map { BF16($0) }, vb = v.map { BF16($0) }
        try FlashAttention.forward(q: qb, k: kb, v: vb, out: &out, lse: &lse, B: c.B, NH: c.NH, T: c.T, d: c.d,
                                   causal: c.causal, threads: threads)
        try FlashAttention.backward(q: qb, k: kb, v: vb, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk, dv: &dv,
                                    B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal, threads: threads)
    }
    return AttentionResult(out: out, lse: lse, dq: dq, dk: dk, dv: dv)
}

/// The bf16 flash kernels with a given bf16 kernel choice (see `FlashAttention.forward`).
func runFlashBF16(_ c: AttentionCase, q: [Float], k: [Float], v: [Float], dOut: [Float], threads: Int,
                  kernel: BF16Kernel) throws -> AttentionResult {
    var out = [Float](repeating: .nan, count: c.count), lse = [Float](repeating: .nan, count: c.B * c.NH * c.T)
    var dq = out, dk = out, dv = out
    let qb = q.map { BF16($0) }, kb = k.map { BF16($0) }, vb = v.map { BF16($0) }
    try FlashAttention.forward(q: qb, k: kb, v: vb, out: &out, lse: &lse, B: c.B, NH: c.NH, T: c.T, d: c.d,
                               causal: c.causal, threads: threads, kernel: kernel)
    try FlashAttention.backward(q: qb, k: kb, v: vb, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk, dv: &dv,
                                B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal, threads: threads, kernel: kernel)
    return AttentionResult(out: out, lse: lse, dq: dq, dk: dk, dv: dv)
}

func runNaive(_ c: AttentionCase, q: [Float], k: [Float], v: [Float], dOut: [Float], threads: Int) throws
    -> AttentionResult {
    var out = [Float](repeating: .nan, count: c.count), lse = [Float](repeating: .nan, count: c.B * c.NH * c.T)
    var dq = out, dk = out, dv = out
    try NaiveAttention.forward(q: q, k: k, v: v, out: &out, lse: &lse, B: c.B, NH: c.NH, T: c.T, d: c.d,
                               causal: c.causal, threads: threads)
    try NaiveAttention.backward(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: &dq, dk: &dk, dv: &dv,
                                B: c.B, NH: c.NH, T: c.T, d: c.d, causal: c.causal, threads: threads)
    return AttentionResult(out: out, lse: lse, dq: dq, dk: dk, dv: dv)
}

/// max |a - b| / max(max |b|, 0.1): error relative to the reference's scale, floored at 0.1 (the
/// order of the data: inputs in [-2, 2]) so all-but-zero references (dQ, dK at T = 1 are exactly 0)
/// do not turn float rounding into a huge ratio. NaN-safe: a NaN gives infinity.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var maxDiff = 0.0, maxRef = 0.1
    for i in 0..<a.count {
        let diff = abs(Double(a[i]) - b[i])
        if !(diff <= maxDiff) { maxDiff = diff.isNaN ? .infinity : diff }
        maxRef = max(maxRef, abs(b[i]))
    }
    return maxDiff / maxRef
}
