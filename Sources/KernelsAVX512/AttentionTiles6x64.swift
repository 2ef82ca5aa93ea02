import KernelCore

// The AVX-512 tier's attention tiles: register-blocked SIMD16 products shared by the flash and
// the naive fp32 kernels. Both keep 24 accumulators (6 rows x 4 vectors of 16 floats) in zmm
// registers and issue one FMA per (row, vector) per contraction step; leftover rows go through
// 4-row and 1-row blocks. Each C element is one FMA chain over the contraction in order.


/// C[i, 0..<64] = sum_{p < k} A[i, p] * Bt[p, 0..<64] for i < m: a row block of scores against a
/// 64-column block of keys given transposed.
///
/// - a: row i at `a + i * lda`, k floats read.
/// - bt: row p at `bt + p * ldb`, 64 floats read.
/// - c: row i at `c + i * ldc`, 64 floats written.
@inline(never)
func tileScores(_ a: UnsafePointer<Float>, lda: Int, _ bt: UnsafePointer<Float>, ldb: Int,
                _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int) {
    var i = 0
    while i + 6 <= m {
        let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda
        var c00 = V16(), c01 = V16(), c02 = V16(), c03 = V16()
        var c10 = V16(), c11 = V16(), c12 = V16(), c13 = V16()
        var c20 = V16(), c21 = V16(), c22 = V16(), c23 = V16()
        var c30 = V16(), c31 = V16(), c32 = V16(), c33 = V16()
        var c40 = V16(), c41 = V16(), c42 = V16(), c43 = V16()
        var c50 = V16(), c51 = V16(), c52 = V16(), c53 = V16()
        var bp = bt
        for p in 0..<k {
            let b0 = load16(bp), b1 = load16(bp + 16), b2 = load16(bp + 32), b3 = load16(bp + 48)
            let x0 = V16(repeating: a0[p]), x1 = V16(repeating: a1[p]), x2 = V16(repeating: a2[p])
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
            c02 = c02.addingProduct(x0, b2); c03 = c03.addingProduct(x0, b3)
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
            c12 = c12.addingProduct(x1, b2); c13 = c13.addingProduct(x1, b3)
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
            c22 = c22.addingProduct(x2, b2); c23 = c23.addingProduct(x2, b3)
            let x3 = V16(repeating: a3[p]), x4 = V16(repeating: a4[p]), x5 = V16(repeating: a5[p])
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
            c32 = c32.addingProduct(x3, b2); c33 = c33.addingProduct(x3, b3)
            c40 = c40.addingProduct(x4, b0); c41 = c41.addingProduct(x4, b1)
            c42 = c42.addingProduct(x4, b2); c43 = c43.addingProduct(x4, b3)
            c50 = c50.addingProduct(x5, b0); c51 = c51.addingProduct(x5, b1)
            c52 = c52.addingProduct(x5, b2); c53 = c53.addingProduct(x5, b3)
            bp += ldb
        }
        let r0 = c + i * ldc, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc
        store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
        store16(c10, r1); store16(c11, r1 + 16); store16(c12, r1 + 32); store16(c13, r1 + 48)
        store16(c20, r2); store16(c21, r2 + 16); store16(c22, r2 + 32); store16(c23, r2 + 48)
        store16(c30, r3); store16(c31, r3 + 16); store16(c32, r3 + 32); store16(c33, r3 + 48)
        store16(c40, r4); store16(c41, r4 + 16); store16(c42, r4 + 32); store16(c43, r4 + 48)
        store16(c50, r5); store16(c51, r5 + 16); store16(c52, r5 + 32); store16(c53, r5 + 48)
        i += 6
    }
    while i + 4 <= m {
        let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
        var c00 = V16(), c01 = V16(), c02 = V16(), c03 = V16()
        var c10 = V16(), c11 = V16(), c12 = V16(), c13 = V16()
        var c20 = V16(), c21 = V16(), c22 = V16(), c23 = V16()
        var c30 = V16(), c31 = V16(), c32 = V16(), c33 = V16()
        var bp = bt
        for p in 0..<k {
            let b0 = load16(bp), b1 = load16(bp + 16), b2 = load16(bp + 32), b3 = load16(bp + 48)
            let x0 = V16(repeating: a0[p]), x1 = V16(repeating: a1[p])
            let x2 = V16(repeating: a2[p]), x3 = V16(repeating: a3[p])
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
            c02 = c02.addingProduct(x0, b2); c03 = c03.addingProduct(x0, b3)
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
            c12 = c12.addingProduct(x1, b2); c13 = c13.addingProduct(x1, b3)
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
            c22 = c22.addingProduct(x2, b2); c23 = c23.addingProduct(x2, b3)
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
            c32 = c32.addingProduct(x3, b2); c33 = c33.addingProduct(x3, b3)
            bp += ldb
        }
        let r0 = c + i * ldc, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc
        store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
        store16(c10, r1); store16(c11, r1 + 16); store16(c12, r1 + 32); store16(c13, r1 + 48)
        store16(c20, r2); store16(c21, r2 + 16); store16(c22, r2 + 32); store16(c23, r2 + 48)
        store16(c30, r3); store16(c31, r3 + 16); store16(c32, r3 + 32); store16(c33, r3 + 48)
        i += 4
    }
    while i < m {
        let a0 = a + i * lda
        var c00 = V16(), c01 = V16(), c02 = V16(), c03 = V16()
        var bp = bt
        for p in 0..<k {
            let x0 = V16(repeating: a0[p])
            c00 = c00.addingProduct(x0, load16(bp)); c01 = c01.addingProduct(x0, load16(bp + 16))
            c02 = c02.addingProduct(x0, load16(bp + 32)); c03 = c03.addingProduct(x0, load16(bp + 48))
            bp += ldb
        }
        let r0 = c + i * ldc
        store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
        i += 1
    }
}

