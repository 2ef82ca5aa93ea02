import Compute
import Randomness
import XCTest

/// Random kernel inputs from the seeded generator, so failures reproduce.
extension SplitMix64 {
    /// Uniform in [-1, 1), never exactly representing a structured pattern.
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
    mutating func buffer(_ count: Int) -> AlignedBuffer<Float> {
        let b = AlignedBuffer<Float>(count: count)
        for i in 0..<count { b[i] = uniform() }
        return b
    }
}

/// One GEMM problem: operands stored with the given layout and (possibly padded) leading
/// dimensions, plus the element-wise bound Σ_p |op(A)[i,p]| |op(B)[p,j]| for error checks.
struct GEMMProblem {
    let ta: Transpose, tb: Transpose
    let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
    let a: AlignedBuffer<Float>, b: AlignedBuffer<Float>, c0: AlignedBuffer<Float>

    init(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, pad: Int = 0,
         rng: inout SplitMix64) {
        self.ta = ta; self.tb = tb; self.m = m; self.n = n; self.k = k
        lda = (ta == .none ? k : m) + pad
        ldb = (tb == .none ? n : k) + pad
        ldc = n + pad
        a = rng.buffer((ta == .none ? m : k) * lda)
        b = rng.buffer((tb == .none ? k : n) * ldb)
        c0 = rng.buffer(m * ldc)
    }

    init(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int,
         a: AlignedBuffer<Float>, b: AlignedBuffer<Float>, c0: AlignedBuffer<Float>) {
        self.ta = ta; self.tb = tb; self.m = m; self.n = n; self.k = k
        self.lda = lda; self.ldb = ldb; self.ldc = ldc; self.a = a; self.b = b; self.c0 = c0
    }

    func opA(_ i: Int, _ p: Int) -> Float { ta == .none ? a[i * lda + p] : a[p * lda + i] }
    func opB(_ p: Int, _ j: Int) -> Float { tb == .none ? b[p * ldb + j] : b[j * ldb + p] }

    /// Σ_p |op(A)[i,p] op(B)[p,j]| (scale for relative error bounds).
    func magnitude(_ i: Int, _ j: Int) -> Double {
        var s = 0.0
        for p in 0..<k { s += abs(Double(opA(i, p)) * Double(opB(p, j))) }
        return s
    }

    /// A copy of the initial C.
    func freshC() -> AlignedBuffer<Float> {
        let c = AlignedBuffer<Float>(count: c0.count)
        c.pointer.update(from: c0.pointer, count: c0.count)
        return c
    }
}

/// Asserts |got - want| ≤ tol · (Σ|a||b|·|alpha| + |C0| when accumulating) + 1e-30 on the m×n
/// block, and that padding columns of C (j ≥ n) are untouched.
func assertClose(_ got: AlignedBuffer<Float>, _ want: AlignedBuffer<Float>, _ p: GEMMProblem,
                 alpha: Float, accumulate: Bool, tol: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    var worst = 0.0
    for i in 0..<p.m {
        for j in 0..<p.n {
            let idx = i * p.ldc + j
            let scale = p.magnitude(i, j) * Double(abs(alpha))
                + (accumulate ? Double(abs(p.c0[idx])) : 0) + 1e-30
            let err = abs(Double(got[idx]) - Double(want[idx])) / scale
            worst = max(worst, err)
            if !(err <= tol) {
                XCTFail("\(what): C[\(i),\(j)] = \(got[idx]), reference \(want[idx]), "
                    + "relative error \(err) > \(tol)", file: file, line: line)
                return
            }
        }
        for j in p.n..<p.ldc where got[i * p.ldc + j] != p.c0[i * p.ldc + j] {
            XCTFail("\(what): padding C[\(i),\(j)] was written", file: file, line: line)
            return
        }
    }
}
