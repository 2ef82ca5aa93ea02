import Foundation

/// AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, one loop over the
/// contiguous parameter, gradient and moment buffers.
///
///     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///     p -= lr * ( (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd_i * p )
///
/// `decayMask[i]` is 1 for parameters that decay (matrices) and 0 for the rest (norms, biases,
/// embeddings by default), stored per parameter range.
public struct AdamWConfig: Codable, Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0.1
    public init() {}
    public init(beta1: Float, beta2: Float, eps: Float, weightDecay: Float) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }
}

public enum AdamW {
    /// Updates `params[range]` in place for optimizer step `step` (1-based) at learning rate `lr`.
    /// `decays` says whether this range takes weight decay.
    public static func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                              m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                              range: Range<Int>, step: Int, lr: Float, decays: Bool,
                              gradScale: Float = 1, config c: AdamWConfig) {
        let b1c = 1 - Float(pow(Double(c.beta1), Double(step)))
        let b2c = 1 - Float(pow(Double(c.beta2), Double(step)))
        let wd: Float = decays ? c.weightDecay : 0
        for i in range {
            let g = grads[i] * gradScale
            let mi = c.beta1 * m[i] + (1 - c.beta1) * g
            let vi = c.beta2 * v[i] + (1 - c.beta2) * g * g
            m[i] = mi
            v[i] = vi
            let mhat = mi / b1c
            let vhat = vi / b2c
            params[i] -= lr * (mhat / (vhat.squareRoot() + c.eps) + wd * params[i])
        }
    }
}
