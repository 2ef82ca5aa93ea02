/// Element types accepted for q, k, v: fp32, or bf16 widened to fp32 when a tile is loaded.
protocol AttentionElement {
    var floatValue: Float { get }
}

extension Float: AttentionElement {
    @inline(__always) var floatValue: Float { self }
}

extension BF16: AttentionElement {
    @inline(__always) var floatValue: Float { float }
}

/// dst[r, c] = scale * src[r, c] for r < rows, c < d, with dst[r, d..<dp] = 0.
/// src rows are contiguous (stride d); dst rows have stride dp.
@inline(__always)
func loadRows<E: AttentionElement>(_ src: UnsafePointer<E>, rows: Int, d: Int, dp: Int, scale: Float,
                                   into dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let s = src + r * d, o = dst + r * dp
        for c in 0..<d { o[c] = scale * s[c].floatValue }
        for c in d..<dp { o[c] = 0 }
    }
}

/// dst[c, r] = scale * src[r, c] for c < d, r < rows, with dst[c, rows..<width] = 0.
/// src rows are contiguous (stride d); dst rows have stride `width`.
@inline(__always)
func loadTransposed<E: AttentionElement>(_ src: UnsafePointer<E>, rows: Int, d: Int, width: Int = Tile.size,
                                         scale: Float, into dst: UnsafeMutablePointer<Float>) {
    for c in 0..<d {
        let o = dst + c * width
        for r in 0..<rows { o[r] = scale * src[r * d + c].floatValue }
        for r in rows..<width { o[r] = 0 }
    }
}

/// Rows of `src` (stride d) as fp32 rows of stride dp: `src` itself when it already is fp32 with
/// d == dp, else a copy widened and zero-padded into `scratch`.
@inline(__always)
func rowsSource<E: AttentionElement>(_ src: UnsafePointer<E>, rows: Int, d: Int, dp: Int,
                                     scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
    if E.self == Float.self && d == dp {
        return UnsafeRawPointer(src).assumingMemoryBound(to: Float.self)
    }
    loadRows(src, rows: rows, d: d, dp: dp, scale: 1, into: scratch)
    return UnsafePointer(scratch)
}

/// Zero-initialized, 64-byte aligned float buffer carved into per-worker regions.
struct ScratchBuffer {
    let base: UnsafeMutablePointer<Float>
    let floatsPerWorker: Int

    /// `floatsPerWorker` is rounded up to a multiple of 16 so every region is 64-byte aligned.
    init(floatsPerWorker: Int, workers: Int) {
        self.floatsPerWorker = (floatsPerWorker + 15) / 16 * 16
        let total = max(1, self.floatsPerWorker * workers)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: total)
        base.initialize(repeating: 0, count: total)
    }

    func region(_ worker: Int) -> UnsafeMutablePointer<Float> { base + worker * floatsPerWorker }

    func deallocate() { UnsafeMutableRawPointer(base).deallocate() }
}
