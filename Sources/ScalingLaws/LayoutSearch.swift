/// One layout with its memory, step shape and estimated step time.
public struct LayoutOption: Sendable, Hashable, Codable {
    public var layout: ParallelLayout
    public var memory: ClusterMemory
    /// Micro-batches per optimizer step per data-parallel rank:
    /// `m = floor(globalBatchTokens / (dp · microBatch · seqLen))`.
    public var microBatchesPerStep: Int
    /// Pipeline bubble `(pp − 1) / (v m + pp − 1)` of the step (`v` = 1 for plain 1F1B).
    public var bubbleFraction: Double
    /// The step's estimated time, itemized (``StepTimeModel``).
    public var stepTime: StepTime
    /// Model FLOPs utilization the estimate implies (model FLOPs per token given to the search).
    public var mfu: Double
}

/// What ``LayoutSearch/search(model:cluster:globalBatchTokens:options:)`` may choose from.
public struct LayoutSearchOptions: Sendable, Hashable, Codable {
    /// Fraction of GPU memory kept free (fragmentation, communication buffers, the CUDA context).
    public var reserve: Double
    /// Consider context parallelism (`nil`: only for sequences of 32,768 tokens or more).
    public var contextParallel: Bool?
    /// Let tensor parallelism span nodes (off: `tp ≤ gpusPerNode`, Megatron-LM's guidance).
    public var tensorParallelAcrossNodes: Bool
    public var zeroStages: [ZeROStage]
    public var recomputations: [Recomputation]
    public var microBatches: [Int]
    /// Consider the interleaved 1F1B schedule (Megatron-LM since 2021).
    public var interleaving: Bool
    public var assumptions: CostAssumptions
    /// Model FLOPs per token for the MFU (default ``StepTimeModel/modelFlopsPerToken(_:)``).
    public var modelFlopsPerToken: Double?

    public init(reserve: Double = 0.1, contextParallel: Bool? = nil, tensorParallelAcrossNodes: Bool = false,
                zeroStages: [ZeROStage] = ZeROStage.allCases, recomputations: [Recomputation] = Recomputation.allCases,
                microBatches: [Int] = [1, 2, 4, 8], interleaving: Bool = true, assumptions: CostAssumptions = .current,
                modelFlopsPerToken: Double? = nil) {
        self.interleaving = interleaving
        self.reserve = reserve; self.contextParallel = contextParallel
        self.tensorParallelAcrossNodes = tensorParallelAcrossNodes; self.zeroStages = zeroStages
        self.recomputations = recomputations; self.microBatches = microBatches
        self.assumptions = assumptions; self.modelFlopsPerToken = modelFlopsPerToken
    }
}

/// The outcome of ``LayoutSearch/search(model:cluster:globalBatchTokens:options:)``.
public struct LayoutSearchResult: Sendable, Hashable, Codable {
    /// Usable bytes per GPU (`memoryGB · 1e9 · (1 − reserve)`).
    public var usableBytes: Double
    /// Layouts that fit, least estimated time per token first. Empty when nothing fits.
    public var fitting: [LayoutOption]
    /// The least-memory layout among all candidates (shown when nothing fits).
    public var smallest: LayoutOption?
    /// How many candidate layouts were examined.
    public var candidates: Int

    public var best: LayoutOption? { fitting.first }
}

public enum LayoutSearch {
    /// The pipeline bubble fraction of 1F1B (and GPipe): `(pp − 1) / (m + pp − 1)`; with `v` interleaved
    /// chunks per stage the bubble shrinks `v` times: `(pp − 1) / (v m + pp − 1)`.
    public static func bubbleFraction(pp: Int, microBatches m: Int, virtualStages v: Int = 1) -> Double {
        precondition(pp >= 1 && m >= 1 && v >= 1)
        return Double(pp - 1) / Double(v * m + pp - 1)
    }

