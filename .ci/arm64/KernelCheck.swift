// The portable kernel tier on arm64 (issue #18), run by `.ci/arm64-check` under qemu-aarch64.
//
// KernelCore and KernelsPortable are compiled as Embedded Swift for aarch64 (the only arm64
// standard library this toolchain ships), with NEON, and linked against the arm64 glibc. This
// program runs the tier's table, the same entry points `Compute.Kernels` calls, on random inputs
// against a naive Double reference: fp32, bf16 and fp16 GEMM (every transpose, accumulate, edge
// tiles, cache-block boundaries, a split of C between two "threads") and both attention tiles.
// It exits non-zero on the first mismatch.
import KernelCore
import KernelsPortable
import Randomness

extension SplitMix64 {
    /// Uniform in [-1, 1), never exactly zero for the inputs' purposes (the check needs signal).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 + 1.0 / Float(1 << 25) }
}

var random = SplitMix64(seed: 0x1A2B_3C4D)
var checks = 0

/// C's fflush (stdout is buffered, and the trap below would lose the message).
@_silgen_name("fflush") func fflush(_ stream: UnsafeMutableRawPointer?) -> Int32

func fail(_ what: String) -> Never {
    print("FAIL: " + what)
    _ = fflush(nil)
    fatalError("arm64 kernel check failed")
}

func aligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: max(count, 16))
}

/// |got - want| <= 1e-5 · Σ|terms| + 1e-6, per element.
func compare(_ got: UnsafeMutablePointer<Float>, _ want: [Double], _ scale: [Double], _ what: String) {
    for i in 0..<want.count {
        let error = abs(Double(got[i]) - want[i])
        if !(error <= 1e-5 * scale[i] + 1e-6) {
            fail(what + " element \(i): got \(Int(Double(got[i]) * 1e6)) want \(Int(want[i] * 1e6)) (x1e-6)")
        }
    }
    checks += 1
}

let table = PortableKernels.table
let workspaceA = aligned(table.packedAFloats), workspaceB = aligned(table.packedBFloats)
let tile = aligned(table.tileFloats)

func gemm<E: GEMMInput>(_ blocked: TierKernels.Blocked<E>, _ convert: (Float) -> E, _ name: String,
                        m: Int, n: Int, k: Int, ta: Transpose, tb: Transpose, alpha: Float,
                        accumulate: Bool, split: Bool) {
    let lda = (ta == .none ? k : m) + 3, ldb = (tb == .none ? n : k) + 1, ldc = n + 2
    let aRows = ta == .none ? m : k, bRows = tb == .none ? k : n
    var a = [E](), b = [E]()
    for _ in 0..<(aRows * lda) { a.append(convert(random.float())) }
    for _ in 0..<(bRows * ldb) { b.append(convert(random.float())) }
    let c = aligned(m * ldc)
    var want = [Double](repeating: 0, count: m * ldc), scale = [Double](repeating: 0, count: m * ldc)
    for i in 0..<(m * ldc) { c[i] = random.float() }
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                let x = Double((ta == .none ? a[i * lda + p] : a[p * lda + i])._widened)
                let y = Double((tb == .none ? b[p * ldb + j] : b[j * ldb + p])._widened)
                sum += x * y; magnitude += abs(x * y)
            }
            want[i * ldc + j] = Double(alpha) * sum + (accumulate ? Double(c[i * ldc + j]) : 0)
            scale[i * ldc + j] = abs(Double(alpha)) * magnitude + (accumulate ? abs(Double(c[i * ldc + j])) : 0)
        }
        for j in n..<ldc { want[i * ldc + j] = Double(c[i * ldc + j]) }  // padding untouched
    }
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            let source = _Operands(a: ap.baseAddress!, lda: lda, transposeA: ta,
                                   b: bp.baseAddress!, ldb: ldb, transposeB: tb)
            if split {  // two parts of C, as two threads would get them (rows in mr units)
                let cut = min(m, (m / 2 + table.mr - 1) / table.mr * table.mr)
                blocked(source, 0 ..< cut, 0 ..< n, k, alpha, c, ldc, accumulate, workspaceA, workspaceB, tile)
                if cut < m {
                    blocked(source, cut ..< m, 0 ..< n, k, alpha, c, ldc, accumulate, workspaceA, workspaceB, tile)
                }
            } else {
                blocked(source, 0 ..< m, 0 ..< n, k, alpha, c, ldc, accumulate, workspaceA, workspaceB, tile)
            }
        }
    }
    compare(c, want, scale, "\(name) GEMM m=\(m) n=\(n) k=\(k) ta=\(ta == .none ? 0 : 1) tb=\(tb == .none ? 0 : 1)")
    UnsafeMutableRawPointer(c).deallocate()
}

