import Foundation

/// Work split and scratch layout of the forward pass: one work unit per (b, h, query tile).
struct ForwardPlan {
    let shape: AttentionShape
    let units: Int
    let workers: Int
    /// Per worker: Q tile (64 x dp), K^T tile (d x 64, allocated dp x 64), V tile (64 x dp),
    /// scores (64 x 64), O accumulator (64 x dp), running max and sum (64 each).
    let floatsPerWorker: Int

    init(shape: AttentionShape, threads: Int) {
        self.shape = shape
        units = shape.heads * shape.tiles
        workers = max(1, min(threads, units))
        let ts = Tile.size, dp = shape.dp
        floatsPerWorker = 4 * ts * dp + ts * ts + 2 * ts
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
        shape: AttentionShape, causal: Bool, threads: Int
    ) {
        let plan = ForwardPlan(shape: shape, threads: threads)
        let scratch = ScratchBuffer(floatsPerWorker: plan.floatsPerWorker, workers: plan.workers)
        defer { scratch.deallocate() }
        let nT = shape.tiles, hs = shape.headStride, T = shape.T
        parallelFor(plan.units, threads: plan.workers) { unit, worker in
            let bh = unit / nT
            // Largest causal tiles first within a head: better tail balance across workers.
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
        let qs = scratch                 // (64, dp)   Q * log2(e) / sqrt(d)
        let kt = qs + ts * dp            // (d, 64)    K^T
        let vs = kt + ts * dp            // (64, dp)   V
        let os = vs + ts * dp            // (64, dp)   unnormalized O
        let s = os + ts * dp             // (64, 64)   scores, then probabilities
        let rowMax = s + ts * ts         // (64)       running max (base-2 scores)
        let rowSum = rowMax + ts         // (64)       running sum of 2^(s - max)

        let q0 = qt * ts, rows = min(ts, T - q0)
        let qScale = log2e / Float(d).squareRoot()
        loadRows(q + q0 * d, rows: rows, d: d, dp: dp, scale: qScale, into: qs)
        os.update(repeating: 0, count: rows * dp)
        for i in 0..<rows { rowMax[i] = -.infinity; rowSum[i] = 0 }
        let neg = V16(repeating: -.infinity)

        let kEnd = causal ? qt + 1 : shape.tiles
        for ktile in 0..<kEnd {
            let k0 = ktile * ts, kc = min(ts, T - k0)
            loadTransposed(k + k0 * d, rows: kc, d: d, scale: 1, into: kt)
            loadRows(v + k0 * d, rows: kc, d: d, dp: dp, scale: 1, into: vs)
            tileScores(qs, lda: dp, kt, ldb: ts, s, ldc: ts, m: rows, k: d)
            let diagonal = causal && ktile == qt
            for i in 0..<rows {
                let limit = diagonal ? min(kc, q0 + i - k0 + 1) : kc
                let row = s + i * ts
                var x0 = load16(row), x1 = load16(row + 16), x2 = load16(row + 32), x3 = load16(row + 48)
                if limit < ts {
                    let lim = V16(repeating: Float(limit))
                    x0.replace(with: neg, where: laneIndex .>= lim)
                    x1.replace(with: neg, where: laneIndex + 16 .>= lim)
                    x2.replace(with: neg, where: laneIndex + 32 .>= lim)
                    x3.replace(with: neg, where: laneIndex + 48 .>= lim)
                }
                let tileMax = pointwiseMax(pointwiseMax(x0, x1), pointwiseMax(x2, x3)).max()
                let mOld = rowMax[i], mNew = max(mOld, tileMax)
                let mv = V16(repeating: mNew)
                let p0 = exp2v(x0 - mv), p1 = exp2v(x1 - mv), p2 = exp2v(x2 - mv), p3 = exp2v(x3 - mv)
                store16(p0, row); store16(p1, row + 16); store16(p2, row + 32); store16(p3, row + 48)
                let tileSum = ((p0 + p1) + (p2 + p3)).sum()
                if mNew > mOld {
                    let alpha = exp2v(V16(repeating: mOld - mNew))[0]
                    rowSum[i] = rowSum[i] * alpha + tileSum
                    let o = os + i * dp
                    var c = 0
                    while c < dp { store16(load16(o + c) * alpha, o + c); c += 16 }
                } else {
                    rowSum[i] += tileSum
                }
                rowMax[i] = mNew
            }
            tileAccumulate(s, ars: ts, acs: 1, vs, ldb: dp, os, ldc: dp, m: rows, n: kc, cols: dp)
        }
        for i in 0..<rows {
            let inv = 1 / rowSum[i]
            let o = os + i * dp, dst = out + (q0 + i) * d
            for c in 0..<d { dst[c] = o[c] * inv }
            lse[q0 + i] = (rowMax[i] + log2(rowSum[i])) * ln2
        }
    }
}
