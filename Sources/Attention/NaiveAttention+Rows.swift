import Compute
import Foundation

// Row-wise softmax steps of the naive materialized kernel (one T-wide row at a time).

/// Materialized softmax of one row of `width` (multiple of 16) base-2 scores, columns >= `limit`
/// zeroed (limit >= 1); returns the row's natural-log logsumexp.
@inline(never)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, width: Int, limit: Int) -> Float {
    var mv16 = V16(repeating: -.infinity)
    var j = 0
    while j + 16 <= limit { mv16 = vmax(mv16, load16(row + j)); j += 16 }
    var mx = -Float.infinity
    for lane in 0..<16 { mx = max(mx, mv16[lane]) }
    while j < limit { mx = max(mx, row[j]); j += 1 }
    let mv = V16(repeating: mx)
    var sum = V16()
    j = 0
    while j < width {
        let pv = exp2v(load16(row + j) - mv) * keepMask(column: j, limit: limit)
        sum += pv
        store16(pv, row + j)
        j += 16
    }
    let total = hsum(sum), inv = V16(repeating: 1 / total)
    j = 0
    while j < width { store16(load16(row + j) * inv, row + j); j += 16 }
    return (mx + log2(total)) * ln2
}

/// Materialized backward of one row: row p holds base-2 scores, becomes P = 2^(s - lse2) (columns
/// >= limit zeroed); row g holds dP and becomes dS = scale * P * (dP - D).
@inline(never)
func probabilityAndScoreGradientRow(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                                    width: Int, limit: Int, lse2: Float, D: Float, scale: Float) {
    let l2 = V16(repeating: lse2)
    let dv = V16(repeating: D), sc = V16(repeating: scale)
    var j = 0
    while j < width {
        let pv = exp2v(load16(p + j) - l2) * keepMask(column: j, limit: limit)
        store16(pv, p + j)
        store16(pv * (load16(g + j) - dv) * sc, g + j)
        j += 16
    }
}

/// 1 on columns column..<column+16 that are < limit, 0 on the others.
@inline(__always) func keepMask(column: Int, limit: Int) -> V16 {
    load16(RowMask.keep + 64 - min(max(limit - column, 0), 16))
}