    public static func search(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                              reserve: Double = 0.1, contextParallel: Bool? = nil) throws -> LayoutSearchResult {
        try search(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens,
                   options: LayoutSearchOptions(reserve: reserve, contextParallel: contextParallel))
    }

    /// Enumerates `tp` a power of two dividing the heads and the kv heads (at most `gpusPerNode` unless
    /// `tensorParallelAcrossNodes`), `pp` dividing `L`, `cp ∈ {1, 2, 4, …}` (only when
    /// `contextParallel`, default: `seqLen ≥ 32768`; `cp` divides `seqLen`), `dp = GPUs / (tp pp cp)`
    /// an integer, interleaved pipeline chunks `v ∈ {1, 2, 4, 8}` (`L` divisible by `pp v`, `m` by `pp`;
    /// only where ``LayoutSearchOptions/interleaving`` allows), the allowed ZeRO stages, micro-batches with at least one per step, and
    /// recomputation (selective skipped under flash attention, where it saves nothing). Keeps the
    /// layouts whose ``ClusterMemory/total`` fits in `usableBytes`, ranked by estimated time per token
    /// (``StepTimeModel``: a step's time over the tokens it trains on, which the rounding of `m` makes
    /// differ between layouts); ties (within 0.1%) go to ZeRO-1, 0, 2, 3, less recomputation, larger
    /// micro-batches (larger matmuls), fewer interleaved chunks, then less memory.
    public static func search(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                              options: LayoutSearchOptions) throws -> LayoutSearchResult {
        let all = try candidates(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens, options: options)
        let usable = cluster.accelerator.memoryGB * 1e9 * (1 - options.reserve)
        let zeroRank: [ZeROStage: Int] = [.stage1: 0, .stage0: 1, .stage2: 2, .stage3: 3]
        let rcRank: [Recomputation: Int] = [.none: 0, .selective: 1, .full: 2]
        func before(_ x: LayoutOption, _ y: LayoutOption) -> Bool {
            // Seconds per token: layouts round the micro-batches per step down differently.
            let tx = x.stepTime.total / x.stepTime.tokens, ty = y.stepTime.total / y.stepTime.tokens
            if abs(tx - ty) > 1e-3 * min(tx, ty) { return tx < ty }
            func key(_ o: LayoutOption) -> [Double] {
                [Double(zeroRank[o.layout.zero]!), Double(rcRank[o.layout.recomputation]!), -Double(o.layout.microBatch),
                 Double(o.layout.virtualStages), o.memory.total]
            }
            let kx = key(x), ky = key(y)
            return kx.lexicographicallyPrecedes(ky)
        }
        let fitting = all.filter { $0.memory.total <= usable }.sorted(by: before)
        let smallest = all.min { $0.memory.total < $1.memory.total }
        return LayoutSearchResult(usableBytes: usable, fitting: fitting, smallest: smallest, candidates: all.count)
    }

    /// Every candidate layout with its memory and step time, fitting or not.
    static func candidates(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                           options: LayoutSearchOptions) throws -> [LayoutOption] {
        let flopsPerToken = options.modelFlopsPerToken ?? StepTimeModel.modelFlopsPerToken(model)
        return try layouts(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens, options: options).map { layout, m in
            let time = try StepTimeModel.estimate(model: model, layout: layout, microBatchesPerStep: m,
                                                  cluster: cluster, assumptions: options.assumptions)
            return LayoutOption(layout: layout, memory: ClusterMemory(model: model, layout: layout, microBatchesPerStep: m),
                                microBatchesPerStep: m, bubbleFraction: bubbleFraction(pp: layout.pp, microBatches: m, virtualStages: layout.virtualStages),
                                stepTime: time, mfu: time.mfu(flopsPerToken: flopsPerToken, gpus: cluster.count,
                                                              peakFlops: cluster.accelerator.peakFlops))
        }
    }

