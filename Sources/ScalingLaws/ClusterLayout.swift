/// A cluster: `count` identical accelerators, `gpusPerNode` per node.
public struct Cluster: Sendable, Hashable, Codable {
    public var count: Int
    public var accelerator: Accelerator
    public var gpusPerNode: Int

    public init(count: Int, accelerator: Accelerator, gpusPerNode: Int = 8) {
        self.count = count; self.accelerator = accelerator; self.gpusPerNode = gpusPerNode
    }

    /// Parses `COUNTxNAME` (e.g. `64xh100`, `8xA100-80GB`); names as in ``Accelerator/named(_:)``.
    public static func parse(_ text: String, gpuMemoryGB: Double? = nil, table: [Accelerator] = Accelerator.known) throws -> Cluster {
        let known = table.map(\.name).joined(separator: ", ")
        guard let x = text.firstIndex(where: { $0 == "x" || $0 == "X" }) else {
            throw ScalingLawError.invalidArgument("--cluster must be COUNTxGPU (e.g. 64xh100), got '\(text)'.")
        }
        let countText = text[..<x], name = String(text[text.index(after: x)...])
        guard let count = Int(countText) else {
            throw ScalingLawError.invalidArgument("--cluster must be COUNTxGPU with an integer COUNT (e.g. 64xh100), got '\(text)'.")
        }
        guard count >= 1 else {
            throw ScalingLawError.invalidArgument("--cluster needs at least one GPU, got \(count).")
        }
        guard var acc = Accelerator.named(name, in: table) else {
            throw ScalingLawError.invalidArgument("unknown GPU '\(name)' in --cluster; known: \(known).")
        }
        if let gb = gpuMemoryGB {
            guard gb.isFinite && gb > 0 else { throw ScalingLawError.invalidArgument("--gpu-memory must be positive, got \(gb).") }
            acc.memoryGB = gb
        }
        return Cluster(count: count, accelerator: acc, gpusPerNode: min(8, count))
    }
}

/// One layout with its memory and step shape.
public struct LayoutOption: Sendable, Hashable, Codable {
    public var layout: ParallelLayout
    public var memory: ClusterMemory
    /// Micro-batches per optimizer step per data-parallel rank:
    /// `m = floor(globalBatchTokens / (dp · microBatch · seqLen))`.
    public var microBatchesPerStep: Int
    /// 1F1B pipeline bubble `(pp − 1) / (m + pp − 1)`.
    public var bubbleFraction: Double
}

/// The outcome of ``LayoutSearch/search(model:cluster:globalBatchTokens:reserve:contextParallel:)``.
public struct LayoutSearchResult: Sendable, Hashable, Codable {
    /// Usable bytes per GPU (`memoryGB · 1e9 · (1 − reserve)`).
    public var usableBytes: Double
    /// Layouts that fit, best (least communication) first. Empty when nothing fits.
    public var fitting: [LayoutOption]
    /// The least-memory layout among all candidates (shown when nothing fits).
    public var smallest: LayoutOption?
    /// How many candidate layouts were examined.
    public var candidates: Int

    public var best: LayoutOption? { fitting.first }
}

public enum LayoutSearch {
    /// The pipeline bubble fraction of 1F1B (and GPipe): `(pp − 1) / (m + pp − 1)`.
    public static func bubbleFraction(pp: Int, microBatches m: Int) -> Double {
        precondition(pp >= 1 && m >= 1)
        return Double(pp - 1) / Double(m + pp - 1)
    }

