import Compute

/// Work split and scratch layout of the backward pass.
///
/// Work units are (b, h, key chunk): chunk c of a head owns key tiles c, c + chunks, c + 2 chunks, ...
/// and accumulates their dK, dV in its tiles and their dQ contributions into its own dQ partial
/// (chunk 0 writes `dq` itself), visiting key tiles in increasing order; the partials are then added
/// to `dq` in chunk order. `chunks` depends only on (B * NH, T), never on the thread count, so dQ is
/// summed in the same order whatever `threads` is: results are bit-identical across thread counts.
///
/// Each unit first prepares its head once: Q^T and dO^T (so every visit of a query tile reads them
/// without transposing), Q and dO rows as padded fp32 (unless read in place), logsumexp and D.
struct BackwardPlan {
    let shape: AttentionShape
    /// Key chunks per head: 1 when B * NH >= 8 (enough heads to share out), else enough chunks to
    /// make about 8 units (capped by the number of key tiles).
    let chunks: Int
    let units: Int
    let workers: Int
    /// T rounded up to whole tiles.
    let Tp: Int
    /// Q and dO rows are copied (bf16 input or d not a multiple of 16) rather than read in place.
    let copiesRows: Bool
    /// Per worker: head buffers Q^T, dO^T (dp x Tp each), Q, dO rows (Tp x dp each, if copied),
    /// base-2 logsumexp and D (Tp each); tiles K, V, dK, dV, dQ (64 x dp each), P^T, dS^T (64 x 64).
    let floatsPerWorker: Int
    /// (chunks - 1) dQ partials of (B, NH, T, d).
    let sharedFloats: Int

    static let targetUnits = 8

    init(shape: AttentionShape, threads: Int, copiesRows: Bool) {
        self.shape = shape
        let heads = shape.heads
        chunks = heads >= Self.targetUnits
            ? 1 : min(shape.tiles, (Self.targetUnits + heads - 1) / heads)
        units = heads * chunks
        workers = max(1, min(threads, units))
        let ts = Tile.size, dp = shape.dp
        Tp = shape.tiles * ts
        self.copiesRows = copiesRows || shape.d != dp
        floatsPerWorker = 2 * dp * Tp + (self.copiesRows ? 2 * Tp * dp : 0) + 2 * Tp + 5 * ts * dp + 2 * ts * ts
        sharedFloats = (chunks - 1) * heads * shape.T * shape.d
    }

    var scratchFloats: Int { ScratchBuffer.rounded(floatsPerWorker) * workers + sharedFloats }
}

/// Per-worker head buffers and tiles of the backward pass (see `BackwardPlan.floatsPerWorker`).
struct BackwardScratch {
    let qT: UnsafeMutablePointer<Float>      // (dp, Tp)  Q^T * log2(e) / sqrt(d), zero-padded
    let gT: UnsafeMutablePointer<Float>      // (dp, Tp)  dO^T, zero-padded
    let qRows: UnsafeMutablePointer<Float>   // (Tp, dp)  Q, if copied
    let gRows: UnsafeMutablePointer<Float>   // (Tp, dp)  dO, if copied
    let lse2: UnsafeMutablePointer<Float>    // (Tp)      base-2 logsumexp (+inf padding)
    let rowD: UnsafeMutablePointer<Float>    // (Tp)      D = rowsum(dO * O) (0 padding)
    let ks: UnsafeMutablePointer<Float>      // (64, dp)  K tile, if copied
    let vs: UnsafeMutablePointer<Float>      // (64, dp)  V tile, if copied
    let dks: UnsafeMutablePointer<Float>     // (64, dp)  dK accumulator
    let dvs: UnsafeMutablePointer<Float>     // (64, dp)  dV accumulator
    let dqs: UnsafeMutablePointer<Float>     // (64, dp)  dQ tile when d is not a multiple of 16
    let pt: UnsafeMutablePointer<Float>      // (64, 64)  P^T (key rows, query lanes)
    let dst: UnsafeMutablePointer<Float>     // (64, 64)  dP^T, then dS^T / sqrt(d)

    init(_ base: UnsafeMutablePointer<Float>, plan: BackwardPlan) {
        let dp = plan.shape.dp, Tp = plan.Tp, ts = Tile.size
        qT = base; gT = qT + dp * Tp
        let rowsEnd = gT + dp * Tp
        qRows = rowsEnd; gRows = qRows + (plan.copiesRows ? Tp * dp : 0)
        lse2 = gRows + (plan.copiesRows ? Tp * dp : 0); rowD = lse2 + Tp
        ks = rowD + Tp; vs = ks + ts * dp; dks = vs + ts * dp; dvs = dks + ts * dp; dqs = dvs + ts * dp
        pt = dqs + ts * dp; dst = pt + ts * ts
    }
}

