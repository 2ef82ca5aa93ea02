import Randomness

/// How training windows are drawn, and how a text file is split into training and validation.
extension TokenDataset {
    /// `random`: each window starts at a uniformly random position (windows overlap and repeat).
    /// `shuffled`: the training split is cut into disjoint windows of `seq_len + 1` tokens (stride
    /// `seq_len`), visited in a seeded random order, a new order each pass: no token is read twice
    /// as an input before the whole split has been read once.
    public enum Sampling: String, Codable, Sendable, CaseIterable { case random, shuffled }

    /// `tail`: the file's last `val_fraction` validates. `interleaved`: the file is cut into blocks
    /// (`split_block` tokens) and every (1 / val_fraction)-th block validates, so the held-out text
    /// is spread over the whole corpus rather than taken from the end of one document.
    public enum Split: String, Codable, Sendable, CaseIterable { case tail, interleaved }

    /// Splits `tokens` into (train, validation) by `split`.
    public static func split(_ tokens: [Int32], valFraction f: Double, split: Split, block: Int) -> (train: [Int32], validation: [Int32]) {
        switch split {
        case .tail:
            let cut = Int(Double(tokens.count) * (1 - f))
            return (Array(tokens[..<cut]), Array(tokens[cut...]))
        case .interleaved:
            var train: [Int32] = [], val: [Int32] = []
            train.reserveCapacity(tokens.count)
            let blocks = (tokens.count + block - 1) / block
            for i in 0..<blocks {
                let range = (i * block)..<min(tokens.count, (i + 1) * block)
                // block i validates when floor((i + 1) f) > floor(i f): evenly spaced, a fraction f of the blocks
                if Int((Double(i + 1) * f).rounded(.down)) > Int((Double(i) * f).rounded(.down)) {
                    val.append(contentsOf: tokens[range])
                } else {
                    train.append(contentsOf: tokens[range])
                }
            }
            return (train, val)
        }
    }

    /// Disjoint training windows of `T + 1` tokens at stride `T`.
    public func trainWindows(T: Int) -> Int { max(0, (train.count - 1) / T) }

    /// Passes over the training split that `samples` windows of `T` tokens make under `sampling`
    /// (in `shuffled` mode, a value <= 1 means no training token is read twice).
    public func passes(samples: Int, T: Int) -> Double { Double(samples) / Double(max(1, trainWindows(T: T))) }

    /// Fills inputs and next-token targets (B, T) with training windows. `firstSample` counts the
    /// windows drawn before this batch (step x micro_batches x batch + ...), which `shuffled`
    /// sampling uses to pick windows without repeats; `random` sampling draws from `rng`.
    public func sampleTrain(B: Int, T: Int, firstSample: Int, seed: UInt64, rng: inout SplitMix64,
                            inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        guard sampling == .shuffled else {
            sampleTrain(B: B, T: T, rng: &rng, inputs: inputs, targets: targets)
            return
        }
        let windows = trainWindows(T: T)
        train.withUnsafeBufferPointer { t in
            for b in 0..<B {
                let k = firstSample + b
                let order = WindowOrder(count: windows, seed: seed, pass: k / windows)
                let start = order[k % windows] * T
                (inputs + b * T).update(from: t.baseAddress! + start, count: T)
                (targets + b * T).update(from: t.baseAddress! + start + 1, count: T)
            }
        }
    }

    /// Disjoint validation windows of `T + 1` tokens at stride `T`.
    public func validationWindows(T: Int) -> Int { max(0, (validation.count - 1) / T) }

    /// Start of validation window `i` of `count` windows spread evenly over the split (all of
    /// them when `count` is the split's window count).
    public func validationWindowStart(_ i: Int, of count: Int, T: Int) -> Int {
        let all = validationWindows(T: T)
        return (count >= all ? i : i * all / count) * T
    }
}

/// A seeded permutation of `0..<count` (a 4-round Feistel network on the next even power of two,
/// cycle-walking back into range): a different order for each pass over the data.
struct WindowOrder {
    let count: Int
    let halfBits: Int
    let keys: (UInt64, UInt64, UInt64, UInt64)

    init(count: Int, seed: UInt64, pass: Int) {
        self.count = count
        var bits = 1
        while (1 << (2 * bits)) < count { bits += 1 }
        halfBits = bits
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: pass) &+ 0xD1B5_4A32_D192_ED03)
        keys = (rng.next(), rng.next(), rng.next(), rng.next())
    }

    subscript(i: Int) -> Int {
        precondition(i >= 0 && i < count)
        var x = UInt64(i)
        repeat { x = permute(x) } while x >= UInt64(count)
        return Int(x)
    }

    private func permute(_ x: UInt64) -> UInt64 {
        let mask = (UInt64(1) << UInt64(halfBits)) - 1
        var l = x >> UInt64(halfBits), r = x & mask
        for key in [keys.0, keys.1, keys.2, keys.3] {
            var z = (r &+ key) &* 0xBF58_476D_1CE4_E5B9
            z ^= z >> 29
            (l, r) = (r, l ^ (z & mask))
        }
        return (l << UInt64(halfBits)) | r
    }
}
