/// A published training configuration with its reported throughput, to check the layout search and
/// the step-time model against.
public struct PublishedLayout: Sendable, Hashable, Codable {
    public var name: String
    /// Paper, table and row.
    public var source: String
    public var model: ClusterModel
    public var cluster: Cluster
    public var tp: Int
    public var pp: Int
    public var dp: Int
    /// Global batch in sequences.
    public var globalBatch: Int
    /// Reported achieved FLOP/s per GPU (the paper's own FLOP count).
    public var reportedFlopsPerGPU: Double
    /// The search space of the software that trained it.
    public var options: LayoutSearchOptions

    /// Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters Using
    /// Megatron-LM" (SC21, arXiv 2104.04473), Table 1: GPT models of 1.7B to 1T parameters, vocabulary
    /// 51,200, sequence 2048, on Selene (DGX A100 80 GB: 8 GPUs per node on NVSwitch, eight 200 Gb/s
    /// HDR InfiniBand NICs per node), mixed precision with full activation recomputation, no ZeRO,
    /// no flash attention (2021). Columns used: attention heads, hidden size, layers, tensor-parallel
    /// size, pipeline-parallel size, GPUs, batch size, achieved teraFLOP/s per GPU; dp = GPUs / (tp pp).
    public static let narayanan2021: [PublishedLayout] = {
        let rows: [(String, Int, Int, Int, Int, Int, Int, Int, Double)] = [
            // params, heads, hidden, layers, tp, pp, GPUs, batch, TFLOP/s per GPU
            ("1.7B", 24, 2304, 24, 1, 1, 32, 512, 137),
            ("3.6B", 32, 3072, 30, 2, 1, 64, 512, 138),
            ("7.5B", 32, 4096, 36, 4, 1, 128, 512, 142),
            ("18.4B", 48, 6144, 40, 8, 1, 256, 1024, 135),
            ("39.1B", 64, 8192, 48, 8, 2, 512, 1536, 138),
            ("76.1B", 80, 10240, 60, 8, 4, 1024, 1792, 140),
            ("145.6B", 96, 12288, 80, 8, 8, 1536, 2304, 148),
            ("310.1B", 128, 16384, 96, 8, 16, 1920, 2160, 155),
            ("529.6B", 128, 20480, 105, 8, 35, 2520, 2520, 163),
            ("1008.0B", 160, 25600, 128, 8, 64, 3072, 3072, 163),
        ]
        let a100 = Accelerator.named("a100-80gb")!
        // Plain 1F1B: Table 1 does not say which rows ran the interleaved schedule.
        let options = LayoutSearchOptions(zeroStages: [.stage0], recomputations: [.full], interleaving: false,
                                          assumptions: .megatron2021)
        return rows.enumerated().map { i, r in
            let (name, heads, h, l, tp, pp, gpus, batch, tflops) = r
            let params = MegatronFlops.parameters(layers: l, hidden: h, vocab: 51_200, seqLen: 2048)
            return PublishedLayout(
                name: "GPT \(name)", source: "Narayanan et al. 2021, Table 1, row \(i + 1)",
                model: ClusterModel(parameters: params, nLayer: l, dModel: h, nHead: heads, seqLen: 2048,
                                    flashAttention: false, vocab: 51_200),
                cluster: Cluster(count: gpus, accelerator: a100, gpusPerNode: 8), tp: tp, pp: pp, dp: gpus / (tp * pp),
                globalBatch: batch, reportedFlopsPerGPU: tflops * 1e12, options: options)
        }
    }()
}

/// Narayanan et al. 2021's FLOP and parameter counts for GPT models (their §5.1 and Appendix).
public enum MegatronFlops {
    /// FLOPs of one iteration of batch `B` with full activation recomputation (their eq. 3):
    /// `F = 96 B s l h² (1 + s / (6 h) + V / (16 l h))`: the matmuls of forward, backward and the
    /// recomputed forward (4 × 24 B s l h²), attention scores over the full `s × s` square, and the
    /// output head. Their "achieved teraFLOP/s per GPU" is `F / (iteration time · GPUs)`.
    public static func perIteration(batch: Double, seqLen: Double, layers: Double, hidden: Double, vocab: Double) -> Double {
        96 * batch * seqLen * layers * hidden * hidden * (1 + seqLen / (6 * hidden) + vocab / (16 * layers * hidden))
    }

    /// Their parameter count `P = 12 l h² (1 + 13 / (12 h) + (V + s) / (12 l h))`.
    public static func parameters(layers: Int, hidden: Int, vocab: Int, seqLen: Int) -> Double {
        let l = Double(layers), h = Double(hidden)
        return 12 * l * h * h * (1 + 13 / (12 * h) + Double(vocab + seqLen) / (12 * l * h))
    }
}

/// A published layout beside what the search and the step-time model make of it.
public struct LayoutValidation: Sendable, Hashable, Codable {
    public var published: PublishedLayout
    /// The published degrees (tp, pp, dp) at the micro-batch the model rates fastest, if it fits.
    public var publishedOption: LayoutOption?
    /// The search's first choice.
    public var recommended: LayoutOption?
    /// `F / (step time · GPUs)` of the published layout, with `F` from ``MegatronFlops/perIteration``.
    public var estimatedFlopsPerGPU: Double?

    /// `estimated / reported − 1`.
    public var relativeError: Double? { estimatedFlopsPerGPU.map { $0 / published.reportedFlopsPerGPU - 1 } }

    /// Time per token of the published layout over the recommended one's (1 when they are the same).
    public var publishedOverRecommended: Double? {
        guard let p = publishedOption, let r = recommended else { return nil }
        return (p.stepTime.total / p.stepTime.tokens) / (r.stepTime.total / r.stepTime.tokens)
    }
}

extension PublishedLayout {
    /// Runs the search on the published model, cluster and batch, with the published software's options.
    public func validate() throws -> LayoutValidation {
        let s = Double(model.seqLen)
        let result = try LayoutSearch.search(model: model, cluster: cluster, globalBatchTokens: Double(globalBatch) * s,
                                             options: options)
        let published = result.fitting.first { $0.layout.tp == tp && $0.layout.pp == pp && $0.layout.dp == dp && $0.layout.cp == 1 }
        let estimate = published.map { o -> Double in
            let sequences = Double(o.microBatchesPerStep * o.layout.microBatch * o.layout.dp)
            let f = MegatronFlops.perIteration(batch: sequences, seqLen: s, layers: Double(model.nLayer),
                                               hidden: Double(model.dModel), vocab: Double(model.vocab))
            return f / (o.stepTime.total * Double(cluster.count))
        }
        return LayoutValidation(published: self, publishedOption: published, recommended: result.best, estimatedFlopsPerGPU: estimate)
    }
}
