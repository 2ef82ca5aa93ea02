import Compute

// Softmax steps on a transposed 64-query tile: row j = key j, the 64 lanes (4 x SIMD16) = queries.
// Every per-query statistic (max, sum, logsumexp, D) is then a lane-wise vertical operation: no
// horizontal reductions. Out of line with pointer arguments so the vectors stay in zmm registers.

/// Online-softmax update over `keys` rows of base-2 scores S^T (stride 64). With `diagonal`, key j is
/// visible to query i only if j <= i. Raises the running max `m` (64 lanes), overwrites the rows with
/// P^T = 2^(s - m), sets `alpha` = 2^(m_old - m_new) and `l` = l * alpha + sum_j P^T[j].
/// Every query lane must see at least one key (true for causal tiles in order and for full tiles).
@inline(never)
func onlineSoftmaxTile(_ st: UnsafeMutablePointer<Float>, keys: Int, diagonal: Bool,
                       m: UnsafeMutablePointer<Float>, l: UnsafeMutablePointer<Float>,
                       alpha: UnsafeMutablePointer<Float>) {
    let ninf = V16(repeating: -.infinity)
    var t0 = ninf, t1 = ninf, t2 = ninf, t3 = ninf
    for j in 0..<keys {
        let r = st + j * 64
        var x0 = load16(r), x1 = load16(r + 16), x2 = load16(r + 32), x3 = load16(r + 48)
        if diagonal {
            let b = CausalMask.bias + 64 - j
            x0 += load16(b); x1 += load16(b + 16); x2 += load16(b + 32); x3 += load16(b + 48)
            store16(x0, r); store16(x1, r + 16); store16(x2, r + 32); store16(x3, r + 48)
        }
        t0 = vmax(t0, x0); t1 = vmax(t1, x1); t2 = vmax(t2, x2); t3 = vmax(t3, x3)
    }
    let o0 = load16(m), o1 = load16(m + 16), o2 = load16(m + 32), o3 = load16(m + 48)
    let n0 = vmax(o0, t0), n1 = vmax(o1, t1), n2 = vmax(o2, t2), n3 = vmax(o3, t3)
    var s0 = V16(), s1 = V16(), s2 = V16(), s3 = V16()
    for j in 0..<keys {
        let r = st + j * 64
        let p0 = exp2v(load16(r) - n0), p1 = exp2v(load16(r + 16) - n1)
        let p2 = exp2v(load16(r + 32) - n2), p3 = exp2v(load16(r + 48) - n3)
        store16(p0, r); store16(p1, r + 16); store16(p2, r + 32); store16(p3, r + 48)
        s0 += p0; s1 += p1; s2 += p2; s3 += p3
    }
    let a0 = exp2v(o0 - n0), a1 = exp2v(o1 - n1), a2 = exp2v(o2 - n2), a3 = exp2v(o3 - n3)
    store16(a0, alpha); store16(a1, alpha + 16); store16(a2, alpha + 32); store16(a3, alpha + 48)
    store16(n0, m); store16(n1, m + 16); store16(n2, m + 32); store16(n3, m + 48)
    store16(load16(l) * a0 + s0, l); store16(load16(l + 16) * a1 + s1, l + 16)
    store16(load16(l + 32) * a2 + s2, l + 32); store16(load16(l + 48) * a3 + s3, l + 48)
}

/// P^T = 2^(S^T - lse2) over `keys` rows (stride 64), with `lse2` the 64 queries' base-2 logsumexp;
/// with `diagonal`, P^T[j, i] = 0 for i < j.
@inline(never)
func probabilityTile(_ st: UnsafeMutablePointer<Float>, keys: Int, diagonal: Bool, lse2: UnsafeMutablePointer<Float>) {
    let l0 = load16(lse2), l1 = load16(lse2 + 16), l2 = load16(lse2 + 32), l3 = load16(lse2 + 48)
    for j in 0..<keys {
        let r = st + j * 64
        var p0 = exp2v(load16(r) - l0), p1 = exp2v(load16(r + 16) - l1)
        var p2 = exp2v(load16(r + 32) - l2), p3 = exp2v(load16(r + 48) - l3)
        if diagonal {
            let k = CausalMask.keep + 64 - j
            p0 *= load16(k); p1 *= load16(k + 16); p2 *= load16(k + 32); p3 *= load16(k + 48)
        }
        store16(p0, r); store16(p1, r + 16); store16(p2, r + 32); store16(p3, r + 48)
    }
}

/// dS^T = scale * P^T * (dP^T - D) in place of dP^T, over `keys` rows (stride 64); `D` holds the 64
/// queries' rowsum(dO * O).
@inline(never)
func scoreGradientTile(_ pt: UnsafeMutablePointer<Float>, _ dpt: UnsafeMutablePointer<Float>, keys: Int,
                       D: UnsafeMutablePointer<Float>, scale: Float) {
    let d0 = load16(D), d1 = load16(D + 16), d2 = load16(D + 32), d3 = load16(D + 48)
    let sc = V16(repeating: scale)
    for j in 0..<keys {
        let p = pt + j * 64, g = dpt + j * 64
        store16(load16(p) * (load16(g) - d0) * sc, g)
        store16(load16(p + 16) * (load16(g + 16) - d1) * sc, g + 16)
        store16(load16(p + 32) * (load16(g + 32) - d2) * sc, g + 32)
        store16(load16(p + 48) * (load16(g + 48) - d3) * sc, g + 48)
    }
}
