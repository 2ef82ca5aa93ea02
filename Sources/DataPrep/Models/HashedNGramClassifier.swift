import Foundation

/// fastText-style linear classifier on hashed word n-grams (Joulin et al. 2017, without the
/// hidden embedding): features are the `LMTokenizer` words and their n-grams up to `ngrams`,
/// hashed into `buckets` slots, each with weight 1/(number of features) (the bag average);
///
///     P(good | x) = sigmoid(b + sum_i x_i w_i)
///
/// trained by SGD on the logistic loss with L2 decay, shuffled every epoch with a seeded RNG.
public struct HashedNGramClassifier: Sendable {
    public let buckets: Int
    public let ngrams: Int
    public private(set) var weights: [Float]
    public private(set) var bias: Float = 0

    public init(buckets: Int = 1 << 20, ngrams: Int = 2) {
        precondition(buckets > 0 && ngrams >= 1)
        self.buckets = buckets
        self.ngrams = ngrams
        weights = [Float](repeating: 0, count: buckets)
    }

    /// Distinct hashed feature slots of a text (bag of n-grams).
    public func features(_ text: String) -> [Int32] {
        var out: [Int32] = []
        LMTokenizer.sentences(text) { toks, _ in
            for i in 0 ..< toks.count {
                var h: UInt64 = 0x51_7CC1_B727_220A
                for n in 0 ..< ngrams where i + n < toks.count {
                    h = (h ^ toks[i + n]) &* 0x9E37_79B9_7F4A_7C15
                    h ^= h >> 29
                    out.append(Int32(truncatingIfNeeded: h % UInt64(buckets)))
                }
            }
        }
        return out
    }

    private func logit(_ f: [Int32]) -> Float {
        guard !f.isEmpty else { return bias }
        var s: Float = 0
        for i in f { s += weights[Int(i)] }
        return bias + s / Float(f.count)
    }

    /// P(good) for a text.
    public func score(_ text: String) -> Double {
        Double(1 / (1 + exp(-logit(features(text)))))
    }

    /// Trains on positive ("good") and negative texts; classes are weighted equally.
    public mutating func train(positive: [String], negative: [String], epochs: Int = 8, learningRate: Float = 2.0, l2: Float = 1e-6, seed: UInt64 = 1) {
        var examples: [([Int32], Float, Float)] = [] // features, label, class weight
        let wp = Float(positive.count + negative.count) / Float(2 * max(positive.count, 1))
        let wn = Float(positive.count + negative.count) / Float(2 * max(negative.count, 1))
        for t in positive { examples.append((features(t), 1, wp)) }
        for t in negative { examples.append((features(t), 0, wn)) }
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var order = Array(0 ..< examples.count)
        for epoch in 0 ..< epochs {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(next() % UInt64(i + 1))) }
            let lr = learningRate * (1 - Float(epoch) / Float(epochs)) + 0.01
            for e in order {
                let (f, y, cw) = examples[e]
                guard !f.isEmpty else { continue }
                let p = 1 / (1 + exp(-logit(f)))
                let g = (p - y) * cw * lr
                let gi = g / Float(f.count)
                for i in f { weights[Int(i)] -= gi + l2 * weights[Int(i)] }
                bias -= g * 0.1
            }
        }
    }
}