    /// The least memory per GPU over every candidate layout (`nil` when there is no candidate).
    static func leastMemory(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                            options: LayoutSearchOptions) throws -> Double? {
        try layouts(model: model, cluster: cluster, globalBatchTokens: globalBatchTokens, options: options)
            .map { ClusterMemory(model: model, layout: $0.layout, microBatchesPerStep: $0.microBatchesPerStep).total }.min()
    }

    /// The candidate layouts and their micro-batches per step (see ``search(model:cluster:globalBatchTokens:options:)``).
    static func layouts(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                        options: LayoutSearchOptions) throws -> [(layout: ParallelLayout, microBatchesPerStep: Int)] {
        guard model.parameters.isFinite && model.parameters > 0, model.nLayer >= 1, model.dModel >= 1,
              model.nHead >= 1, model.nKVHead >= 1, model.seqLen >= 1 else {
            throw ScalingLawError.invalidArgument("cluster plan needs a positive model (parameters, layers, width, heads, kv heads, sequence length).")
        }
        guard cluster.count >= 1, cluster.gpusPerNode >= 1, cluster.accelerator.memoryGB > 0 else {
            throw ScalingLawError.invalidArgument("cluster needs at least one GPU with positive memory.")
        }
        guard options.reserve >= 0 && options.reserve < 1 else {
            throw ScalingLawError.invalidArgument("memory reserve must be in [0, 1), got \(options.reserve).")
        }
        guard globalBatchTokens.isFinite && globalBatchTokens >= Double(model.seqLen) else {
            throw ScalingLawError.invalidArgument("global batch must hold at least one sequence (\(model.seqLen) tokens), got \(globalBatchTokens).")
        }
        let useCP = options.contextParallel ?? (model.seqLen >= 32_768)
        let tpLimit = options.tensorParallelAcrossNodes ? cluster.count : cluster.gpusPerNode
        let tps = sequence(first: 1, next: { $0 * 2 }).prefix { $0 <= tpLimit }
            .filter { model.nHead % $0 == 0 && model.nKVHead % $0 == 0 && cluster.count % $0 == 0 }
        let pps = (1...model.nLayer).filter { model.nLayer % $0 == 0 && cluster.count % $0 == 0 }
        var cps = [1]
        if useCP { var c = 2; while c <= cluster.count && model.seqLen % (2 * c) == 0 { cps.append(c); c *= 2 } }
        // With flash attention selective recomputation stores exactly what `none` stores: skip it.
        let recomputations = options.recomputations.filter { !(model.flashAttention && $0 == .selective) }
        var all: [(ParallelLayout, Int)] = []
        for tp in tps { for pp in pps { for cp in cps {
            let mp = tp * pp * cp
            guard cluster.count % mp == 0 else { continue }
            let dp = cluster.count / mp
            for mb in options.microBatches {
                let m = Int(globalBatchTokens / (Double(dp * mb) * Double(model.seqLen)))
                guard m >= 1 else { continue }
                // Interleaving needs pp > 1, L divisible by pp v, and m a multiple of pp (Megatron-LM's rule).
                let vs = [1, 2, 4, 8].filter { $0 == 1 || (options.interleaving && pp > 1 && model.nLayer % (pp * $0) == 0 && m % pp == 0) }
                for zero in options.zeroStages { for rc in recomputations { for v in vs {
                    all.append((ParallelLayout(dp: dp, tp: tp, pp: pp, cp: cp, zero: zero, microBatch: mb, recomputation: rc,
                                               virtualStages: v), m))
                } } }
            }
        } } }
        return all
    }

    /// Wall-clock seconds and GPU-hours for `flops` on `gpus` accelerators at `mfu`:
    /// `seconds = flops / (gpus · peak · mfu)`, `gpuHours = seconds · gpus / 3600`.
    public static func trainingTime(flops: Double, gpus: Int, peakFlops: Double, mfu: Double) -> (seconds: Double, gpuHours: Double) {
        let seconds = flops / (Double(gpus) * peakFlops * mfu)
        return (seconds, seconds * Double(gpus) / 3600)
    }
}
