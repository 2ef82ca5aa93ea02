import Dispatch
import Foundation
import Training

/// Causal attention over sequences split across the `cp` ranks of a context-parallel group: ring
/// attention (Liu et al. 2023) with the load-balanced layout of Megatron-LM's context parallelism.
///
/// Layout: each sequence of T tokens is cut into 2·cp chunks of c = T / (2 cp) tokens; rank r holds
/// chunks r and 2cp-1-r, in that order, as its T_l = 2c local rows. Under the causal mask a query
/// chunk attends to the key chunks up to its own, so every rank has the same work: 2 diagonal
/// (causal) chunk pairs and 2cp-1 full ones (with contiguous shards rank cp-1 would do cp times
/// the work of rank 0).
///
/// Forward: the K and V of each rank travel around the ring (rank r sends to r+1 and receives from
/// r-1, cp-1 times). Holding the block of rank `src`, a rank attends each of its query chunks gq
/// to each held key chunk gk: skipped when gk > gq, causal when gk == gq, full when gk < gq. The
/// partial outputs of one query chunk merge by their logsumexp:
///
///     lse = log(e^lse1 + e^lse2),   O = e^(lse1 - lse) O1 + e^(lse2 - lse) O2
///
/// Backward: the same ring. A block's attention backward given the final O and lse is exactly that
/// block's contribution (P = exp(s - lse), D = dO · O), so dQ sums over blocks locally, and the
/// dK, dV of each block travel with it and reach their owner after cp sends.
///
/// Shapes: q, k, v, out, dout, dq, dk, dv (B, NH, T_l, d); lse (B, NH, T_l). Extra memory:
/// O(B NH T_l d) (two K/V blocks, two gradient blocks, chunk copies), never O(T^2).
public final class RingAttention: SequenceAttention {
    let comm: Communicator
    let cp: Int, rank: Int
    let B: Int, NH: Int, c: Int, d: Int
    /// Floats of one local (B, NH, T_l, d) tensor and of one chunk (B, NH, c, d).
    let n: Int, nc: Int
    /// Seconds spent passing blocks.
    public private(set) var communicationSeconds: Double = 0

    // K then V of the block held, its gradients, and the buffer the next block or gradients arrive in
    private var held: FloatBuffer, heldGrad: FloatBuffer, incoming: FloatBuffer
    // per local query chunk: q, out, dout, accumulated O / dQ; rows: lse
    private let qc: [FloatBuffer], oc: [FloatBuffer], doc: [FloatBuffer], acc: [FloatBuffer], lc: [FloatBuffer]
    private let kc: FloatBuffer, vc: FloatBuffer, partO: FloatBuffer, partL: FloatBuffer
    private let tdq: FloatBuffer, tdk: FloatBuffer, tdv: FloatBuffer

    /// `localT` = T / cp, the rows this rank holds; it must be even (two chunks).
    public init(comm: Communicator, B: Int, NH: Int, localT: Int, d: Int) {
        precondition(localT % 2 == 0, "ring attention needs an even number of local rows, got \(localT)")
        self.comm = comm
        cp = comm.size; rank = comm.rank
        self.B = B; self.NH = NH; c = localT / 2; self.d = d
        n = B * NH * localT * d
        nc = B * NH * c * d
        held = FloatBuffer(count: 2 * n); incoming = FloatBuffer(count: 2 * n)
        heldGrad = FloatBuffer(count: 2 * n)
        let chunk = nc, rows = B * NH * c
        qc = [FloatBuffer(count: chunk), FloatBuffer(count: chunk)]
        oc = [FloatBuffer(count: chunk), FloatBuffer(count: chunk)]
        doc = [FloatBuffer(count: chunk), FloatBuffer(count: chunk)]
        acc = [FloatBuffer(count: chunk), FloatBuffer(count: chunk)]
        lc = [FloatBuffer(count: rows), FloatBuffer(count: rows)]
        kc = FloatBuffer(count: chunk); vc = FloatBuffer(count: chunk)
        partO = FloatBuffer(count: chunk); partL = FloatBuffer(count: rows)
        tdq = FloatBuffer(count: chunk); tdk = FloatBuffer(count: chunk); tdv = FloatBuffer(count: chunk)
    }

