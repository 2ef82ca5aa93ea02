import Compute

/// The block's operations whose operands depend on the precision policy: a saved tensor that is
/// narrow (`PrecisionTensor`) is read in its own format by the mixed-precision matmuls and
/// attention; under fp32 the fp32 tensor is read by the fp32 kernels.
extension TransformerBlock {
    /// out (R, OC) = inp · Wᵀ + bias. Narrow: the saved `inp` and the matmul copy `half` of W in
    /// the compute format, fp32 accumulation and output, the bias (if any) added in fp32.
    func linear(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, saved: PrecisionTensor?,
                weight: UnsafePointer<Float>, half: UnsafePointer<UInt16>?, bias: UnsafePointer<Float>?,
                inFeatures IC: Int, outFeatures OC: Int, scratch: BlockScratch) {
        guard let saved, let half, let n = scratch.narrow else {
            kernels.linearForward(out: out, inp: inp, weight: weight, bias: bias, rows: R, inFeatures: IC, outFeatures: OC)
            return
        }
        let a = saved.operand(n.compute, scratch: n.operand, kernels: kernels)
        if let bias {
            chunks(R) { lo, count in
                for r in lo..<(lo + count) { (out + r * OC).update(from: bias, count: OC) }
            }
        }
        kernels.halfMatmul(n.compute, transposeA: .none, transposeB: .transposed, m: R, n: OC, k: IC, alpha: 1,
                           a: a, lda: IC, b: half, ldb: IC, c: out, ldc: OC, accumulate: bias != nil)
    }

