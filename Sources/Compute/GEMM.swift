@_exported import KernelCore

/// The three products a transformer needs, named by the operands' `Transpose` (row-major):
/// `nn` forward (`Y = X W`), `nt` (`dX = dY Wᵀ`), `tn` (`dW = Xᵀ dY`).
public enum GEMMLayout: String, CaseIterable, Sendable {
    case nn = "NN", nt = "NT", tn = "TN"

    public var transposeA: Transpose { self == .tn ? .transposed : .none }
    public var transposeB: Transpose { self == .nt ? .transposed : .none }
}

/// Dense matrix multiply on row-major matrices: `C (+)= alpha · op(A) · op(B)`.
///
/// Convention (row-major, element (r, c) of a matrix with leading dimension `ld` at `p[r*ld + c]`):
/// - `op(A)` is `m × k`: A is stored `m × k` (`lda ≥ k`) for `.none`, `k × m` (`lda ≥ m`) for
///   `.transposed`.
/// - `op(B)` is `k × n`: B is stored `k × n` (`ldb ≥ n`) for `.none`, `n × k` (`ldb ≥ k`) for
///   `.transposed`.
/// - `C` is `m × n` with `ldc ≥ n`; `accumulate: true` computes `C += alpha·op(A)op(B)`,
///   `false` computes `C = alpha·op(A)op(B)` (C is then write-only: NaNs in it do not propagate).
/// Leading dimensions larger than the row length address sub-matrices, e.g. the columns of one
/// attention head inside a `[T, 3C]` QKV buffer: `a: qkv + h*hs, lda: 3*C`.
///
/// The loop nest and micro-kernel are the active kernel tier's (`Kernels.active`): 14×32 tiles
/// on AVX-512, 6×16 on AVX2, 6×8 portable. Results are bit-identical for every thread count
/// within a tier: each C element is one fp32 FMA chain over k in a fixed order (k blocks of the
/// tier's `kc`, then k inside a block), whatever the partition. Across tiers they differ in
/// rounding (different `kc`; the portable tier on x86-64 does not fuse its multiply-adds).
public enum GEMM {

    /// fp32 GEMM `C (+)= alpha · op(A) · op(B)`; see the type's doc for shapes and strides.
    /// Multithreaded over `pool`: rows or columns of C split statically between its threads.
    public static func multiply(
        transposeA: Transpose = .none, transposeB: Transpose = .none,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false, pool: ThreadPool = .default
    ) {
        _checkShapes(transposeA, transposeB, m, n, k, lda, ldb, ldc)
        if m == 0 || n == 0 { return }
        if k == 0 { _scaleOnly(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate); return }
        let source = _Operands(a: a, lda: lda, transposeA: transposeA,
                                  b: b, ldb: ldb, transposeB: transposeB)
        let kernels = Kernels.active
        _runBlocked(kernels, kernels.gemmFloat, source, m: m, n: n, k: k, alpha: alpha, c: c, ldc: ldc,
                    accumulate: accumulate, pool: pool)
    }
}

/// Splits C between the pool's threads (`_Partition` in the tier's register tiles) and runs the
/// tier's blocked loop on each part with the thread's packing buffers.
func _runBlocked<E: GEMMInput>(
    _ kernels: TierKernels, _ blocked: TierKernels.Blocked<E>, _ source: _Operands<E>,
    m: Int, n: Int, k: Int, alpha: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool, pool: ThreadPool
) {
    let plan = _Partition(m: m, n: n, k: k, threads: pool.threadCount, mr: kernels.mr, nr: kernels.nr)
    pool.parallelFor(plan.parts) { part in
        let (rows, cols) = plan.ranges(part)
        if rows.isEmpty || cols.isEmpty { return }
        _GEMMWorkspace.current.withFloatPanels { packedA, packedB, tile in
            blocked(source, rows, cols, k, alpha, c, ldc, accumulate, packedA, packedB, tile)
        }
    }
}

/// Programmer-error checks shared by all GEMM entry points.
@inline(__always)
func _checkShapes(_ ta: Transpose, _ tb: Transpose, _ m: Int, _ n: Int, _ k: Int,
                  _ lda: Int, _ ldb: Int, _ ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "GEMM sizes must be non-negative: m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, ta == .none ? k : m), "lda=\(lda) too small for op(A) \(m)x\(k) (\(ta))")
    precondition(ldb >= max(1, tb == .none ? n : k), "ldb=\(ldb) too small for op(B) \(k)x\(n) (\(tb))")
    precondition(ldc >= max(1, n), "ldc=\(ldc) smaller than n=\(n)")
}

/// `C = accumulate ? C : 0` (the k = 0 product).
func _scaleOnly(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    if accumulate { return }
    for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
}

/// Static split of C between threads, along rows (in `mr` units) or columns (in `nr` units),
/// whichever makes the busiest thread cheaper. Its cost, in multiply-adds: its micro-tiles ×
/// `mr·nr·k`, plus `packCost` per element it packs. Splitting rows, every thread packs its own
/// rows of op(A) (`rows·k`) and all of op(B) (`k·n`); splitting columns, all of op(A) (`m·k`)
/// and its own columns of op(B). A tall, narrow C (4096 × 256) thus splits rows: splitting its
/// columns would save a fraction of a tile row but make every thread pack the whole of A (rows on
/// a tie). Boundaries are tile multiples; results do not depend on the split anyway, since every
/// C element is the same fma chain whichever tile computes it.
struct _Partition {
    let m: Int, n: Int, parts: Int, splitRows: Bool, unit: Int, units: Int

    /// Multiply-adds that packing one element costs: packing streams op(A) from L3 or memory at
    /// about one element per cycle, while the micro-kernel retires 32 multiply-adds per cycle.
    static let packCost = 32

    init(m: Int, n: Int, k: Int, threads: Int, mr: Int, nr: Int) {
        self.m = m; self.n = n
        let rowUnits = (m + mr - 1) / mr, colUnits = (n + nr - 1) / nr
        let rowParts = max(1, min(threads, rowUnits)), colParts = max(1, min(threads, colUnits))
        let rowsEach = (rowUnits + rowParts - 1) / rowParts
        let colsEach = (colUnits + colParts - 1) / colParts
        let tile = mr * nr * k
        let rowCost = rowsEach * colUnits * tile
            + Self.packCost * (min(m, rowsEach * mr) * k + k * n)
        let colCost = colsEach * rowUnits * tile
            + Self.packCost * (m * k + k * min(n, colsEach * nr))
        splitRows = rowCost <= colCost
        unit = splitRows ? mr : nr
        units = splitRows ? rowUnits : colUnits
        parts = splitRows ? rowParts : colParts
    }

    func ranges(_ part: Int) -> (Range<Int>, Range<Int>) {
        let u = ThreadPool.partition(units, parts: parts, part: part)
        let lo = u.lowerBound * unit, hi = min(u.upperBound * unit, splitRows ? m : n)
        return splitRows ? (lo ..< hi, 0 ..< n) : (0 ..< m, lo ..< hi)
    }
}