extension FlashAttention {
    static func backwardImpl<E: AttentionElement>(
        q: UnsafePointer<E>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        shape: AttentionShape, causal: Bool, threads: Int, pool: ThreadPool? = nil
    ) {
        let plan = BackwardPlan(shape: shape, threads: threads, copiesRows: E.self != Float.self)
        let T = shape.T, d = shape.d, dp = shape.dp, hs = shape.headStride, heads = shape.heads
        let chunks = plan.chunks, Tp = plan.Tp
        let scratch = ScratchBuffer(floatsPerWorker: plan.floatsPerWorker, workers: plan.workers)
        let shared = ScratchBuffer(floatsPerWorker: plan.sharedFloats, workers: 1)
        defer { scratch.deallocate(); shared.deallocate() }
        let partials = shared.base             // (chunks - 1, B, NH, T, d) dQ partial sums
        let scale = 1 / Float(d).squareRoot()

        parallelFor(plan.units, threads: plan.workers, pool: pool) { unit, worker in
            let bh = unit / chunks, chunk = unit % chunks
            let s = BackwardScratch(scratch.region(worker), plan: plan)
            let qh = q + bh * hs, gh = dOut + bh * hs, oh = out + bh * hs
            // Head preparation.
            loadTransposed(qh, rows: T, d: d, width: Tp, scale: scale * log2e, into: s.qT)
            loadTransposed(gh, rows: T, d: d, width: Tp, scale: 1, into: s.gT)
            let qRows = rowsSource(qh, rows: T, d: d, dp: dp, scratch: s.qRows)
            let gRows = rowsSource(gh, rows: T, d: d, dp: dp, scratch: s.gRows)
            for t in 0..<Tp {
                if t < T {
                    var acc: Float = 0
                    for c in 0..<d { acc += oh[t * d + c] * gh[t * d + c] }
                    s.rowD[t] = acc
                    s.lse2[t] = lse[bh * T + t] * log2e
                } else {
                    s.rowD[t] = 0
                    s.lse2[t] = .infinity
                }
            }
            let dqTarget = chunk == 0 ? dq + bh * hs : partials + ((chunk - 1) * heads + bh) * hs
            dqTarget.update(repeating: 0, count: hs)
            var ktile = chunk
            while ktile < shape.tiles {
                backwardKeyTile(qRows: qRows, gRows: gRows, k: k + bh * hs, v: v + bh * hs,
                                dq: dqTarget, dk: dk + bh * hs, dv: dv + bh * hs,
                                shape: shape, Tp: Tp, kt: ktile, causal: causal, s: s)
                ktile += chunks
            }
        }

        addPartials(dq: dq, partials: partials, plan: plan, pool: pool)
    }

    /// dQ += the key chunks' dQ partials, per head in chunk order (the same order for any thread count).
    static func addPartials(dq: UnsafeMutablePointer<Float>, partials: UnsafePointer<Float>, plan: BackwardPlan,
                            pool: ThreadPool?) {
        let chunks = plan.chunks, heads = plan.shape.heads, hs = plan.shape.headStride
        guard chunks > 1 else { return }
        parallelFor(heads, threads: plan.workers, pool: pool) { bh, _ in
            let dst = dq + bh * hs
            for chunk in 1..<chunks {
                let src = partials + ((chunk - 1) * heads + bh) * hs
                for x in 0..<hs { dst[x] += src[x] }
            }
        }
    }

    /// A key tile's dK and dV rows (stride d) from its padded accumulators (stride dp).
    @inline(__always)
    static func writeKeyTile(dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                             dks: UnsafePointer<Float>, dvs: UnsafePointer<Float>, k0: Int, kc: Int, d: Int, dp: Int) {
        for j in 0..<kc {
            for c in 0..<d {
                dk[(k0 + j) * d + c] = dks[j * dp + c]
                dv[(k0 + j) * d + c] = dvs[j * dp + c]
            }
        }
    }

    /// One key tile of one head against all query tiles that see it: writes its dK, dV rows and adds
    /// its dQ contributions into `dq` (rows of the head, stride d).
    @inline(__always)
    static func backwardKeyTile<E: AttentionElement>(
        qRows: UnsafePointer<Float>, gRows: UnsafePointer<Float>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        shape: AttentionShape, Tp: Int, kt: Int, causal: Bool, s: BackwardScratch
    ) {
        let ts = Tile.size, T = shape.T, d = shape.d, dp = shape.dp
        let scale = 1 / Float(d).squareRoot()
        let k0 = kt * ts, kc = min(ts, T - k0)
        let ks = rowsSource(k + k0 * d, rows: kc, d: d, dp: dp, scratch: s.ks)
        let vs = rowsSource(v + k0 * d, rows: kc, d: d, dp: dp, scratch: s.vs)
        s.dks.update(repeating: 0, count: kc * dp)
        s.dvs.update(repeating: 0, count: kc * dp)
        let direct = d == dp
        let pt = s.pt, dst = s.dst

        for qt in (causal ? kt : 0)..<shape.tiles {
            let q0 = qt * ts, rows = min(ts, T - q0)
            let qs = qRows + q0 * dp, gs = gRows + q0 * dp
            // P^T = 2^(S^T - lse), S^T = K Q^T (base 2).
            tileScores(ks, lda: dp, s.qT + q0, ldb: Tp, pt, ldc: ts, m: kc, k: d)
            probabilityTile(pt, keys: kc, diagonal: causal && qt == kt, lse2: s.lse2 + q0)
            // dV += P^T dO
            tileAccumulate(pt, ars: ts, acs: 1, gs, ldb: dp, s.dvs, ldc: dp, m: kc, n: rows, cols: dp)
            // dP^T = V dO^T; dS^T = P^T (dP^T - D) / sqrt(d)
            tileScores(vs, lda: dp, s.gT + q0, ldb: Tp, dst, ldc: ts, m: kc, k: d)
            scoreGradientTile(pt, dst, keys: kc, D: s.rowD + q0, scale: scale)
            // dK += dS^T Q
            tileAccumulate(dst, ars: ts, acs: 1, qs, ldb: dp, s.dks, ldc: dp, m: kc, n: rows, cols: dp)
            // dQ += dS K, with dS read from dS^T (A(i, j) = dst[j * 64 + i]).
            if direct {
                tileAccumulate(dst, ars: 1, acs: ts, ks, ldb: dp, dq + q0 * d, ldc: d, m: rows, n: kc, cols: dp)
            } else {
                let dqs = s.dqs
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
        writeKeyTile(dk: dk, dv: dv, dks: s.dks, dvs: s.dvs, k0: k0, kc: kc, d: d, dp: dp)
    }
}