/// C[i, 0..<cols] += sum_{j < n} A(i, j) * B[j, 0..<cols] for i < m, where A(i, j) = a[i * ars + j * acs]
/// (so A may be read transposed) and `cols` is a multiple of 16.
///
/// - b: row j at `b + j * ldb`, `cols` floats read.
/// - c: row i at `c + i * ldc`, `cols` floats read and written.
@inline(never)
func tileAccumulate(_ a: UnsafePointer<Float>, ars: Int, acs: Int, _ b: UnsafePointer<Float>, ldb: Int,
                    _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, cols: Int) {
    var col = 0
    while col + 64 <= cols {
        var i = 0
        while i + 6 <= m {
            let r0 = c + i * ldc + col, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc
            var c00 = load16(r0), c01 = load16(r0 + 16), c02 = load16(r0 + 32), c03 = load16(r0 + 48)
            var c10 = load16(r1), c11 = load16(r1 + 16), c12 = load16(r1 + 32), c13 = load16(r1 + 48)
            var c20 = load16(r2), c21 = load16(r2 + 16), c22 = load16(r2 + 32), c23 = load16(r2 + 48)
            var c30 = load16(r3), c31 = load16(r3 + 16), c32 = load16(r3 + 32), c33 = load16(r3 + 48)
            var c40 = load16(r4), c41 = load16(r4 + 16), c42 = load16(r4 + 32), c43 = load16(r4 + 48)
            var c50 = load16(r5), c51 = load16(r5 + 16), c52 = load16(r5 + 32), c53 = load16(r5 + 48)
            var a0 = a + i * ars
            let a1d = ars, a2d = 2 * ars, a3d = 3 * ars, a4d = 4 * ars, a5d = 5 * ars
            var bp = b + col
            for _ in 0..<n {
                let b0 = load16(bp), b1 = load16(bp + 16), b2 = load16(bp + 32), b3 = load16(bp + 48)
                let x0 = V16(repeating: a0[0]), x1 = V16(repeating: a0[a1d]), x2 = V16(repeating: a0[a2d])
                c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
                c02 = c02.addingProduct(x0, b2); c03 = c03.addingProduct(x0, b3)
                c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
                c12 = c12.addingProduct(x1, b2); c13 = c13.addingProduct(x1, b3)
                c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
                c22 = c22.addingProduct(x2, b2); c23 = c23.addingProduct(x2, b3)
                let x3 = V16(repeating: a0[a3d]), x4 = V16(repeating: a0[a4d]), x5 = V16(repeating: a0[a5d])
                c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
                c32 = c32.addingProduct(x3, b2); c33 = c33.addingProduct(x3, b3)
                c40 = c40.addingProduct(x4, b0); c41 = c41.addingProduct(x4, b1)
                c42 = c42.addingProduct(x4, b2); c43 = c43.addingProduct(x4, b3)
                c50 = c50.addingProduct(x5, b0); c51 = c51.addingProduct(x5, b1)
                c52 = c52.addingProduct(x5, b2); c53 = c53.addingProduct(x5, b3)
                a0 += acs
                bp += ldb
            }
            store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
            store16(c10, r1); store16(c11, r1 + 16); store16(c12, r1 + 32); store16(c13, r1 + 48)
            store16(c20, r2); store16(c21, r2 + 16); store16(c22, r2 + 32); store16(c23, r2 + 48)
            store16(c30, r3); store16(c31, r3 + 16); store16(c32, r3 + 32); store16(c33, r3 + 48)
            store16(c40, r4); store16(c41, r4 + 16); store16(c42, r4 + 32); store16(c43, r4 + 48)
            store16(c50, r5); store16(c51, r5 + 16); store16(c52, r5 + 32); store16(c53, r5 + 48)
            i += 6
        }
        while i + 4 <= m {
            let r0 = c + i * ldc + col, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc
            var c00 = load16(r0), c01 = load16(r0 + 16), c02 = load16(r0 + 32), c03 = load16(r0 + 48)
            var c10 = load16(r1), c11 = load16(r1 + 16), c12 = load16(r1 + 32), c13 = load16(r1 + 48)
            var c20 = load16(r2), c21 = load16(r2 + 16), c22 = load16(r2 + 32), c23 = load16(r2 + 48)
            var c30 = load16(r3), c31 = load16(r3 + 16), c32 = load16(r3 + 32), c33 = load16(r3 + 48)
            var a0 = a + i * ars
            let a1d = ars, a2d = 2 * ars, a3d = 3 * ars
            var bp = b + col
            for _ in 0..<n {
                let b0 = load16(bp), b1 = load16(bp + 16), b2 = load16(bp + 32), b3 = load16(bp + 48)
                let x0 = V16(repeating: a0[0]), x1 = V16(repeating: a0[a1d])
                let x2 = V16(repeating: a0[a2d]), x3 = V16(repeating: a0[a3d])
                c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
                c02 = c02.addingProduct(x0, b2); c03 = c03.addingProduct(x0, b3)
                c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
                c12 = c12.addingProduct(x1, b2); c13 = c13.addingProduct(x1, b3)
                c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
                c22 = c22.addingProduct(x2, b2); c23 = c23.addingProduct(x2, b3)
                c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
                c32 = c32.addingProduct(x3, b2); c33 = c33.addingProduct(x3, b3)
                a0 += acs
                bp += ldb
            }
            store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
            store16(c10, r1); store16(c11, r1 + 16); store16(c12, r1 + 32); store16(c13, r1 + 48)
            store16(c20, r2); store16(c21, r2 + 16); store16(c22, r2 + 32); store16(c23, r2 + 48)
            store16(c30, r3); store16(c31, r3 + 16); store16(c32, r3 + 32); store16(c33, r3 + 48)
            i += 4
        }
        while i < m {
            let r0 = c + i * ldc + col
            var c00 = load16(r0), c01 = load16(r0 + 16), c02 = load16(r0 + 32), c03 = load16(r0 + 48)
            var a0 = a + i * ars
            var bp = b + col
            for _ in 0..<n {
                let x0 = V16(repeating: a0[0])
                c00 = c00.addingProduct(x0, load16(bp)); c01 = c01.addingProduct(x0, load16(bp + 16))
                c02 = c02.addingProduct(x0, load16(bp + 32)); c03 = c03.addingProduct(x0, load16(bp + 48))
                a0 += acs
                bp += ldb
            }
            store16(c00, r0); store16(c01, r0 + 16); store16(c02, r0 + 32); store16(c03, r0 + 48)
            i += 1
        }
        col += 64
    }
    // Remaining 16-column vectors (head dims not a multiple of 64): 8 rows x 1 vector.
    while col < cols {
        var i = 0
        while i + 8 <= m {
            let r0 = c + i * ldc + col
            var acc0 = load16(r0), acc1 = load16(r0 + ldc), acc2 = load16(r0 + 2 * ldc)
            var acc3 = load16(r0 + 3 * ldc), acc4 = load16(r0 + 4 * ldc), acc5 = load16(r0 + 5 * ldc)
            var acc6 = load16(r0 + 6 * ldc), acc7 = load16(r0 + 7 * ldc)
            var a0 = a + i * ars
            var bp = b + col
            for _ in 0..<n {
                let bv = load16(bp)
                acc0 = acc0.addingProduct(V16(repeating: a0[0]), bv)
                acc1 = acc1.addingProduct(V16(repeating: a0[ars]), bv)
                acc2 = acc2.addingProduct(V16(repeating: a0[2 * ars]), bv)
                acc3 = acc3.addingProduct(V16(repeating: a0[3 * ars]), bv)
                acc4 = acc4.addingProduct(V16(repeating: a0[4 * ars]), bv)
                acc5 = acc5.addingProduct(V16(repeating: a0[5 * ars]), bv)
                acc6 = acc6.addingProduct(V16(repeating: a0[6 * ars]), bv)
                acc7 = acc7.addingProduct(V16(repeating: a0[7 * ars]), bv)
                a0 += acs
                bp += ldb
            }
            store16(acc0, r0); store16(acc1, r0 + ldc); store16(acc2, r0 + 2 * ldc)
            store16(acc3, r0 + 3 * ldc); store16(acc4, r0 + 4 * ldc); store16(acc5, r0 + 5 * ldc)
            store16(acc6, r0 + 6 * ldc); store16(acc7, r0 + 7 * ldc)
            i += 8
        }
        while i < m {
            let r0 = c + i * ldc + col
            var acc = load16(r0)
            var a0 = a + i * ars
            var bp = b + col
            for _ in 0..<n {
                acc = acc.addingProduct(V16(repeating: a0[0]), load16(bp))
                a0 += acs
                bp += ldb
            }
            store16(acc, r0)
            i += 1
        }
        col += 16
    }
}
