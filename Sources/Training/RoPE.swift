import Foundation

/// Rotary position embedding (Su et al. 2021) applied in place to query or key heads:
/// each pair (x[2i], x[2i+1]) of a head at position t rotates by angle t * base^(-2i/d).
///
/// Shapes: x (B, NH, T, d) contiguous; the table holds cos and sin (T, d/2).
public struct RoPE {
    public let T: Int
    public let d: Int
    let cosTable: [Float]
    let sinTable: [Float]

    public init(T: Int, headDim d: Int, base: Double = 10_000) {
        self.init(positions: Array(0..<T), headDim: d, base: base)
    }

    /// Rows t = 0..<positions.count rotate by the angles of position `positions[t]` (a
    /// context-parallel rank's chunks of the sequence).
    public init(positions: [Int], headDim d: Int, base: Double = 10_000) {
        precondition(d % 2 == 0, "RoPE needs an even head dimension, got \(d)")
        let T = positions.count
        self.T = T
        self.d = d
        var c = [Float](repeating: 0, count: T * d / 2), s = c
        for t in 0..<T {
            for i in 0..<d / 2 {
                let angle = Double(positions[t]) * pow(base, -2 * Double(i) / Double(d))
                c[t * d / 2 + i] = Float(cos(angle))
                s[t * d / 2 + i] = Float(sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates forward (inverse = false) or backward (inverse = true: the transpose rotation,
    /// which is the gradient of the forward map).
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, inverse: Bool = false) {
        let half = d / 2
        let sign: Float = inverse ? -1 : 1
        cosTable.withUnsafeBufferPointer { cp in
            sinTable.withUnsafeBufferPointer { sp in
                for h in 0..<heads {
                    for t in 0..<T {
                        let row = x + (h * T + t) * d
                        for i in 0..<half {
                            let c = cp[t * half + i], s = sign * sp[t * half + i]
                            let a = row[2 * i], b = row[2 * i + 1]
                            row[2 * i] = a * c - b * s
                            row[2 * i + 1] = a * s + b * c
                        }
                    }
                }
            }
        }
    }
}
