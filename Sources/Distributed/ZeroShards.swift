import Dispatch
import Training

/// How the data-parallel ranks hold optimizer state.
public enum ZeroStage: Int, Sendable, CaseIterable {
    /// Every rank keeps all of AdamW's moments and updates all parameters (plain DDP): one
    /// all-reduce of the gradient buffer per step.
    case none = 0
    /// ZeRO stage 1 (Rajbhandari et al. 2020): gradients are reduce-scattered, each rank updates
    /// its 1/dp shard of parameters with its shard of the moments, then parameters are all-gathered.
    case one = 1
}

/// How a rank's parameter buffer (`count` floats) is split over its data-parallel group for the
/// optimizer: ZeRO-1 (Rajbhandari et al. 2020) gives each of the dp ranks a contiguous 1/dp
/// (`evenCounts`), whose AdamW moments only it keeps; without ZeRO (or without a group) the one
/// shard is the whole buffer. Used by `ModelParallelTrainer`.
struct ZeroShards {
    /// The data-parallel group, nil for one replica.
    let group: Communicator?
    let zero: ZeroStage
    /// Elements per rank (one entry without ZeRO).
    let counts: [Int]
    /// The part of the buffer this rank updates.
    let range: Range<Int>
    let count: Int

    init(count: Int, group: Communicator?, zero: ZeroStage) {
        let dp = group?.size ?? 1
        self.group = dp > 1 ? group : nil
        self.zero = dp > 1 ? zero : .none
        self.count = count
        counts = self.zero == .one ? evenCounts(count, parts: dp) : [count]
        let part = self.zero == .one ? group!.rank : 0
        let offset = counts[..<part].reduce(0, +)
        range = offset..<(offset + counts[part])
    }

    /// Gradients averaged over the group: all-reduced, or reduce-scattered under ZeRO-1 (then only
    /// `range` holds the mean).
    func averageGradients(_ g: UnsafeMutablePointer<Float>) throws {
        guard let group else { return }
        if zero == .one {
            try group.reduceScatter(g, counts: counts)
        } else {
            try group.allReduce(g, count: count)
        }
        scale(g + range.lowerBound, count: range.count, by: 1 / Float(group.size))
    }

    /// Σ over the group of a per-shard value (the shards' squared gradient norms); the value itself
    /// when every rank holds every gradient.
    func sumOverShards(_ x: Double) throws -> Double {
        guard zero == .one, let group else { return x }
        return Double(try group.sum(Float(x)))
    }

    /// Optimizer step `step` (0-based) on this rank's shard, then the shards gathered: gradients
    /// clipped to train.grad_clip by the global `norm`, the schedule's rate, AdamW on each tensor
    /// (`range` in the buffer, weight decay or not) where it meets the shard, `m` and `v` holding
    /// the shard's moments. `unscale` multiplies the gradients besides the clip (1 / the fp16 loss
    /// scale); `updates` is AdamW's bias-correction count (steps applied, skipped ones excluded).
    /// Returns the seconds spent gathering.
    func update(params p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>, m: FloatBuffer, v: FloatBuffer,
                tensors: [(range: Range<Int>, decays: Bool)], norm: Float, step: Int, unscale: Float = 1, updates: Int? = nil,
                train: TrainConfig.Optimization) throws -> Double {
        let clip: Float = (train.gradClip > 0 && Double(norm) > train.gradClip ? Float(train.gradClip) / norm : 1) * unscale
        let lr = Float(train.lrSchedule.lr(step: step, totalSteps: train.steps, peak: train.lr))
        for t in tensors {
            let lo = max(t.range.lowerBound, range.lowerBound), hi = min(t.range.upperBound, range.upperBound)
            guard lo < hi else { continue }
            let o = lo - range.lowerBound
            AdamW.update(params: p + lo, grads: g + lo, m: m.pointer + o, v: v.pointer + o, range: 0..<(hi - lo),
                         step: updates ?? step + 1, lr: lr, decays: t.decays, gradScale: clip, config: train.adamW)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        try gatherParameters(p)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Under ZeRO-1, every rank's updated shard of the parameters to every rank.
    func gatherParameters(_ p: UnsafeMutablePointer<Float>) throws {
        if zero == .one, let group { try group.allGather(p, counts: counts) }
    }

    /// A whole buffer from this rank's shard of it (moments for a checkpoint): all-gathered under
    /// ZeRO-1.
    func unshard(_ shard: FloatBuffer) throws -> FloatBuffer {
        let whole = FloatBuffer(count: count)
        (whole.pointer + range.lowerBound).update(from: shard.pointer, count: range.count)
        try gatherParameters(whole.pointer)
        return whole
    }

    /// This rank's shard of a whole buffer (moments read from a checkpoint).
    func take(_ whole: UnsafePointer<Float>, into shard: FloatBuffer) {
        shard.pointer.update(from: whole + range.lowerBound, count: range.count)
    }
}

/// x *= s over count elements.
func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
    if s == 1 { return }
    for i in 0..<count { x[i] *= s }
}

/// Σ x² accumulated in fp32 blocks of 4096, summed in Double (as `Trainer` computes the norm).
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var s: Double = 0
    var i = 0
    while i < count {
        let k = min(4096, count - i)
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= k {
            let a = UnsafeRawPointer(x + i + j).loadUnaligned(as: SIMD16<Float>.self)
            acc.addProduct(a, a)
            j += 16
        }
        var part = acc.sum()
        while j < k { part += x[i + j] * x[i + j]; j += 1 }
        s += Double(part)
        i += k
    }
    return s
}
