import CComputeKernels
import Compute
import Foundation

// Flash attention with bf16 q, k, v on `vdpbf16ps` (FlashAttention-2's mixed precision): the
// tile products (two forward, five backward) read bf16 operands and accumulate in fp32; the
// online softmax, logsumexp, D and dS stay fp32, and P, dS and dO are rounded to bf16 where they
// enter a product (as FA-2 does on GPUs). Every product has the form of `cck_bf16_tile_avx512`:
// A's rows read in place as bf16 pairs along the contraction, B packed as pairs (one UInt32 per
// column and pair).
//
// Forward, per query tile: S^T = K Q^T (K rows in place, Q^T packed per tile), online softmax on
// S^T, then O^T = diag-rescaled O^T + V^T P^T, with V^T prepared once per head (`vt`) and P^T
// packed in pairs of key rows. Backward, per key tile against each query tile: S^T = K Q^T,
// dV += P^T dO, dP^T = V dO^T, dK += dS^T Q, dQ^T += K^T dS^T, with the head's Q^T, dO^T, Q and dO
// packed once per unit and dQ^T summed per unit, then written to dQ transposed. Same work split,
// chunking and summation order as the fp32 path, so results are bit-identical across threads.

/// Which tile kernel the bf16 dot path runs.
enum BF16TileKernel {
    /// `vdpbf16ps` (requires AVX512_BF16).
    case avx512
    /// The portable C twin (any CPU): the reference, and the dot path's logic on CPUs without it.
    case portable

    /// C (+)= alpha · A B over `cols` columns (a multiple of 16), 64 at a time.
    @inline(__always)
    func run(_ a: UnsafePointer<BF16>, lda: Int, _ b: UnsafePointer<UInt32>, ldb: Int,
             _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, kp: Int, cols: Int, alpha: Float,
             laneScale: UnsafePointer<Float>? = nil, accumulate: Bool) {
        let tile = self == .avx512 ? cck_bf16_tile_avx512 : cck_bf16_tile_portable
        let a = UnsafeRawPointer(a).assumingMemoryBound(to: UInt16.self)
        var col = 0
        while col < cols {
            tile(a, lda, b + col, ldb, c + col, ldc, m, kp, min(4, (cols - col) / 16), alpha,
                 laneScale.map { $0 + col }, accumulate ? 1 : 0)
            col += 64
        }
    }
}

extension FlashAttention {
    /// Whether the bf16 overloads run the `vdpbf16ps` tiles: when bf16 GEMMs do
    /// (`GEMM.automaticBF16Kernel`: tier avx512bf16 on a CPU where the dot product beats fp32 FMA)
    /// and d is even (K and V rows are read in place as pairs). Otherwise bf16 is widened to fp32.
    public static func usesBF16DotProduct(d: Int) -> Bool { bf16Tiles(.automatic, d: d) != nil }

    /// The dot path's tiles `kernel` resolves to, or nil for the widening path (always for odd d).
    /// `.dotProduct` falls back to the portable tiles where `vdpbf16ps` may not run (as in GEMM).
    static func bf16Tiles(_ kernel: BF16Kernel, d: Int) -> BF16TileKernel? {
        guard d % 2 == 0 else { return nil }
        switch kernel == .automatic ? GEMM.automaticBF16Kernel : kernel {
        case .automatic, .widening: return nil
        case .dotProduct: return GEMM.hasBF16DotProduct && Kernels.tier >= .avx512bf16 ? .avx512 : .portable
        case .portable: return .portable
        }
    }

    /// Rows of bf16 `src` (stride `ld`) as column pairs: dst[p * ldd + r] = src[r, 2p] | src[r, 2p+1] << 16
    /// for r < rows, p < pairs (`cols` even, pairs past cols / 2 zero); zero for rows <= r < width.
    @inline(__always)
    static func packColumnPairs(_ src: UnsafePointer<BF16>, ld: Int, rows: Int, cols: Int, pairs: Int, width: Int,
                                into dst: UnsafeMutablePointer<UInt32>, ldd: Int) {
        for p in 0..<pairs {
            let o = dst + p * ldd
            if 2 * p < cols {
                for r in 0..<rows {
                    o[r] = UInt32(src[r * ld + 2 * p].bitPattern) | UInt32(src[r * ld + 2 * p + 1].bitPattern) << 16
                }
            } else {
                for r in 0..<rows { o[r] = 0 }
            }
            for r in rows..<width { o[r] = 0 }
        }
    }
}

/// Work split and scratch of the bf16 dot forward: the units of `ForwardPlan`, with per-worker
/// buffers in the dot path's packed forms.
struct DotForwardPlan {
    let base: ForwardPlan
    /// T rounded up to whole tiles.
    let Tp: Int
    /// Per worker (4-byte words): Q^T pairs (dp/2 x 64), O^T (dp x 64), S^T / P^T (64 x 64),
    /// P^T pairs (32 x 64), running max, sum, rescale (64 each).
    let wordsPerWorker: Int
    /// V^T of every head, bf16 (heads x dp x Tp), in 4-byte words.
    let sharedWords: Int

