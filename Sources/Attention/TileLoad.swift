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

/// dst[c, r] = scale * src[r, c] for c < d, r < rows, with dst[c, rows..<64] = 0.
/// src rows are contiguous (stride d); dst rows have stride `Tile.size`.
@inline(__always)
func loadTransposed<E: AttentionElement>(_ src: UnsafePointer<E>, rows: Int, d: Int, scale: Float,
                                         into dst: UnsafeMutablePointer<Float>) {
    let ld = Tile.size
    for r in 0..<rows {
        let s = src + r * d
        for c in 0..<d { dst[c * ld + r] = scale * s[c].floatValue }
    }
    if rows < ld {
        for c in 0..<d {
            for r in rows..<ld { dst[c * ld + r] = 0 }
        }
    }
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
