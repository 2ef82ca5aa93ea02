#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread packing buffers for GEMM, allocated on a thread's first GEMM and reused for the
/// thread's lifetime (no allocation per call). Sized for the largest blocks of any GEMM path.
final class _GEMMWorkspace {
    /// Packed A block: `mc × kc` floats (or the same bytes of bf16 pairs).
    let packedA: AlignedBuffer<Float>
    /// Packed B block: `kc × nc` floats.
    let packedB: AlignedBuffer<Float>
    /// One edge tile: `mr × nr` floats.
    let tile: AlignedBuffer<Float>

    /// Floats of the three buffers: every tier's needs, so a thread's buffers fit whichever tier
    /// is active.
    static let counts: (a: Int, b: Int, tile: Int) = {
        let tiers = Kernels.tables
        return (max(tiers.map(\.packedAFloats).max()!, _BF16GEMM.mc * _BF16GEMM.kc / 2) + 64,
                max(tiers.map(\.packedBFloats).max()!, _BF16GEMM.kc * _BF16GEMM.nc / 2) + 64,
                max(tiers.map(\.tileFloats).max()!, _BF16GEMM.mr * _BF16GEMM.nr))
    }()

    private init() {
        packedA = AlignedBuffer(count: Self.counts.a)
        packedB = AlignedBuffer(count: Self.counts.b)
        tile = AlignedBuffer(count: Self.counts.tile)
    }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { raw in
            if let raw { Unmanaged<_GEMMWorkspace>.fromOpaque(raw).release() }
        }
        return k
    }()

    /// The calling thread's workspace (created on first use, freed when the thread exits).
    static var current: _GEMMWorkspace {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<_GEMMWorkspace>.fromOpaque(raw).takeUnretainedValue()
        }
        let ws = _GEMMWorkspace()
        pthread_setspecific(key, Unmanaged.passRetained(ws).toOpaque())
        return ws
    }

    @inline(__always)
    func withFloatPanels<R>(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                     UnsafeMutablePointer<Float>) -> R) -> R {
        body(packedA.pointer, packedB.pointer, tile.pointer)
    }
}