    /// dinp += dout · W; dweight += doutᵀ · inp; dbias += Σ_rows dout. Narrow: dout rounded to the
    /// compute format, fp32 accumulation into the fp32 gradients, the bias gradient in fp32.
    func linearBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                        dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        saved: PrecisionTensor?, weight: UnsafePointer<Float>, half: UnsafePointer<UInt16>?,
                        inFeatures IC: Int, outFeatures OC: Int, scratch: BlockScratch) {
        guard let saved, let half, let n = scratch.narrow else {
            kernels.linearBackward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                                   rows: R, inFeatures: IC, outFeatures: OC)
            return
        }
        let fmt = n.compute, dh = n.dout.pointer
        PrecisionTensor.split(R * OC, kernels) { lo, count in
            switch fmt {
            case .bf16: Convert.floatToBFloat16(dout + lo, bf16Pointer(dh + lo), count: count)
            case .fp16:
                Convert.floatToFloat16(dout + lo, UnsafeMutableRawPointer(dh + lo).assumingMemoryBound(to: Float16.self), count: count)
            }
        }
        kernels.halfMatmul(fmt, transposeA: .none, transposeB: .none, m: R, n: IC, k: OC, alpha: 1,
                           a: dh, lda: OC, b: half, ldb: IC, c: dinp, ldc: IC, accumulate: true)
        let a = saved.operand(fmt, scratch: n.operand, kernels: kernels)
        kernels.halfMatmul(fmt, transposeA: .transposed, transposeB: .none, m: OC, n: IC, k: R, alpha: 1,
                           a: dh, lda: OC, b: a, ldb: IC, c: dweight, ldc: IC, accumulate: true)
        // columns split between threads: each bias element summed over rows in a fixed order
        let parts = max(1, min(kernels.threads, OC / 16)), R = self.R
        kernels.parallel(parts) { part in
            let lo = OC * part / parts, hi = OC * (part + 1) / parts
            for r in 0..<R {
                let row = dout + r * OC
                for o in lo..<hi { dbias[o] += row[o] }
            }
        }
    }

    /// Attention of block `i` into `out` (B, heads, T, d) and its logsumexp. Narrow q, k, v are
    /// read as bf16 by the local flash kernel, or widened to fp32 (fp16, which has no kernel of its
    /// own, and ring attention, which passes fp32 blocks between ranks).
    func attentionForward(_ i: Int, out: UnsafeMutablePointer<Float>, _ a: BlockActivations, _ s: BlockScratch) throws {
        let lse = a.lse[i].pointer
        var (q, k, v) = (UnsafePointer(a.q[i].pointer), UnsafePointer(a.k[i].pointer), UnsafePointer(a.v[i].pointer))
        if let n = a.narrow, let wide = s.narrow {
            if ring == nil && n.q[i].format == .bf16 {
                kernels.attentionForward(out: out, lse: lse, q: bf16(n.q[i]), k: bf16(n.k[i]), v: bf16(n.v[i]),
                                         B: B, NH: heads, T: T, d: headDim)
                return
            }
            (q, k, v) = widen(n.q[i], n.k[i], n.v[i], into: wide)
        }
        if let ring {
            try ring.forward(out: out, lse: lse, q: q, k: k, v: v, kernels: kernels)
        } else {
            kernels.attentionForward(out: out, lse: lse, q: q, k: k, v: v, B: B, NH: heads, T: T, d: headDim)
        }
    }

    /// Attention backward of block `i`: s.dAttO holds d(out); writes s.dq, s.dk, s.dv. Narrow:
    /// the attention output is rebuilt from the saved merged heads (through s.dLn, free here).
    func attentionBackward(_ i: Int, _ a: BlockActivations, _ s: BlockScratch) throws {
        let lse = a.lse[i].pointer, dq = s.dq.pointer, dk = s.dk.pointer, dv = s.dv.pointer, dout = s.dAttO.pointer
        var out = UnsafePointer(a.attO[i].pointer)
        var (q, k, v) = (UnsafePointer(a.q[i].pointer), UnsafePointer(a.k[i].pointer), UnsafePointer(a.v[i].pointer))
        if let n = a.narrow, let wide = s.narrow {
            n.attY[i].widen(into: s.dLn.pointer, kernels: kernels)
            layout.split(s.dLn.pointer, into: wide.attO.pointer)
            out = UnsafePointer(wide.attO.pointer)
            if ring == nil && n.q[i].format == .bf16 {
                kernels.attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: bf16(n.q[i]), k: bf16(n.k[i]),
                                          v: bf16(n.v[i]), out: out, lse: lse, B: B, NH: heads, T: T, d: headDim)
                return
            }
            (q, k, v) = widen(n.q[i], n.k[i], n.v[i], into: wide)
        }
        if let ring {
            try ring.backward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, out: out, lse: lse, kernels: kernels)
        } else {
            kernels.attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, q: q, k: k, v: v, out: out, lse: lse,
                                      B: B, NH: heads, T: T, d: headDim)
        }
    }

    /// q, k, v widened (exactly) into the fp32 copies of `wide`.
    func widen(_ q: PrecisionTensor, _ k: PrecisionTensor, _ v: PrecisionTensor, into wide: NarrowScratch)
        -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) {
        precondition(wide.wideQ.count >= q.count, "fp32 copies of q, k, v were not allocated")
        q.widen(into: wide.wideQ.pointer, kernels: kernels)
        k.widen(into: wide.wideK.pointer, kernels: kernels)
        v.widen(into: wide.wideV.pointer, kernels: kernels)
        return (UnsafePointer(wide.wideQ.pointer), UnsafePointer(wide.wideK.pointer), UnsafePointer(wide.wideV.pointer))
    }

    /// dx += gelu'(x) · dout over `count` elements; x is the fp32 tensor, or the `saved` 16-bit one.
    func geluBackward(dx: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, saved: PrecisionTensor?,
                      dout: UnsafePointer<Float>, count: Int) {
        guard let saved else {
            chunks(count) { lo, n in GELU.backward(dx: dx + lo, x: x + lo, dout: dout + lo, count: n) }
            return
        }
        chunks(count) { lo, n in
            Self.geluBackward(dx: dx + lo, x: saved.half(lo), format: saved.format, dout: dout + lo, count: n)
        }
    }

    /// dx += gelu'(x) · dout with x stored in 16 bits (bf16 or fp16), widened 16 lanes at a time.
    static func geluBackward(dx: UnsafeMutablePointer<Float>, x: UnsafePointer<UInt16>, format: StorageFormat,
                             dout: UnsafePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let v: SIMD16<Float>
            if format == .bf16 {
                let h = raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                v = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD16<Float>.self)
            } else {
                v = SIMD16<Float>(raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self))
            }
            VectorMath.store(VectorMath.load(dx + i).addingProduct(GELU.derivative(v), VectorMath.load(dout + i)), dx + i)
            i += 16
        }
        while i < count {
            let xi = format == .bf16 ? BFloat16(bitPattern: x[i]).float : Float(Float16(bitPattern: x[i]))
            dx[i] += GELU.derivative(SIMD16(repeating: xi))[0] * dout[i]
            i += 1
        }
    }
}
