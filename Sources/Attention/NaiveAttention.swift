import Foundation

/// Materialized fp32 attention: per (b, h) the full T x T score matrix, a row softmax, then the
/// products, all on the same SIMD tile products as `FlashAttention`. Causal masking is applied to the
/// full matrix (nothing skipped). Same API, layout and outputs as `FlashAttention` (fp32 inputs, d a
/// multiple of 16); the benchmark baseline, O(T^2) scratch per worker.
public enum NaiveAttention {
    /// Forward: `out` (B, NH, T, d) and `lse` (B, NH, T), as `FlashAttention.forward`.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int) throws {
        let shape = try validated(B: B, NH: NH, T: T, d: d, threads: threads)
        let Tp = paddedT(T), hs = shape.headStride, workers = max(1, min(threads, shape.heads))
        // Per worker: K^T (d x Tp), S (T x Tp).
        let scratch = ScratchBuffer(floatsPerWorker: d * Tp + T * Tp, workers: workers)
        defer { scratch.deallocate() }
        parallelFor(shape.heads, threads: workers) { bh, worker in
            let kt = scratch.region(worker), s = kt + d * Tp
            let qh = q + bh * hs, vh = v + bh * hs, oh = out + bh * hs
            transpose(k + bh * hs, T: T, d: d, Tp: Tp, scale: log2e / Float(d).squareRoot(), into: kt)
            scores(qh, kt, s, T: T, d: d, Tp: Tp)
            for i in 0..<T {
                lse[bh * T + i] = softmaxRow(s + i * Tp, width: Tp, limit: causal ? i + 1 : T)
            }
            oh.update(repeating: 0, count: hs)
            tileAccumulate(s, ars: Tp, acs: 1, vh, ldb: d, oh, ldc: d, m: T, n: T, cols: d)
        }
    }

    /// Backward: overwrites `dq`, `dk`, `dv`, as `FlashAttention.backward`.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>,
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int) throws {
        let shape = try validated(B: B, NH: NH, T: T, d: d, threads: threads)
        let Tp = paddedT(T), hs = shape.headStride, workers = max(1, min(threads, shape.heads))
        // Per worker: K^T, V^T (d x Tp each), P, dP/dS (T x Tp each).
        let scratch = ScratchBuffer(floatsPerWorker: 2 * d * Tp + 2 * T * Tp, workers: workers)
        defer { scratch.deallocate() }
        let scale = 1 / Float(d).squareRoot()
        parallelFor(shape.heads, threads: workers) { bh, worker in
            let kt = scratch.region(worker), vt = kt + d * Tp, p = vt + d * Tp, ds = p + T * Tp
            let qh = q + bh * hs, kh = k + bh * hs, oh = out + bh * hs, gh = dOut + bh * hs
            transpose(kh, T: T, d: d, Tp: Tp, scale: scale * log2e, into: kt)
            transpose(v + bh * hs, T: T, d: d, Tp: Tp, scale: 1, into: vt)
            scores(qh, kt, p, T: T, d: d, Tp: Tp)
            scores(gh, vt, ds, T: T, d: d, Tp: Tp)
            for i in 0..<T {
                var di: Float = 0
                for c in 0..<d { di += oh[i * d + c] * gh[i * d + c] }
                probabilityAndScoreGradientRow(p + i * Tp, ds + i * Tp, width: Tp, limit: causal ? i + 1 : T,
                                               lse2: lse[bh * T + i] * log2e, D: di, scale: scale)
            }
            let dqh = dq + bh * hs, dkh = dk + bh * hs, dvh = dv + bh * hs
            dqh.update(repeating: 0, count: hs)
            dkh.update(repeating: 0, count: hs)
            dvh.update(repeating: 0, count: hs)
            tileAccumulate(p, ars: 1, acs: Tp, gh, ldb: d, dvh, ldc: d, m: T, n: T, cols: d)
            tileAccumulate(ds, ars: 1, acs: Tp, qh, ldb: d, dkh, ldc: d, m: T, n: T, cols: d)
            tileAccumulate(ds, ars: Tp, acs: 1, kh, ldb: d, dqh, ldc: d, m: T, n: T, cols: d)
        }
    }

    /// Bytes allocated internally (per-worker K^T, V^T and T x T buffers).
    public static func scratchBytes(B: Int, NH: Int, T: Int, d: Int, threads: Int)
        -> (forward: Int, backward: Int) {
        let Tp = paddedT(T), workers = max(1, min(threads, B * NH))
        return (ScratchBuffer.rounded(d * Tp + T * Tp) * workers * 4,
                ScratchBuffer.rounded(2 * d * Tp + 2 * T * Tp) * workers * 4)
    }

    static func validated(B: Int, NH: Int, T: Int, d: Int, threads: Int) throws -> AttentionShape {
        let shape = try AttentionShape(B: B, NH: NH, T: T, d: d, threads: threads)
        if d % 16 != 0 {
            throw AttentionError.invalidDimension(name: "d", value: d, valid: "a multiple of 16 in 16...128")
        }
        return shape
    }

    static func paddedT(_ T: Int) -> Int { (T + Tile.size - 1) / Tile.size * Tile.size }

    /// dst[c, r] = scale * src[r, c] (d x Tp); columns T..<Tp are left as allocated (zero).
    static func transpose(_ src: UnsafePointer<Float>, T: Int, d: Int, Tp: Int, scale: Float,
                          into dst: UnsafeMutablePointer<Float>) {
        for r in 0..<T {
            for c in 0..<d { dst[c * Tp + r] = scale * src[r * d + c] }
        }
    }

    /// S (T x Tp) = A (T x d) * Bt (d x Tp), one 64-column block at a time.
    static func scores(_ a: UnsafePointer<Float>, _ bt: UnsafePointer<Float>, _ s: UnsafeMutablePointer<Float>,
                       T: Int, d: Int, Tp: Int) {
        var jb = 0
        while jb < Tp {
            tileScores(a, lda: d, bt + jb, ldb: Tp, s + jb, ldc: Tp, m: T, k: d)
            jb += Tile.size
        }
    }
}
