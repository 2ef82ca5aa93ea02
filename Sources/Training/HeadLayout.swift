/// Moves attention heads between the row layout of the linear layers and the head-major layout of
/// attention: rows (B, T, W) with W = NH d (or 3 W for the fused q, k, v projection) and heads
/// (B, NH, T, d), contiguous. NH is the heads a rank holds (all of them, or its tensor-parallel share).
public struct HeadLayout {
    public let B: Int, T: Int, NH: Int, d: Int
    /// Row width of one of q, k, v: NH d.
    public var width: Int { NH * d }

    public init(B: Int, T: Int, NH: Int, d: Int) {
        self.B = B; self.T = T; self.NH = NH; self.d = d
    }

    /// Calls body(row offset, head offset) for every (b, t, h): row offset of head h in row (b, t)
    /// of a layout `rowWidth` wide, and the head-major offset of (b, h, t).
    @inline(__always)
    func forEach(rowWidth: Int, _ body: (Int, Int) -> Void) {
        for b in 0..<B {
            for t in 0..<T {
                for h in 0..<NH { body((b * T + t) * rowWidth + h * d, ((b * NH + h) * T + t) * d) }
            }
        }
    }

    /// qkv (B, T, 3W) -> q, k, v (B, NH, T, d).
    public func split(_ qkv: UnsafePointer<Float>, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                      v: UnsafeMutablePointer<Float>) {
        let W = width
        forEach(rowWidth: 3 * W) { row, head in
            (q + head).update(from: qkv + row, count: d)
            (k + head).update(from: qkv + row + W, count: d)
            (v + head).update(from: qkv + row + 2 * W, count: d)
        }
    }

    /// dq, dk, dv (B, NH, T, d) -> dqkv (B, T, 3W).
    public func merge(dq: UnsafePointer<Float>, dk: UnsafePointer<Float>, dv: UnsafePointer<Float>,
                      into dqkv: UnsafeMutablePointer<Float>) {
        let W = width
        forEach(rowWidth: 3 * W) { row, head in
            (dqkv + row).update(from: dq + head, count: d)
            (dqkv + row + W).update(from: dk + head, count: d)
            (dqkv + row + 2 * W).update(from: dv + head, count: d)
        }
    }

    /// heads (B, NH, T, d) -> rows (B, T, W).
    public func merge(_ heads: UnsafePointer<Float>, into rows: UnsafeMutablePointer<Float>) {
        forEach(rowWidth: width) { row, head in (rows + row).update(from: heads + head, count: d) }
    }

    /// rows (B, T, W) -> heads (B, NH, T, d).
    public func split(_ rows: UnsafePointer<Float>, into heads: UnsafeMutablePointer<Float>) {
        forEach(rowWidth: width) { row, head in (heads + head).update(from: rows + row, count: d) }
    }
}
