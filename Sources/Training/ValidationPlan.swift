/// The held-out tokens one evaluation reads, the same for the single-rank trainer and every
/// parallel layout. With train.eval_tokens > 0: eval_tokens / T windows of T tokens spread evenly
/// over the held-out split (the final evaluation: final_eval_tokens, or the whole split), read
/// train.batch windows at a time, the last batch padded with copies of its last window that do
/// not count, so the result does not depend on the batch. With eval_tokens = 0: train.eval_batches
/// fixed batches of train.batch sequences, every row counting.
public struct ValidationPlan {
    /// Batches of train.batch sequences of T tokens.
    public let batches: Int
    let windows: Int?
    let B: Int, T: Int
    let data: TokenDataset

    public init(config: TrainConfig, data: TokenDataset, final: Bool) {
        let t = config.train
        self.data = data
        B = t.batch
        T = config.model.seqLen
        if t.evalTokens > 0 {
            let tokens = final ? (t.finalEvalTokens > 0 ? t.finalEvalTokens : Int.max) : t.evalTokens
            let count = max(1, min(data.validationWindows(T: T), tokens / T))
            windows = count
            batches = (count + B - 1) / B
        } else {
            windows = nil
            batches = t.evalBatches
        }
    }

    /// Tokens whose losses count, over all batches.
    public var tokens: Int { (windows ?? batches * B) * T }

    /// Writes batch `i` into `inputs` and `targets` (B x T each) and returns how many of its B
    /// rows count (the first ones).
    public func fill(_ i: Int, inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) -> Int {
        guard let count = windows else {
            data.validationBatch(i, of: batches, B: B, T: T, inputs: inputs, targets: targets)
            return B
        }
        let first = i * B, rows = min(B, count - first)
        data.validation.withUnsafeBufferPointer { v in
            for b in 0..<B {
                let start = data.validationWindowStart(first + min(b, rows - 1), of: count, T: T)
                (inputs + b * T).update(from: v.baseAddress! + start, count: T)
                (targets + b * T).update(from: v.baseAddress! + start + 1, count: T)
            }
        }
        return rows
    }

    /// The mean loss per token: each batch is filled into `inputs` and `targets`, then
    /// `lossSum(batch, rows)` returns the sum of the per-token losses of its first `rows` rows
    /// (over the whole group, in parallel runs); `batch` numbers the batch from 0.
    public func mean(inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>,
                     lossSum: (_ batch: Int, _ rows: Int) throws -> Double) rethrows -> Float {
        var total: Double = 0
        for i in 0..<batches { total += try lossSum(i, fill(i, inputs: inputs, targets: targets)) }
        return Float(total / Double(tokens))
    }
}
