import Attention
import Training
import XCTest

final class LayerGradientTests: XCTestCase {
    func testLayerNormBackwardMatchesFiniteDifferences() {
        var gc = GradientCheck(seed: 11)
        let R = 3, C = 37
        var x = gc.randoms(R * C), w = gc.randoms(C), b = gc.randoms(C)
        let W = gc.randoms(R * C)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: R * C), mean = [Float](repeating: 0, count: R), rstd = mean
            LayerNorm.forward(out: &out, mean: &mean, rstd: &rstd, x: x, weight: w, bias: b, rows: R, C: C)
            return GradientCheck.dot(out, W)
        }
        var out = [Float](repeating: 0, count: R * C), mean = [Float](repeating: 0, count: R), rstd = mean
        LayerNorm.forward(out: &out, mean: &mean, rstd: &rstd, x: x, weight: w, bias: b, rows: R, C: C)
        var dx = [Float](repeating: 0.5, count: R * C), dw = [Float](repeating: 0.25, count: C), db = dw
        LayerNorm.backward(dx: &dx, dweight: &dw, dbias: &db, dout: W, x: x, weight: w, mean: mean, rstd: rstd, rows: R, C: C)
        // backward accumulates: subtract the initial values
        dx = dx.map { $0 - 0.5 }; dw = dw.map { $0 - 0.25 }; db = db.map { $0 - 0.25 }
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&x) { loss($0, w, b) }, dx), 2e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&w) { loss(x, $0, b) }, dw), 2e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&b) { loss(x, w, $0) }, db), 2e-3)
    }

    func testRMSNormBackwardMatchesFiniteDifferences() {
        var gc = GradientCheck(seed: 12)
        let R = 4, C = 21
        var x = gc.randoms(R * C), w = gc.randoms(C)
        let W = gc.randoms(R * C)
        func loss(_ x: [Float], _ w: [Float]) -> Double {
            var out = [Float](repeating: 0, count: R * C), rstd = [Float](repeating: 0, count: R)
            RMSNorm.forward(out: &out, rstd: &rstd, x: x, weight: w, rows: R, C: C)
            return GradientCheck.dot(out, W)
        }
        var out = [Float](repeating: 0, count: R * C), rstd = [Float](repeating: 0, count: R)
        RMSNorm.forward(out: &out, rstd: &rstd, x: x, weight: w, rows: R, C: C)
        var dx = [Float](repeating: 0, count: R * C), dw = [Float](repeating: 0, count: C)
        RMSNorm.backward(dx: &dx, dweight: &dw, dout: W, x: x, weight: w, rstd: rstd, rows: R, C: C)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&x) { loss($0, w) }, dx), 2e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&w) { loss(x, $0) }, dw), 2e-3)
    }

    func testGELUValuesAndBackward() {
        var gc = GradientCheck(seed: 13)
        let n = 53  // a SIMD body and a scalar tail
        var x = gc.randoms(n, scale: 3)
        let W = gc.randoms(n)
        var out = [Float](repeating: 0, count: n)
        GELU.forward(out: &out, x: x, count: n)
        for i in 0..<n {
            let v = Double(x[i])
            let exact = 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
            XCTAssertEqual(Double(out[i]), exact, accuracy: 1e-6 * max(1, abs(exact)))
        }
        var dx = [Float](repeating: 0, count: n)
        GELU.backward(dx: &dx, x: x, dout: W, count: n)
        let num = GradientCheck.numerical(&x, eps: 1e-3) { x in
            var o = [Float](repeating: 0, count: n)
            GELU.forward(out: &o, x: x, count: n)
            return GradientCheck.dot(o, W)
        }
        XCTAssertLessThan(GradientCheck.relativeError(num, dx), 2e-3)
    }

    func testCrossEntropyLossAndGradient() {
        var gc = GradientCheck(seed: 14)
        let R = 3, V = 35
        var logits = gc.randoms(R * V, scale: 2)
        let targets: [Int32] = [0, 17, 34]
        func loss(_ l: [Float]) -> Double {
            var losses = [Float](repeating: 0, count: R), lse = losses
            CrossEntropy.forward(losses: &losses, logsumexp: &lse, logits: l, targets: targets, rows: R, V: V)
            return losses.reduce(0) { $0 + Double($1) }
        }
        // loss equals -log softmax computed in Double
        var expected = 0.0
        for r in 0..<R {
            let row = logits[(r * V)..<((r + 1) * V)].map(Double.init)
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            expected += lse - row[Int(targets[r])]
        }
        XCTAssertEqual(loss(logits), expected, accuracy: 1e-4)
        var losses = [Float](repeating: 0, count: R), lse = losses
        CrossEntropy.forward(losses: &losses, logsumexp: &lse, logits: logits, targets: targets, rows: R, V: V)
        var grad = logits
        CrossEntropy.backward(logitsToGradient: &grad, logsumexp: lse, targets: targets, rows: R, V: V, scale: 1)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&logits, eps: 1e-2, loss), grad), 3e-3)
    }

    func testLinearReferenceBackward() {
        var gc = GradientCheck(seed: 15)
        let R = 3, IC = 5, OC = 4
        var x = gc.randoms(R * IC), w = gc.randoms(OC * IC), b = gc.randoms(OC)
        let W = gc.randoms(R * OC)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: R * OC)
            LinearReference.forward(out: &out, inp: x, weight: w, bias: b, rows: R, inFeatures: IC, outFeatures: OC)
            return GradientCheck.dot(out, W)
        }
        var dx = [Float](repeating: 0, count: R * IC), dw = [Float](repeating: 0, count: OC * IC), db = [Float](repeating: 0, count: OC)
        LinearReference.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: W, inp: x, weight: w, rows: R, inFeatures: IC, outFeatures: OC)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&x) { loss($0, w, b) }, dx), 1e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&w) { loss(x, $0, b) }, dw), 1e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&b) { loss(x, w, $0) }, db), 1e-3)
    }

    func testAttentionReferenceBackward() {
        var gc = GradientCheck(seed: 16)
        let B = 1, NH = 2, T = 5, d = 4, n = B * NH * T * d
        var q = gc.randoms(n), k = gc.randoms(n), v = gc.randoms(n)
        let W = gc.randoms(n)
        func loss(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            var out = [Float](repeating: 0, count: n), lse = [Float](repeating: 0, count: B * NH * T)
            AttentionReference.forward(out: &out, lse: &lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
            return GradientCheck.dot(out, W)
        }
        var out = [Float](repeating: 0, count: n), lse = [Float](repeating: 0, count: B * NH * T)
        AttentionReference.forward(out: &out, lse: &lse, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
        var dq = [Float](repeating: 0, count: n), dk = dq, dv = dq
        AttentionReference.backward(dq: &dq, dk: &dk, dv: &dv, dout: W, q: q, k: k, v: v, B: B, NH: NH, T: T, d: d)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&q) { loss($0, k, v) }, dq), 2e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&k) { loss(q, $0, v) }, dk), 2e-3)
        XCTAssertLessThan(GradientCheck.relativeError(GradientCheck.numerical(&v) { loss(q, k, $0) }, dv), 2e-3)
        // first query attends only to itself: its output is v at position 0
        for c in 0..<d { XCTAssertEqual(out[c], v[c], accuracy: 1e-6) }
    }

    func testRoPEInverseUndoesForwardAndPreservesNorms() {
        var gc = GradientCheck(seed: 17)
        let T = 6, d = 8, heads = 3
        let x = gc.randoms(heads * T * d)
        var y = x
        let rope = RoPE(T: T, headDim: d)
        y.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, heads: heads) }
        XCTAssertNotEqual(x, y)
        for r in 0..<(heads * T) {
            let a = x[(r * d)..<((r + 1) * d)].reduce(0) { $0 + $1 * $1 }
            let b = y[(r * d)..<((r + 1) * d)].reduce(0) { $0 + $1 * $1 }
            XCTAssertEqual(a, b, accuracy: 1e-4 * a)
        }
        y.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, heads: heads, inverse: true) }
        for i in x.indices { XCTAssertEqual(x[i], y[i], accuracy: 1e-5) }
    }
}
