import Compute
import Foundation

/// Work split and scratch layout of the forward pass: one work unit per (b, h, query tile).
struct ForwardPlan {
    let shape: AttentionShape
    let units: Int
    let workers: Int
    /// Per worker: Q^T tile (d x 64, allocated dp x 64), K and V tiles (64 x dp), O accumulator
    /// (64 x dp), transposed scores (64 x 64), running max, running sum and rescale factor (64 each).
    let floatsPerWorker: Int

    init(shape: AttentionShape, threads: Int) {
        self.shape = shape
        units = shape.heads * shape.tiles
        workers = max(1, min(threads, units))
        let ts = Tile.size, dp = shape.dp
        floatsPerWorker = 4 * ts * dp + ts * ts + 3 * ts
    }

    var scratchFloats: Int { ScratchBuffer.rounded(floatsPerWorker) * workers }
}

extension ScratchBuffer {
    static func rounded(_ floats: Int) -> Int { (floats + 15) / 16 * 16 }
}

extension FlashAttention {
    static func forwardImpl<E: AttentionElement>(
        q: UnsafePointer<E>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
        shape: AttentionShape, causal: Bool, threads: Int, pool: ThreadPool? = nil
    ) {
        let plan = ForwardPlan(shape: shape, threads: threads)
        let scratch = ScratchBuffer(floatsPerWorker: plan.floatsPerWorker, workers: plan.workers)
        defer { scratch.deallocate() }
        let nT = shape.tiles, hs = shape.headStride, T = shape.T
        parallelFor(plan.units, threads: plan.workers, pool: pool) { unit, worker in
            let bh = unit / nT
            // Within a head, causal query tiles by decreasing cost (see `parallelFor`'s partition).
            let qt = nT - 1 - unit % nT
            forwardQueryTile(q: q + bh * hs, k: k + bh * hs, v: v + bh * hs, out: out + bh * hs,
                             lse: lse + bh * T, shape: shape, qt: qt, causal: causal,
                             scratch: scratch.region(worker))
        }
    }

    /// One query tile of one head against all its visible key tiles.
    @inline(__always)
    static func forwardQueryTile<E: AttentionElement>(
        q: UnsafePointer<E>, k: UnsafePointer<E>, v: UnsafePointer<E>,
        out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
        shape: AttentionShape, qt: Int, causal: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        let ts = Tile.size, T = shape.T, d = shape.d, dp = shape.dp
        let qtr = scratch                // (d, 64)    Q^T * log2(e) / sqrt(d)
        let ks = qtr + ts * dp           // (64, dp)   K (when not read in place)
        let vs = ks + ts * dp            // (64, dp)   V (when not read in place)
        let os = vs + ts * dp            // (64, dp)   unnormalized O
        let st = os + ts * dp            // (64, 64)   scores S^T (key rows, query lanes), then P^T
        let m = st + ts * ts             // (64)       running max of base-2 scores, per query
        let l = m + ts                   // (64)       running sum of 2^(s - m), per query
        let alpha = l + ts               // (64)       2^(m_old - m_new), per query

        let q0 = qt * ts, rows = min(ts, T - q0)
        loadTransposed(q + q0 * d, rows: rows, d: d, scale: log2e / Float(d).squareRoot(), into: qtr)
        os.update(repeating: 0, count: ts * dp)
        for i in 0..<ts { m[i] = -.infinity; l[i] = 0 }

        let kEnd = causal ? qt + 1 : shape.tiles
        for ktile in 0..<kEnd {
            let k0 = ktile * ts, kc = min(ts, T - k0)
            let kr = rowsSource(k + k0 * d, rows: kc, d: d, dp: dp, scratch: ks)
            let vr = rowsSource(v + k0 * d, rows: kc, d: d, dp: dp, scratch: vs)
            tileScores(kr, lda: dp, qtr, ldb: ts, st, ldc: ts, m: kc, k: d)
            onlineSoftmaxTile(st, keys: kc, diagonal: causal && ktile == qt, m: m, l: l, alpha: alpha)
            if ktile > 0 {
                for i in 0..<rows {
                    let o = os + i * dp, a = V16(repeating: alpha[i])
                    var c = 0
                    while c < dp { store16(load16(o + c) * a, o + c); c += 16 }
                }
            }
            // O += P V, with P read from P^T (A(i, j) = st[j * 64 + i]).
            tileAccumulate(st, ars: 1, acs: ts, vr, ldb: dp, os, ldc: dp, m: rows, n: kc, cols: dp)
        }
        for i in 0..<rows {
            let inv = 1 / l[i]
            let o = os + i * dp, dst = out + (q0 + i) * d
            for c in 0..<d { dst[c] = o[c] * inv }
            lse[q0 + i] = (m[i] + log2(l[i])) * ln2
        }
    }
}
