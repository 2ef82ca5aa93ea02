/// One tier's fp32 register-blocked micro-kernel and the cache blocks around it (BLIS's
/// "context": the blocked loop in `_blockedFP32` never changes, the tier supplies this).
///
/// Both kernels compute `C[mr × nr] (+)= alpha · Ap · Bp` with one fp32 FMA chain per C element
/// over k in order (so results do not depend on how C is split between threads):
/// - `b`: packed B micro-panel, `kc` steps of `nr` floats (`b[p*nr + j] = B[p, j]`), 64-byte aligned.
/// - `c`: row-major tile with row stride `ldc`; `accumulate` computes `fma(alpha, t, C)`, otherwise
///   `alpha · t` (t the k-sum).
/// - `prefetch`: `ceil(kc / prefetchEvery)` addresses; one is prefetched into L2 before every
///   `prefetchEvery` k steps (the next A block's source, see `_NextBlockPrefetch`).
public protocol FP32MicroKernel {
    /// Register tile: `mr` rows by `nr` columns of C.
    static var mr: Int { get }
    static var nr: Int { get }
    /// Cache blocks (elements): k block, row block (a multiple of `mr`), column block.
    static var kc: Int { get }
    static var mc: Int { get }
    static var nc: Int { get }
    /// Row stride (floats) of row-major packed A panels: at least `kc`.
    static var aRowStride: Int { get }

    /// `a`: k-major packed A micro-panel, `kc` steps of `mr` floats (`a[p*mr + i] = A[i, p]`).
    static func kernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
                       prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int)

    /// `a`: row-major packed A micro-panel, `a[i*aRowStride + p] = A[i, p]`.
    static func kernelRowA(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool,
                           prefetch: UnsafePointer<UnsafeRawPointer>, prefetchEvery: Int)
}

extension FP32MicroKernel {
    /// Floats of per-thread packing space this kernel's blocks need: packed A (`mc` rows of
    /// `aRowStride`), packed B (`kc × nc`), one edge tile (`mr × nr`).
    @inlinable public static var packedAFloats: Int { (mc + mr - 1) / mr * mr * Swift.max(aRowStride, kc) }
    @inlinable public static var packedBFloats: Int { kc * nc }
    @inlinable public static var tileFloats: Int { mr * nr }
}
