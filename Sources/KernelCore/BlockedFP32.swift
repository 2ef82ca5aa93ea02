/// The cache-blocked fp32 loop nest (BLIS order) over one thread's block of C.
///
/// for jc (nc columns) / pc (kc of k): pack op(B) → `packedB` (kc × nc, nr-wide panels);
///   for ic (mc rows): pack op(A) → `packedA` (mc × kc, mr-tall panels, row- or k-major);
///     for each nr panel, each mr panel: micro-kernel on C[ic+ir, jc+jr].
/// When A is stored m × k, the micro-kernels of block ic prefetch the source of block ic+1's op(A)
/// into L2 (`_NextBlockPrefetch`), so its packing reads L2 instead of waiting on L3 or memory.
/// k blocks after the first always accumulate. Edge tiles run the same kernel into `tile` and are
/// merged with the same rounding as full tiles (alpha·t, or fma(alpha, t, C) when accumulating).
/// The tier's micro-kernel `K` fixes the register tile and the cache blocks; generic and
/// `@inlinable` so each tier target compiles its own specialization with its instruction set.
@inlinable @inline(__always)
public func _blockedFP32<E: GEMMInput, K: FP32MicroKernel>(
    source: _Operands<E>, rows: Range<Int>, cols: Range<Int>, k: Int, alpha: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
    packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
    tile: UnsafeMutablePointer<Float>, kernel: K.Type
) {
    let MR = K.mr, NR = K.nr
    let MC = K.mc
    // A stored m × k is packed as row-major panels (a plain copy) for the RowA kernel; A stored
    // k × m (TN) as k-major panels (also a copy). Neither needs a transpose.
    let rowMajorA = source.transposeA == .none
    // One prefetch slot per k step at most (kc ≤ 512 slots, 4 KB of stack).
    withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: K.kc) { slots in
        let prefetchList = slots.baseAddress!
        prefetchList.initialize(repeating: UnsafeRawPointer(packedB), count: K.kc)
        var jc = cols.lowerBound
        while jc < cols.upperBound {
            let ncur = min(K.nc, cols.upperBound - jc)
            var pc = 0
            while pc < k {
                let kcur = min(K.kc, k - pc)
                let acc = accumulate || pc > 0
                var jp = 0
                while jp < ncur {
                    source.packB(j0: jc + jp, cols: min(NR, ncur - jp), p0: pc, kc: kcur, nr: NR,
                                 dst: packedB + jp * kcur)
                    jp += NR
                }
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcur = min(MC, rows.upperBound - ic)
                    if rowMajorA {
                        source.packARowMajor(i0: ic, rows: mcur, p0: pc, kc: kcur, mr: MR,
                                             stride: K.aRowStride, dst: packedA)
                    } else {
                        source.packABlock(i0: ic, rows: mcur, p0: pc, kc: kcur, mr: MR,
                                          dst: packedA)
                    }
                    // Only for A stored m × k (NN, NT): its next block is `mc` runs of `kc`. For
                    // TN (kc runs of `mc`, one 4 KB page each) it measured slower than without.
                    // And only for narrow C blocks (n = 256: packing A was ~10% of the time, 5%
                    // faster with it); from 1024 columns on, packing A is a few % and 2048³ measured
                    // slightly slower with it (L2 then serves 4 MB of streaming B panels).
                    var prefetch = _NextBlockPrefetch()
                    if rowMajorA && ncur < 1024 && ic + mcur < rows.upperBound {
                        let next = ic + mcur, nextRows = min(MC, rows.upperBound - next)
                        let calls = (ncur + NR - 1) / NR * ((mcur + MR - 1) / MR)
                        prefetch = _NextBlockPrefetch(
                            source.a + next * source.lda + pc, ld: source.lda, runs: nextRows,
                            runLength: kcur, calls: calls, kc: kcur)
                    }
                    prefetch.fill(prefetchList)
                    var ip = 0
                    jp = 0
                    while jp < ncur {
                        let nrEff = min(NR, ncur - jp)
                        let bp = packedB + jp * kcur
                        ip = 0
                        while ip < mcur {
                            let mrEff = min(MR, mcur - ip)
                            let cp = c + (ic + ip) * ldc + jc + jp
                            let full = mrEff == MR && nrEff == NR
                            let target = full ? cp : tile, targetLD = full ? ldc : NR
                            if rowMajorA {
                                K.kernelRowA(
                                    kc: kcur, a: packedA + ip * K.aRowStride, b: bp, c: target,
                                    ldc: targetLD, alpha: full ? alpha : 1, accumulate: full && acc,
                                    prefetch: prefetchList, prefetchEvery: prefetch.every)
                            } else {
                                K.kernel(
                                    kc: kcur, a: packedA + ip * kcur, b: bp, c: target,
                                    ldc: targetLD, alpha: full ? alpha : 1, accumulate: full && acc,
                                    prefetch: prefetchList, prefetchEvery: prefetch.every)
                            }
                            if !full {
                                _mergeTile(tile, nr: NR, rows: mrEff, cols: nrEff, into: cp, ldc: ldc,
                                           alpha: alpha, accumulate: acc)
                            }
                            prefetch.fill(prefetchList)
                            ip += MR
                        }
                        jp += NR
                    }
                    ic += mcur
                }
                pc += kcur
            }
            jc += ncur
        }
    }
}

