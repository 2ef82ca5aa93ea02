import CComputeKernels
import Compute

/// Work split and scratch of the bf16 dot backward: the units, chunks and dQ partials of
/// `BackwardPlan`, with per-worker buffers in the dot path's packed forms.
struct DotBackwardPlan {
    let base: BackwardPlan
    /// Per worker (4-byte words): head buffers Q^T and dO^T in column pairs (dp/2 x Tp each), Q and
    /// dO in row pairs (Tp/2 x dp each), dQ^T (dp x Tp), base-2 logsumexp and D (Tp each); tiles
    /// K^T bf16 (dp x 64), dK, dV (64 x dp each), P^T, dS^T (64 x 64 each), a bf16 copy of one of
    /// them (64 x 64) and dS^T in row pairs (32 x 64).
    let wordsPerWorker: Int

    init(shape: AttentionShape, threads: Int) {
        base = BackwardPlan(shape: shape, threads: threads, copiesRows: false)
        let dp = shape.dp, Tp = base.Tp, ts = Tile.size
        wordsPerWorker = 2 * (dp / 2 * Tp) + 2 * (Tp / 2 * dp) + dp * Tp + 2 * Tp
            + dp * ts / 2 + 2 * ts * dp + 2 * ts * ts + ts * ts / 2 + ts / 2 * ts
    }

    var scratchFloats: Int { ScratchBuffer.rounded(wordsPerWorker) * base.workers + base.sharedFloats }
}

/// Per-worker buffers of the dot backward (see `DotBackwardPlan.wordsPerWorker`).
struct DotBackwardScratch {
    let qTp: UnsafeMutablePointer<UInt32>    // (dp/2, Tp)  Q^T column pairs, zero-padded
    let gTp: UnsafeMutablePointer<UInt32>    // (dp/2, Tp)  dO^T column pairs (dO rounded to bf16)
    let qp: UnsafeMutablePointer<UInt32>     // (Tp/2, dp)  Q row pairs
    let gp: UnsafeMutablePointer<UInt32>     // (Tp/2, dp)  dO row pairs
    let dqT: UnsafeMutablePointer<Float>     // (dp, Tp)    dQ^T accumulator
    let lse2: UnsafeMutablePointer<Float>    // (Tp)        base-2 logsumexp (+inf padding)
    let rowD: UnsafeMutablePointer<Float>    // (Tp)        D = rowsum(dO * O) (0 padding)
    let kt: UnsafeMutablePointer<BF16>       // (dp, 64)    K^T of the key tile, zero-padded
    let dks: UnsafeMutablePointer<Float>     // (64, dp)    dK accumulator
    let dvs: UnsafeMutablePointer<Float>     // (64, dp)    dV accumulator
    let pt: UnsafeMutablePointer<Float>      // (64, 64)    P^T
    let dst: UnsafeMutablePointer<Float>     // (64, 64)    dP^T, then dS^T / sqrt(d)
    let rounded: UnsafeMutablePointer<BF16>  // (64, 64)    P^T or dS^T in bf16
    let dsp: UnsafeMutablePointer<UInt32>    // (32, 64)    dS^T row pairs

    init(_ base: UnsafeMutablePointer<Float>, plan: DotBackwardPlan) {
        let shape = plan.base.shape, dp = shape.dp, Tp = plan.base.Tp, ts = Tile.size
        let words = UnsafeMutableRawPointer(base).assumingMemoryBound(to: UInt32.self)
        qTp = words; gTp = qTp + dp / 2 * Tp; qp = gTp + dp / 2 * Tp; gp = qp + Tp / 2 * dp
        dqT = base + (2 * (dp / 2 * Tp) + 2 * (Tp / 2 * dp))
        lse2 = dqT + dp * Tp; rowD = lse2 + Tp
        kt = UnsafeMutableRawPointer(rowD + Tp).assumingMemoryBound(to: BF16.self)
        dks = rowD + Tp + dp * ts / 2; dvs = dks + ts * dp
        pt = dvs + ts * dp; dst = pt + ts * ts
        rounded = UnsafeMutableRawPointer(dst + ts * ts).assumingMemoryBound(to: BF16.self)
        dsp = UnsafeMutableRawPointer(dst + ts * ts + ts * ts / 2).assumingMemoryBound(to: UInt32.self)
    }
}

