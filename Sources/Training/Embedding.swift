/// Token embedding plus (optionally) learned positions, as GPT-2's input:
///
///     out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :]
///
/// Shapes: tokens (B, T); wte (V, C); wpe (maxT, C) or nil (RoPE models); out (B, T, C).
/// `positions` gives row t's position when the T tokens are not 0..<T of their sequence (a
/// context-parallel rank's chunks); nil means t.
public enum Embedding {
    public static func forward(out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>,
                               wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
                               B: Int, T: Int, C: Int, positions: [Int]? = nil) {
        for b in 0..<B {
            for t in 0..<T {
                let o = out + (b * T + t) * C
                let e = wte + Int(tokens[b * T + t]) * C
                if let wpe {
                    let p = wpe + (positions?[t] ?? t) * C
                    for i in 0..<C { o[i] = e[i] + p[i] }
                } else {
                    o.update(from: e, count: C)
                }
            }
        }
    }

    /// Adds into dwte (and dwpe).
    public static func backward(dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
                                B: Int, T: Int, C: Int, positions: [Int]? = nil) {
        for b in 0..<B {
            for t in 0..<T {
                let d = dout + (b * T + t) * C
                let e = dwte + Int(tokens[b * T + t]) * C
                for i in 0..<C { e[i] += d[i] }
                if let dwpe {
                    let p = dwpe + (positions?[t] ?? t) * C
                    for i in 0..<C { p[i] += d[i] }
                }
            }
        }
    }
}