let shapes: [(Int, Int, Int)] = [(1, 1, 1), (7, 9, 5), (6, 8, 256), (13, 17, 300), (50, 33, 257),
                                 (150, 70, 40), (3, 2100, 10), (31, 64, 64)]
for (index, (m, n, k)) in shapes.enumerated() {
    for ta in [Transpose.none, .transposed] {
        for tb in [Transpose.none, .transposed] {
            let accumulate = (index + (ta == .none ? 0 : 1)) % 2 == 0
            let alpha: Float = tb == .none ? 1 : 0.5
            let split = index % 3 == 1
            gemm(table.gemmFloat, { $0 }, "fp32", m: m, n: n, k: k, ta: ta, tb: tb, alpha: alpha,
                 accumulate: accumulate, split: split)
            gemm(table.gemmBFloat16, { BFloat16($0) }, "bf16", m: m, n: n, k: k, ta: ta, tb: tb,
                 alpha: alpha, accumulate: !accumulate, split: !split)
            gemm(table.gemmFloat16, { Float16($0) }, "fp16", m: m, n: n, k: k, ta: ta, tb: tb,
                 alpha: alpha, accumulate: accumulate, split: split)
        }
    }
}

// Attention scores: C[i, 0..<64] = Σ_p A[i, p] · Bt[p, 0..<64].
for (m, k) in [(1, 1), (5, 64), (6, 64), (13, 32), (64, 128)] {
    let lda = k + 1, ldb = 64 + 16, ldc = 64 + 8
    let a = aligned(m * lda), bt = aligned(k * ldb), c = aligned(m * ldc)
    for i in 0..<(m * lda) { a[i] = random.float() }
    for i in 0..<(k * ldb) { bt[i] = random.float() }
    var want = [Double](repeating: 0, count: m * ldc), scale = want
    for i in 0..<(m * ldc) { c[i] = random.float() }
    for i in 0..<m {
        for j in 0..<ldc {
            if j >= 64 { want[i * ldc + j] = Double(c[i * ldc + j]); continue }
            for p in 0..<k {
                let term = Double(a[i * lda + p]) * Double(bt[p * ldb + j])
                want[i * ldc + j] += term; scale[i * ldc + j] += abs(term)
            }
        }
    }
    table.attentionScores(a, lda, bt, ldb, c, ldc, m, k)
    compare(c, want, scale, "attention scores m=\(m) k=\(k)")
}

// Attention accumulate: C[i, 0..<cols] += Σ_j A(i, j) · B[j, 0..<cols], A(i, j) = a[i*ars + j*acs].
for (m, n, cols, transposedA) in [(1, 1, 16, false), (7, 64, 64, false), (6, 33, 32, true), (13, 64, 48, true)] {
    let ars = transposedA ? 1 : n + 2, acs = transposedA ? m + 1 : 1
    let aCount = transposedA ? n * acs : m * ars
    let ldb = cols + 4, ldc = cols + 3
    let a = aligned(aCount), b = aligned(n * ldb), c = aligned(m * ldc)
    for i in 0..<aCount { a[i] = random.float() }
    for i in 0..<(n * ldb) { b[i] = random.float() }
    var want = [Double](repeating: 0, count: m * ldc), scale = want
    for i in 0..<(m * ldc) { c[i] = random.float(); want[i] = Double(c[i]); scale[i] = abs(Double(c[i])) }
    for i in 0..<m {
        for col in 0..<cols {
            for j in 0..<n {
                let term = Double(a[i * ars + j * acs]) * Double(b[j * ldb + col])
                want[i * ldc + col] += term; scale[i * ldc + col] += abs(term)
            }
        }
    }
    table.attentionAccumulate(a, ars, acs, b, ldb, c, ldc, m, n, cols)
    compare(c, want, scale, "attention accumulate m=\(m) n=\(n) cols=\(cols)")
}

print("arm64 portable tier: \(checks) checks against the reference, all within 1e-5 (tier \(table.tier.rawValue), tile \(table.mr)x\(table.nr))")
