/// Work split and scratch layout of the backward pass.
///
/// Work units are (b, h, key chunk): chunk c of a head owns key tiles c, c + chunks, c + 2 chunks, ...
/// and accumulates their dK, dV in its tiles and their dQ contributions into its own dQ partial
/// (chunk 0 writes `dq` itself), visiting key tiles in increasing order; the partials are then added
/// to `dq` in chunk order. `chunks` depends only on (B * NH, T), never on the thread count, so dQ is
/// summed in the same order whatever `threads` is: results are bit-identical across thread counts.
struct BackwardPlan {
    let shape: AttentionShape
    /// Key chunks per head: 1 when B * NH >= 8 (enough heads to share out), else enough chunks to
    /// make about 8 units (capped by the number of key tiles).
    let chunks: Int
    let units: Int
    let workers: Int
    /// Per worker: K, V, Q, dO, dK, dV and a dQ tile (64 x dp each), Q^T and dO^T (d x 64 each,
    /// allocated dp x 64), P^T and dP^T/dS^T (64 x 64 each), logsumexp and D of a query tile (64 each).
    let floatsPerWorker: Int
    /// D (B, NH, T) plus (chunks - 1) dQ partials of (B, NH, T, d).
    let sharedFloats: Int

    static let targetUnits = 8

    init(shape: AttentionShape, threads: Int) {
        self.shape = shape
        let heads = shape.heads
        chunks = heads >= Self.targetUnits
            ? 1 : min(shape.tiles, (Self.targetUnits + heads - 1) / heads)
        units = heads * chunks
        workers = max(1, min(threads, units))
        let ts = Tile.size, dp = shape.dp
        floatsPerWorker = 9 * ts * dp + 2 * ts * ts + 2 * ts
        sharedFloats = heads * shape.T + (chunks - 1) * heads * shape.T * shape.d
    }

    var scratchFloats: Int { ScratchBuffer.rounded(floatsPerWorker) * workers + sharedFloats }
}

extension FlashAttention {
    static func backwardImpl<E: AttentionElement>(
        q: UnsafePointer<E>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        shape: AttentionShape, causal: Bool, threads: Int
    ) {
        let plan = BackwardPlan(shape: shape, threads: threads)
        let T = shape.T, d = shape.d, hs = shape.headStride, heads = shape.heads, chunks = plan.chunks
        let scratch = ScratchBuffer(floatsPerWorker: plan.floatsPerWorker, workers: plan.workers)
        let shared = ScratchBuffer(floatsPerWorker: plan.sharedFloats, workers: 1)
        defer { scratch.deallocate(); shared.deallocate() }
        let rowD = shared.base                 // (B, NH, T)          D_i = dO_i . O_i
        let partials = rowD + heads * T        // (chunks - 1, B, NH, T, d) dQ partial sums

        // D and zeroed dq, one head per unit.
        parallelFor(heads, threads: plan.workers) { bh, _ in
            let o = out + bh * hs, g = dOut + bh * hs
            for t in 0..<T {
                var acc: Float = 0
                for c in 0..<d { acc += o[t * d + c] * g[t * d + c] }
                rowD[bh * T + t] = acc
            }
            (dq + bh * hs).update(repeating: 0, count: hs)
        }

        parallelFor(plan.units, threads: plan.workers) { unit, worker in
            let bh = unit / chunks, chunk = unit % chunks
            let dqTarget = chunk == 0 ? dq + bh * hs : partials + ((chunk - 1) * heads + bh) * hs
            var ktile = chunk
            while ktile < shape.tiles {
                backwardKeyTile(q: q + bh * hs, k: k + bh * hs, v: v + bh * hs,
                                lse: lse + bh * T, rowD: rowD + bh * T, dOut: dOut + bh * hs,
                                dq: dqTarget, dk: dk + bh * hs, dv: dv + bh * hs,
                                shape: shape, kt: ktile, causal: causal, scratch: scratch.region(worker))
                ktile += chunks
            }
        }

        if chunks > 1 {
            parallelFor(heads, threads: plan.workers) { bh, _ in
                let dst = dq + bh * hs
                for chunk in 1..<chunks {
                    let src = partials + ((chunk - 1) * heads + bh) * hs
                    for x in 0..<hs { dst[x] += src[x] }
                }
            }
        }
    }