    init(shape: AttentionShape, threads: Int) {
        base = ForwardPlan(shape: shape, threads: threads)
        let ts = Tile.size, dp = shape.dp
        Tp = shape.tiles * ts
        wordsPerWorker = dp / 2 * ts + dp * ts + ts * ts + ts / 2 * ts + 3 * ts
        sharedWords = shape.heads * dp * Tp / 2
    }

    var scratchFloats: Int { ScratchBuffer.rounded(wordsPerWorker) * base.workers + sharedWords }
}

extension FlashAttention {
    static func dotForward(q: UnsafePointer<BF16>, k: UnsafePointer<BF16>, v: UnsafePointer<BF16>,
                           out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                           shape: AttentionShape, causal: Bool, threads: Int, pool: ThreadPool? = nil,
                           kernel: BF16TileKernel) {
        let plan = DotForwardPlan(shape: shape, threads: threads)
        let workers = plan.base.workers
        let scratch = ScratchBuffer(floatsPerWorker: plan.wordsPerWorker, workers: workers)
        let shared = ScratchBuffer(floatsPerWorker: plan.sharedWords, workers: 1)
        defer { scratch.deallocate(); shared.deallocate() }
        let nT = shape.tiles, hs = shape.headStride, T = shape.T, d = shape.d, dp = shape.dp, Tp = plan.Tp
        let vt = UnsafeMutableRawPointer(shared.base).bindMemory(to: BF16.self, capacity: 2 * plan.sharedWords)
        // V^T per head (dp x Tp, zero-padded): the A operand of O^T += V^T P^T.
        parallelFor(shape.heads, threads: workers, pool: pool) { bh, _ in
            let src = v + bh * hs, dst = vt + bh * dp * Tp
            for c in 0..<d {
                for t in 0..<T { dst[c * Tp + t] = src[t * d + c] }
            }
        }
        parallelFor(plan.base.units, threads: workers, pool: pool) { unit, worker in
            let bh = unit / nT
            let qt = nT - 1 - unit % nT
            dotForwardQueryTile(q: q + bh * hs, k: k + bh * hs, vt: vt + bh * dp * Tp, out: out + bh * hs,
                                lse: lse + bh * T, shape: shape, Tp: Tp, qt: qt, causal: causal,
                                scratch: scratch.region(worker), kernel: kernel)
        }
    }

    @inline(__always)
    static func dotForwardQueryTile(q: UnsafePointer<BF16>, k: UnsafePointer<BF16>, vt: UnsafePointer<BF16>,
                                    out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                                    shape: AttentionShape, Tp: Int, qt: Int, causal: Bool,
                                    scratch: UnsafeMutablePointer<Float>, kernel: BF16TileKernel) {
        let ts = Tile.size, T = shape.T, d = shape.d, dp = shape.dp
        let words = UnsafeMutableRawPointer(scratch).assumingMemoryBound(to: UInt32.self)
        let qp = words                              // (dp/2, 64)  Q^T in column pairs
        let ot = scratch + dp / 2 * ts              // (dp, 64)    unnormalized O^T
        let st = ot + dp * ts                       // (64, 64)    S^T, then P^T
        let pp = words + (dp / 2 * ts + dp * ts + ts * ts)  // (32, 64) P^T in key-row pairs
        let m = st + ts * ts + ts / 2 * ts          // (64)        running max (base 2)
        let l = m + ts, alpha = l + ts

        let q0 = qt * ts, rows = min(ts, T - q0)
        packColumnPairs(q + q0 * d, ld: d, rows: rows, cols: d, pairs: d / 2, width: ts, into: qp, ldd: ts)
        for i in 0..<ts { m[i] = -.infinity; l[i] = 0 }
        let scale = log2e / Float(d).squareRoot()

        let kEnd = causal ? qt + 1 : shape.tiles
        for ktile in 0..<kEnd {
            let k0 = ktile * ts, kc = min(ts, T - k0)
            kernel.run(k + k0 * d, lda: d, qp, ldb: ts, st, ldc: ts, m: kc, kp: d / 2, cols: ts,
                       alpha: scale, accumulate: false)
            onlineSoftmaxTile(st, keys: kc, diagonal: causal && ktile == qt, m: m, l: l, alpha: alpha)
            cck_f32_row_pairs(st, ts, kc, ts, pp, ts)
            // O^T = O^T · diag(alpha) + V^T P^T (the first tile overwrites).
            kernel.run(vt + k0, lda: Tp, pp, ldb: ts, ot, ldc: ts, m: d, kp: (kc + 1) / 2, cols: ts,
                       alpha: 1, laneScale: UnsafePointer(alpha), accumulate: ktile > 0)
        }
        for i in 0..<rows {
            let inv = 1 / l[i]
            let dst = out + (q0 + i) * d
            for c in 0..<d { dst[c] = ot[c * ts + i] * inv }
            lse[q0 + i] = (m[i] + log2(l[i])) * ln2
        }
    }
}