extension FlashAttention {
    static func dotBackward(q: UnsafePointer<BF16>, k: UnsafePointer<BF16>, v: UnsafePointer<BF16>,
                            out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                            dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                            dv: UnsafeMutablePointer<Float>, shape: AttentionShape, causal: Bool,
                            threads: Int, pool: ThreadPool? = nil, kernel: BF16TileKernel) {
        let plan = DotBackwardPlan(shape: shape, threads: threads)
        let T = shape.T, d = shape.d, dp = shape.dp, hs = shape.headStride, heads = shape.heads
        let chunks = plan.base.chunks, Tp = plan.base.Tp
        let scratch = ScratchBuffer(floatsPerWorker: plan.wordsPerWorker, workers: plan.base.workers)
        let shared = ScratchBuffer(floatsPerWorker: plan.base.sharedFloats, workers: 1)
        defer { scratch.deallocate(); shared.deallocate() }
        let partials = shared.base

        parallelFor(plan.base.units, threads: plan.base.workers, pool: pool) { unit, worker in
            let bh = unit / chunks, chunk = unit % chunks
            let s = DotBackwardScratch(scratch.region(worker), plan: plan)
            let qh = q + bh * hs, gh = dOut + bh * hs, oh = out + bh * hs
            // Head preparation: the packed forms of Q and dO, D, the base-2 logsumexp.
            packColumnPairs(qh, ld: d, rows: T, cols: d, pairs: dp / 2, width: Tp, into: s.qTp, ldd: Tp)
            for p in 0..<dp / 2 {
                let o = s.gTp + p * Tp
                if 2 * p < d {
                    for t in 0..<T {
                        o[t] = UInt32(BF16(gh[t * d + 2 * p]).bitPattern)
                            | UInt32(BF16(gh[t * d + 2 * p + 1]).bitPattern) << 16
                    }
                    for t in T..<Tp { o[t] = 0 }
                } else {
                    for t in 0..<Tp { o[t] = 0 }
                }
            }
            s.qp.update(repeating: 0, count: Tp / 2 * dp)
            s.gp.update(repeating: 0, count: Tp / 2 * dp)
            for t2 in 0..<(T + 1) / 2 {
                let lo = qh + 2 * t2 * d, hasHi = 2 * t2 + 1 < T
                for c in 0..<d {
                    s.qp[t2 * dp + c] = UInt32(lo[c].bitPattern) | (hasHi ? UInt32(lo[d + c].bitPattern) << 16 : 0)
                }
            }
            cck_f32_row_pairs(gh, d, T, d, s.gp, dp)
            s.dqT.update(repeating: 0, count: dp * Tp)
            for t in 0..<Tp {
                if t < T {
                    var acc: Float = 0
                    // dO as rounded for dP^T = V dO^T, so that D_i = sum_j P_ij dP_ij holds as it
                    // does in exact arithmetic (at T = 1, dS is 0 to rounding, not to bf16's step).
                    for c in 0..<d { acc += oh[t * d + c] * BF16(gh[t * d + c]).float }
                    s.rowD[t] = acc
                    s.lse2[t] = lse[bh * T + t] * log2e
                } else {
                    s.rowD[t] = 0
                    s.lse2[t] = .infinity
                }
            }
            var ktile = chunk
            while ktile < shape.tiles {
                dotBackwardKeyTile(k: k + bh * hs, v: v + bh * hs, dk: dk + bh * hs, dv: dv + bh * hs,
                                   shape: shape, Tp: Tp, kt: ktile, causal: causal, s: s, kernel: kernel)
                ktile += chunks
            }
            let dqTarget = chunk == 0 ? dq + bh * hs : partials + ((chunk - 1) * heads + bh) * hs
            for t in 0..<T {
                for c in 0..<d { dqTarget[t * d + c] = s.dqT[c * Tp + t] }
            }
        }

        addPartials(dq: dq, partials: partials, plan: plan.base, pool: pool)
    }

    /// One key tile against every query tile that sees it: writes its dK, dV rows and adds its dQ
    /// contributions into the unit's dQ^T.
    @inline(__always)
    static func dotBackwardKeyTile(k: UnsafePointer<BF16>, v: UnsafePointer<BF16>,
                                   dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                   shape: AttentionShape, Tp: Int, kt: Int, causal: Bool,
                                   s: DotBackwardScratch, kernel: BF16TileKernel) {
        let ts = Tile.size, T = shape.T, d = shape.d, dp = shape.dp
        let scale = 1 / Float(d).squareRoot()
        let k0 = kt * ts, kc = min(ts, T - k0)
        let kTile = k + k0 * d, vTile = v + k0 * d
        for c in 0..<d {
            for j in 0..<kc { s.kt[c * ts + j] = kTile[j * d + c] }
            for j in kc..<ts { s.kt[c * ts + j] = BF16(bitPattern: 0) }
        }
        s.dks.update(repeating: 0, count: kc * dp)
        s.dvs.update(repeating: 0, count: kc * dp)

        for qt in (causal ? kt : 0)..<shape.tiles {
            let q0 = qt * ts
            // P^T = 2^(S^T - lse), S^T = K Q^T (base 2).
            kernel.run(kTile, lda: d, s.qTp + q0, ldb: Tp, s.pt, ldc: ts, m: kc, kp: d / 2, cols: ts,
                       alpha: scale * log2e, accumulate: false)
            probabilityTile(s.pt, keys: kc, diagonal: causal && qt == kt, lse2: s.lse2 + q0)
            // dV += P^T dO
            Convert.floatToBFloat16(s.pt, s.rounded, count: kc * ts)
            kernel.run(s.rounded, lda: ts, s.gp + q0 / 2 * dp, ldb: dp, s.dvs, ldc: dp, m: kc, kp: ts / 2,
                       cols: dp, alpha: 1, accumulate: true)
            // dP^T = V dO^T; dS^T = P^T (dP^T - D) / sqrt(d)
            kernel.run(vTile, lda: d, s.gTp + q0, ldb: Tp, s.dst, ldc: ts, m: kc, kp: d / 2, cols: ts,
                       alpha: 1, accumulate: false)
            scoreGradientTile(s.pt, s.dst, keys: kc, D: s.rowD + q0, scale: scale)
            // dK += dS^T Q
            Convert.floatToBFloat16(s.dst, s.rounded, count: kc * ts)
            kernel.run(s.rounded, lda: ts, s.qp + q0 / 2 * dp, ldb: dp, s.dks, ldc: dp, m: kc, kp: ts / 2,
                       cols: dp, alpha: 1, accumulate: true)
            // dQ^T += K^T dS^T
            cck_f32_row_pairs(s.dst, ts, kc, ts, s.dsp, ts)
            kernel.run(s.kt, lda: ts, s.dsp, ldb: ts, s.dqT + q0, ldc: Tp, m: d, kp: (kc + 1) / 2, cols: ts,
                       alpha: 1, accumulate: true)
        }
        writeKeyTile(dk: dk, dv: dv, dks: s.dks, dvs: s.dvs, k0: k0, kc: kc, d: d, dp: dp)
    }
}
