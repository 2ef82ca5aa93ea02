import Compute
// V16, load16 and store16 come from KernelCore (re-exported by Compute).

/// Lane-wise max / min and horizontal sum: Compute's shared SIMD math.
@_transparent func vmax(_ a: V16, _ b: V16) -> V16 { SIMDMath.max(a, b) }
@_transparent func vmin(_ a: V16, _ b: V16) -> V16 { SIMDMath.min(a, b) }
@inline(__always) func hsum(_ a: V16) -> Float { SIMDMath.sum(a) }

/// log2(e) and ln(2): the kernels work in base 2 (scores pre-multiplied by log2 e, `exp2v`).
let log2e: Float = 1.4426950408889634
let ln2: Float = 0.6931471805599453

/// 2^x lane-wise (Compute's `SIMDMath.exp2`).
@_transparent func exp2v(_ x: V16) -> V16 { SIMDMath.exp2(x) }

/// Causal masks as data (no SIMD compares) for a transposed score tile, row j = key j, lane i =
/// query i, key j visible to query i iff j <= i (diagonal tile): for lanes i0..<i0+16 of row j,
/// `load16(CausalMask.bias + 64 - j + i0)` is -inf where i < j and 0 elsewhere;
/// `load16(CausalMask.keep + 64 - j + i0)` is 0 where i < j and 1 elsewhere.
enum CausalMask {
    static let bias: UnsafeMutablePointer<Float> = table(masked: -.infinity, visible: 0)
    static let keep: UnsafeMutablePointer<Float> = table(masked: 0, visible: 1)

    private static func table(masked: Float, visible: Float) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        for k in 0..<128 { p[k] = k < 64 ? masked : visible }
        return p
    }
}

/// Row masks for the naive kernel: `load16(RowMask.keep + 64 - n)` has 1 on its first n lanes
/// (0...16), 0 on the rest.
enum RowMask {
    static let keep: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 128)
        for k in 0..<128 { p[k] = k < 64 ? 1 : 0 }
        return p
    }()
}