    /// Global index of local chunk `i` (0 or 1) of rank `r`.
    static func chunk(_ i: Int, rank r: Int, cp: Int) -> Int { i == 0 ? r : 2 * cp - 1 - r }

    /// Sequence positions of a rank's T_l local rows.
    public static func positions(rank r: Int, cp: Int, seqLen T: Int) -> [Int] {
        let c = T / (2 * cp)
        return [0, 1].flatMap { i -> [Int] in
            let g = chunk(i, rank: r, cp: cp)
            return Array(g * c..<(g + 1) * c)
        }
    }

    /// Bytes of this object's buffers.
    public var bytes: Int {
        ([held, incoming, heldGrad, kc, vc, partO, partL, tdq, tdk, tdv] + qc + oc + doc + acc + lc)
            .reduce(0) { $0 + $1.bytes }
    }

    public func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                 k: UnsafePointer<Float>, v: UnsafePointer<Float>, kernels: some ModelKernels) throws {
        for i in 0..<2 { copyChunk(q, i, width: d, into: qc[i].pointer) }
        held.pointer.update(from: k, count: n)
        (held.pointer + n).update(from: v, count: n)
        var started = [false, false]
        for step in 0..<cp {
            if step > 0 { try pass(&held, &incoming, tag: 1) }
            forEachVisiblePair(step: step) { i, _, causal in
                let first = !started[i]
                kernels.attentionForward(out: first ? acc[i].pointer : partO.pointer, lse: first ? lc[i].pointer : partL.pointer,
                                         q: qc[i].pointer, k: kc.pointer, v: vc.pointer, B: B, NH: NH, T: c, d: d,
                                         causal: causal)
                if first { started[i] = true } else { merge(into: i) }
            }
        }
        for i in 0..<2 {
            placeChunk(acc[i].pointer, i, width: d, into: out, add: false)
            placeChunk(lc[i].pointer, i, width: 1, into: lse, add: false)
        }
    }

    /// Writes dq, dk, dv (not accumulating).
    public func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>, kernels: some ModelKernels) throws {
        for i in 0..<2 {
            copyChunk(q, i, width: d, into: qc[i].pointer)
            copyChunk(out, i, width: d, into: oc[i].pointer)
            copyChunk(dout, i, width: d, into: doc[i].pointer)
            copyChunk(lse, i, width: 1, into: lc[i].pointer)
            acc[i].zero()
        }
        held.pointer.update(from: k, count: n)
        (held.pointer + n).update(from: v, count: n)
        heldGrad.zero()
        for step in 0..<cp {
            if step > 0 {
                try pass(&held, &incoming, tag: 2)
                try pass(&heldGrad, &incoming, tag: 3)
            }
            forEachVisiblePair(step: step) { i, j, causal in
                kernels.attentionBackward(dq: tdq.pointer, dk: tdk.pointer, dv: tdv.pointer, dout: doc[i].pointer,
                                          q: qc[i].pointer, k: kc.pointer, v: vc.pointer, out: oc[i].pointer,
                                          lse: lc[i].pointer, B: B, NH: NH, T: c, d: d, causal: causal)
                add(tdq.pointer, into: acc[i].pointer, count: nc)
                placeChunk(tdk.pointer, j, width: d, into: heldGrad.pointer, add: true)
                placeChunk(tdv.pointer, j, width: d, into: heldGrad.pointer + n, add: true)
            }
        }
        // the gradients held belong to rank + 1: one more pass brings every rank its own
        if cp > 1 { try pass(&heldGrad, &incoming, tag: 3) }
        dk.update(from: heldGrad.pointer, count: n)
        dv.update(from: heldGrad.pointer + n, count: n)
        for i in 0..<2 { placeChunk(acc[i].pointer, i, width: d, into: dq, add: false) }
    }

    /// At ring step `step` (holding the block of rank - step): for each held key chunk j, copies
    /// its K and V into `kc`, `vc` and calls `body(i, j, causal)` for each local query chunk i that
    /// sees it (key chunk before the query chunk: full; the same chunk: causal).
    private func forEachVisiblePair(step: Int, _ body: (Int, Int, Bool) -> Void) {
        let src = (rank - step + cp) % cp
        for j in 0..<2 {
            let gk = Self.chunk(j, rank: src, cp: cp)
            let queries = (0..<2).filter { gk <= Self.chunk($0, rank: rank, cp: cp) }
            guard !queries.isEmpty else { continue }
            copyChunk(held.pointer, j, width: d, into: kc.pointer)
            copyChunk(held.pointer + n, j, width: d, into: vc.pointer)
            for i in queries { body(i, j, gk == Self.chunk(i, rank: rank, cp: cp)) }
        }
    }

    /// Sends `held` to rank + 1 and receives rank - 1's block into `incoming`, then swaps them.
    /// Even ranks send first and odd ones receive first, so a backend whose sends wait for the
    /// matching receive cannot deadlock around the ring.
    private func pass(_ held: inout FloatBuffer, _ incoming: inout FloatBuffer, tag: Int) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let next = (rank + 1) % cp, previous = (rank - 1 + cp) % cp
        if rank % 2 == 0 {
            try comm.send(held.pointer, count: 2 * n, to: next, tag: tag)
            try comm.receive(incoming.pointer, count: 2 * n, from: previous, tag: tag)
        } else {
            try comm.receive(incoming.pointer, count: 2 * n, from: previous, tag: tag)
            try comm.send(held.pointer, count: 2 * n, to: next, tag: tag)
        }
        swap(&held, &incoming)
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// Merges the partial result (partO, partL) into query chunk i's running (acc, lc).
    private func merge(into i: Int) {
        let o = acc[i].pointer, l = lc[i].pointer, po = partO.pointer, pl = partL.pointer
        for row in 0..<(B * NH * c) {
            let a = l[row], b = pl[row]
            let m = max(a, b)
            let wa = (a - m).exp, wb = (b - m).exp
            let s = wa + wb
            let ca = wa / s, cb = wb / s
            let x = o + row * d, y = po + row * d
            for e in 0..<d { x[e] = ca * x[e] + cb * y[e] }
            l[row] = m + s.log
        }
    }

    /// Copies local chunk `i` (rows [i c, (i+1) c) of every (b, h)) of a (B, NH, T_l, width) tensor
    /// into a contiguous (B, NH, c, width) buffer.
    private func copyChunk(_ src: UnsafePointer<Float>, _ i: Int, width w: Int, into dst: UnsafeMutablePointer<Float>) {
        for bh in 0..<(B * NH) {
            (dst + bh * c * w).update(from: src + (bh * 2 + i) * c * w, count: c * w)
        }
    }

    /// The inverse of `copyChunk`, overwriting or adding.
    private func placeChunk(_ src: UnsafePointer<Float>, _ i: Int, width w: Int, into dst: UnsafeMutablePointer<Float>, add: Bool) {
        for bh in 0..<(B * NH) {
            let to = dst + (bh * 2 + i) * c * w, from = src + bh * c * w
            if add {
                for e in 0..<(c * w) { to[e] += from[e] }
            } else {
                to.update(from: from, count: c * w)
            }
        }
    }

    private func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for e in 0..<count { dst[e] += src[e] }
    }
}

private extension Float {
    var exp: Float { Float(Foundation.exp(Double(self))) }
    var log: Float { Float(Foundation.log(Double(self))) }
}
