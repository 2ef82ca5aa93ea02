/// Invalid arguments to an attention kernel, with a message naming the bad value and the valid range.
public enum AttentionError: Error, Equatable, CustomStringConvertible {
    /// A dimension is outside its supported range.
    case invalidDimension(name: String, value: Int, valid: String)

    public var description: String {
        switch self {
        case let .invalidDimension(name, value, valid):
            return "attention: \(name) = \(value) is not supported (valid: \(valid))"
        }
    }
}

/// Shape of one attention call: `B` batch, `NH` heads, `T` sequence length, `d` head dim.
///
/// Layout of every (B, NH, T, d) tensor: contiguous row-major, element `(b, h, t, c)` at
/// `((b * NH + h) * T + t) * d + c`. Per-row tensors (logsumexp, D) are (B, NH, T) at
/// `(b * NH + h) * T + t`.
struct AttentionShape {
    let B: Int, NH: Int, T: Int, d: Int
    /// Head dim rounded up to a multiple of 16 (one SIMD16 vector): width of the padded scratch tiles.
    var dp: Int { (d + 15) / 16 * 16 }
    var heads: Int { B * NH }
    var headStride: Int { T * d }
    var tiles: Int { (T + Tile.size - 1) / Tile.size }

    init(B: Int, NH: Int, T: Int, d: Int, threads: Int, maxHeadDim: Int = Tile.maxHeadDim) throws {
        if B < 1 { throw AttentionError.invalidDimension(name: "B", value: B, valid: ">= 1") }
        if NH < 1 { throw AttentionError.invalidDimension(name: "NH", value: NH, valid: ">= 1") }
        if T < 1 { throw AttentionError.invalidDimension(name: "T", value: T, valid: ">= 1") }
        if d < 1 || d > maxHeadDim {
            throw AttentionError.invalidDimension(name: "d", value: d, valid: "1...\(maxHeadDim)")
        }
        if threads < 1 { throw AttentionError.invalidDimension(name: "threads", value: threads, valid: ">= 1") }
        self.B = B; self.NH = NH; self.T = T; self.d = d
    }
}

/// Tile geometry shared by the kernels.
enum Tile {
    /// Queries per tile and keys per tile (equal, so causal diagonal tiles are square).
    static let size = 64
    /// Largest supported head dim.
    static let maxHeadDim = 128
}
