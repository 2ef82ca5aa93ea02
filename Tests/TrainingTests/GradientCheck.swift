import Randomness
import ScalingLaws
import Training
import XCTest

/// Finite-difference helpers: the scalar loss is Σ out · W for a fixed random W, so every output
/// element matters, and its gradient with respect to out is W.
struct GradientCheck {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func randoms(_ n: Int, scale: Double = 1) -> [Float] {
        (0..<n).map { _ in Float(rng.nextGaussian() * scale) }
    }

    /// Central differences of f at x (Double accumulation inside f is the caller's business).
    static func numerical(_ x: inout [Float], eps: Float = 1e-2, _ f: ([Float]) -> Double) -> [Double] {
        var g = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let orig = x[i]
            x[i] = orig + eps; let up = f(x)
            x[i] = orig - eps; let down = f(x)
            x[i] = orig
            g[i] = (up - down) / (2 * Double(eps))
        }
        return g
    }

    static func dot(_ a: [Float], _ w: [Float]) -> Double {
        zip(a, w).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Relative error ||a - b|| / max(||a||, ||b||, tiny).
    static func relativeError(_ a: [Double], _ b: [Float]) -> Double {
        var num = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            num += (a[i] - Double(b[i])) * (a[i] - Double(b[i]))
            na += a[i] * a[i]
            nb += Double(b[i]) * Double(b[i])
        }
        return num.squareRoot() / max(na.squareRoot(), nb.squareRoot(), 1e-12)
    }
}