    /// Enumerates `tp ∈ {1, 2, 4, 8}` (`tp ≤ gpusPerNode`, `tp` divides the heads), `pp` dividing `L`,
    /// `cp ∈ {1, 2, 4, …}` (only when `contextParallel`, default: `seqLen ≥ 32768`; `cp` divides `seqLen`),
    /// `dp = GPUs / (tp pp cp)` an integer, ZeRO 0–3, micro-batch ∈ {1, 2, 4, 8} with at least one
    /// micro-batch per step, recomputation none / selective / full (selective skipped under flash
    /// attention, where it saves nothing). Keeps layouts whose
    /// ``ClusterMemory/total`` fits in `usableBytes`, ranked by least communication:
    /// smaller `pp` first, then smaller `tp` (TP within a node before PP across nodes), smaller `cp`,
    /// ZeRO-1 (same traffic as plain DP, less memory), ZeRO-0, ZeRO-2, ZeRO-3, recomputation none,
    /// selective, full, larger micro-batch, less memory.
    public static func search(model: ClusterModel, cluster: Cluster, globalBatchTokens: Double,
                              reserve: Double = 0.1, contextParallel: Bool? = nil) throws -> LayoutSearchResult {
        guard model.parameters.isFinite && model.parameters > 0, model.nLayer >= 1, model.dModel >= 1,
              model.nHead >= 1, model.seqLen >= 1 else {
            throw ScalingLawError.invalidArgument("cluster plan needs a positive model (parameters, layers, width, heads, sequence length).")
        }
        guard cluster.count >= 1, cluster.gpusPerNode >= 1, cluster.accelerator.memoryGB > 0 else {
            throw ScalingLawError.invalidArgument("cluster needs at least one GPU with positive memory.")
        }
        guard reserve >= 0 && reserve < 1 else {
            throw ScalingLawError.invalidArgument("memory reserve must be in [0, 1), got \(reserve).")
        }
        guard globalBatchTokens.isFinite && globalBatchTokens >= Double(model.seqLen) else {
            throw ScalingLawError.invalidArgument("global batch must hold at least one sequence (\(model.seqLen) tokens), got \(globalBatchTokens).")
        }
        let usable = cluster.accelerator.memoryGB * 1e9 * (1 - reserve)
        let useCP = contextParallel ?? (model.seqLen >= 32_768)
        let tps = [1, 2, 4, 8].filter { $0 <= cluster.gpusPerNode && model.nHead % $0 == 0 && cluster.count % $0 == 0 }
        let pps = (1...model.nLayer).filter { model.nLayer % $0 == 0 && cluster.count % $0 == 0 }
        var cps = [1]
        if useCP { var c = 2; while c <= cluster.count && model.seqLen % c == 0 { cps.append(c); c *= 2 } }
        var all: [LayoutOption] = []
        for tp in tps { for pp in pps { for cp in cps {
            let mp = tp * pp * cp
            guard cluster.count % mp == 0 else { continue }
            let dp = cluster.count / mp
            for mb in [1, 2, 4, 8] {
                let m = Int(globalBatchTokens / (Double(dp * mb) * Double(model.seqLen)))
                guard m >= 1 else { continue }
                // With flash attention selective recomputation stores exactly what `none` stores: skip it.
                let recomputations = Recomputation.allCases.filter { !(model.flashAttention && $0 == .selective) }
                for zero in ZeROStage.allCases { for rc in recomputations {
                    let layout = ParallelLayout(dp: dp, tp: tp, pp: pp, cp: cp, zero: zero, microBatch: mb, recomputation: rc)
                    let mem = ClusterMemory(model: model, layout: layout, microBatchesPerStep: m)
                    all.append(LayoutOption(layout: layout, memory: mem, microBatchesPerStep: m,
                                            bubbleFraction: bubbleFraction(pp: pp, microBatches: m)))
                } }
            }
        } } }
        let zeroRank: [ZeROStage: Int] = [.stage1: 0, .stage0: 1, .stage2: 2, .stage3: 3]
        let rcRank: [Recomputation: Int] = [.none: 0, .selective: 1, .full: 2]
        func key(_ o: LayoutOption) -> [Double] {
            let l = o.layout
            return [Double(l.pp), Double(l.tp), Double(l.cp), Double(zeroRank[l.zero]!), Double(rcRank[l.recomputation]!),
                    -Double(l.microBatch), o.memory.total]
        }
        let fitting = all.filter { $0.memory.total <= usable }.sorted { key($0).lexicographicallyPrecedes(key($1)) }
        let smallest = all.min { $0.memory.total < $1.memory.total }
        return LayoutSearchResult(usableBytes: usable, fitting: fitting, smallest: smallest, candidates: all.count)
    }

    /// Wall-clock seconds and GPU-hours for `flops` on `gpus` accelerators at `mfu`:
    /// `seconds = flops / (gpus · peak · mfu)`, `gpuHours = seconds · gpus / 3600`.
    public static func trainingTime(flops: Double, gpus: Int, peakFlops: Double, mfu: Double) -> (seconds: Double, gpuHours: Double) {
        let seconds = flops / (Double(gpus) * peakFlops * mfu)
        return (seconds, seconds * Double(gpus) / 3600)
    }
}