/// The source lines of the next op(A) block, spread over the current block's micro-kernel calls:
/// `runs` runs of `runLength` elements, `ld` elements apart (rows of A). Each call prefetches
/// `ceil(kc / every)` lines, one per `every` k steps, so the L3/memory reads overlap the FMAs
/// instead of stalling the packing loop.
@frozen
public struct _NextBlockPrefetch {
    @usableFromInline var base: UnsafeRawPointer?, stride = 0, runs = 0, runBytes = 0, lines = 0
    @usableFromInline var run = 0, line = 0
    /// k steps between two prefetches (all of kc: none, when there is no next block).
    public var every = Int.max
    @usableFromInline var slots = 1

    @inlinable public init() {}

    @inlinable public init<E>(_ start: UnsafePointer<E>, ld: Int, runs: Int, runLength: Int, calls: Int, kc: Int) {
        base = UnsafeRawPointer(start)
        stride = ld * MemoryLayout<E>.stride
        self.runs = runs
        runBytes = runLength * MemoryLayout<E>.stride
        lines = (runBytes + 63) / 64 + 1  // a run not aligned to 64 bytes spans one line more
        let perCall = max(1, (runs * lines + calls - 1) / max(1, calls))
        every = max(1, kc / perCall)
        slots = (kc + every - 1) / every
    }

    /// Writes the next call's `slots` addresses to `list` (repeating the last one when done; with
    /// no next block, leaves the single slot the kernels read as it is).
    @inlinable @inline(__always)
    public mutating func fill(_ list: UnsafeMutablePointer<UnsafeRawPointer>) {
        guard let base else { return }
        var address = list[0]
        for i in 0..<slots {
            if run < runs {
                address = base + run * stride + min(line * 64, runBytes - 1)
                line += 1
                if line == lines { line = 0; run += 1 }
            }
            list[i] = address
        }
    }
}

/// C[r, j] = alpha·t[r, j] (+ C[r, j] via one fma), for an edge tile stored with stride `nr`.
@inlinable @inline(__always)
public func _mergeTile(_ t: UnsafeMutablePointer<Float>, nr: Int, rows: Int, cols: Int,
                       into c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, accumulate: Bool) {
    for r in 0..<rows {
        let src = t + r * nr, dst = c + r * ldc
        if accumulate {
            for j in 0..<cols { dst[j] = dst[j].addingProduct(alpha, src[j]) }
        } else {
            for j in 0..<cols { dst[j] = alpha * src[j] }
        }
    }
}

/// LLVM's prefetch intrinsic (`llvm.prefetch(ptr, rw, locality, cache)`), reached through its
/// symbol name because Swift has no prefetch API; lowers to one `prefetchw`/`prefetcht0`.
@_silgen_name("llvm.prefetch.p0")
public func _llvmPrefetch(_ address: UnsafeRawPointer, _ rw: Int32, _ locality: Int32, _ cacheType: Int32)

/// Prefetches the cache line holding `p` into L1 in anticipation of a write.
@inlinable @inline(__always)
public func _prefetchForWrite(_ p: UnsafeMutablePointer<Float>) {
    _llvmPrefetch(UnsafeRawPointer(p), 1, 3, 1)
}