    /// One key tile of one head against all query tiles that see it: writes its dK, dV rows and adds
    /// its dQ contributions into `dq` (rows of the head, stride d).
    @inline(__always)
    static func backwardKeyTile<E: AttentionElement>(
        q: UnsafePointer<E>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        lse: UnsafePointer<Float>, rowD: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        shape: AttentionShape, kt: Int, causal: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        let ts = Tile.size, T = shape.T, d = shape.d, dp = shape.dp
        let ks = scratch                 // (64, dp)  K
        let vs = ks + ts * dp            // (64, dp)  V
        let qtr = vs + ts * dp           // (d, 64)   Q^T * log2(e) / sqrt(d)
        let gtr = qtr + ts * dp          // (d, 64)   dO^T
        let qs = gtr + ts * dp           // (64, dp)  Q
        let gs = qs + ts * dp            // (64, dp)  dO
        let dks = gs + ts * dp           // (64, dp)  dK accumulator
        let dvs = dks + ts * dp          // (64, dp)  dV accumulator
        let dqs = dvs + ts * dp          // (64, dp)  dQ tile when d is not a multiple of 16
        let pt = dqs + ts * dp           // (64, 64)  P^T (key rows, query lanes)
        let dst = pt + ts * ts           // (64, 64)  dP^T, then dS^T / sqrt(d)
        let lse2 = dst + ts * ts         // (64)      base-2 logsumexp per query (+inf padding)
        let dq64 = lse2 + ts             // (64)      D per query (0 padding)

        let scale = 1 / Float(d).squareRoot()
        let k0 = kt * ts, kc = min(ts, T - k0)
        loadRows(k + k0 * d, rows: kc, d: d, dp: dp, scale: 1, into: ks)
        loadRows(v + k0 * d, rows: kc, d: d, dp: dp, scale: 1, into: vs)
        dks.update(repeating: 0, count: kc * dp)
        dvs.update(repeating: 0, count: kc * dp)
        let direct = d == dp

        for qt in (causal ? kt : 0)..<shape.tiles {
            let q0 = qt * ts, rows = min(ts, T - q0)
            loadTransposed(q + q0 * d, rows: rows, d: d, scale: scale * log2e, into: qtr)
            loadTransposed(dOut + q0 * d, rows: rows, d: d, scale: 1, into: gtr)
            loadRows(q + q0 * d, rows: rows, d: d, dp: dp, scale: 1, into: qs)
            loadRows(dOut + q0 * d, rows: rows, d: d, dp: dp, scale: 1, into: gs)
            for i in 0..<ts {
                lse2[i] = i < rows ? lse[q0 + i] * log2e : .infinity
                dq64[i] = i < rows ? rowD[q0 + i] : 0
            }
            // P^T = 2^(S^T - lse), S^T = K Q^T (base 2).
            tileScores(ks, lda: dp, qtr, ldb: ts, pt, ldc: ts, m: kc, k: d)
            probabilityTile(pt, keys: kc, diagonal: causal && qt == kt, lse2: lse2)
            // dV += P^T dO
            tileAccumulate(pt, ars: ts, acs: 1, gs, ldb: dp, dvs, ldc: dp, m: kc, n: rows, cols: dp)
            // dP^T = V dO^T; dS^T = P^T (dP^T - D) / sqrt(d)
            tileScores(vs, lda: dp, gtr, ldb: ts, dst, ldc: ts, m: kc, k: d)
            scoreGradientTile(pt, dst, keys: kc, D: dq64, scale: scale)
            // dK += dS^T Q
            tileAccumulate(dst, ars: ts, acs: 1, qs, ldb: dp, dks, ldc: dp, m: kc, n: rows, cols: dp)
            // dQ += dS K, with dS read from dS^T (A(i, j) = dst[j * 64 + i]).
            if direct {
                tileAccumulate(dst, ars: 1, acs: ts, ks, ldb: dp, dq + q0 * d, ldc: d, m: rows, n: kc, cols: dp)
            } else {
                for i in 0..<rows {
                    for c in 0..<d { dqs[i * dp + c] = dq[(q0 + i) * d + c] }
                    for c in d..<dp { dqs[i * dp + c] = 0 }
                }
                tileAccumulate(dst, ars: 1, acs: ts, ks, ldb: dp, dqs, ldc: dp, m: rows, n: kc, cols: dp)
                for i in 0..<rows {
                    for c in 0..<d { dq[(q0 + i) * d + c] = dqs[i * dp + c] }
                }
            }
        }
        for j in 0..<kc {
            for c in 0..<d {
                dk[(k0 + j) * d + c] = dks[j * dp + c]
                dv[(k0 + j) * d + c] = dvs[j * dp + c]
            }
        }
    }
}
