/// What a step-time estimate assumes about the software that runs the layout.
///
/// The one free constant is `matmulEfficiency`: the fraction of the accelerator's dense peak at which
/// the transformer's matmuls run. Everything else is counted: elementwise kernels move their bytes
/// at the memory bandwidth, collectives move theirs at `linkEfficiency` of the link's nominal rate
/// plus a latency per ring step, and the pipeline idles for its bubble.
public struct CostAssumptions: Sendable, Hashable, Codable {
    /// Fraction of peak the matmuls reach. 0.75 reproduces Narayanan et al. 2021, Table 1 within
    /// 13% on every row (see ``PublishedLayout``); it was chosen on those rows (0.80 gives up to +18%).
    public var matmulEfficiency: Double
    /// Fraction of a link's nominal bandwidth a large collective reaches (NCCL's bus bandwidth on
    /// NVSwitch and InfiniBand is 80-90% of nominal).
    public var linkEfficiency: Double
    /// Seconds per ring step inside a node (NCCL's all-reduce of a small message over 8 NVSwitch
    /// GPUs takes about 15 µs: ~1 µs per step) and across nodes (an InfiniBand hop, ~5 µs).
    public var intraNodeLatency: Double
    public var interNodeLatency: Double
    /// Sequence parallelism with tp (Korthikanti et al. 2022): norms, dropout and residual adds are
    /// split over the tp group too (the memory formulas assume it); off, every tp rank repeats them.
    public var sequenceParallel: Bool
    /// Dropout after attention probabilities and before each residual add (extra reads, writes and
    /// 1-byte masks; GPT-3-era models had it, most current ones do not).
    public var dropout: Bool
    /// Data-parallel and ZeRO collectives overlap the backward (and the next forward) where the
    /// schedule allows; off, all of their time is exposed.
    public var overlapDataParallel: Bool
    /// Pipeline sends and receives overlap compute; off, each micro-batch waits for them.
    public var overlapPipeline: Bool
    /// Bytes per gradient element in the data-parallel reduction (4: fp32, as Megatron-Core and
    /// PyTorch FSDP reduce bf16 training by default; 2: fp16 or bf16).
    public var gradientBytes: Double

    public init(matmulEfficiency: Double = 0.75, linkEfficiency: Double = 0.8, intraNodeLatency: Double = 1e-6,
                interNodeLatency: Double = 5e-6, sequenceParallel: Bool = true, dropout: Bool = false,
                overlapDataParallel: Bool = true, overlapPipeline: Bool = true, gradientBytes: Double = 4) {
        self.matmulEfficiency = matmulEfficiency; self.linkEfficiency = linkEfficiency
        self.intraNodeLatency = intraNodeLatency; self.interNodeLatency = interNodeLatency
        self.sequenceParallel = sequenceParallel; self.dropout = dropout
        self.overlapDataParallel = overlapDataParallel; self.overlapPipeline = overlapPipeline
        self.gradientBytes = gradientBytes
    }

    /// A current stack (Megatron-Core or torchtitan): sequence parallelism, no dropout, data-parallel
    /// and pipeline communication overlapped, fp32 gradient reduction; tp collectives exposed.
    public static let current = CostAssumptions()

    /// Megatron-LM as Narayanan et al. 2021 ran it: no sequence parallelism (2022), dropout 0.1,
    /// fp16 gradients all-reduced after the backward pass with nothing overlapped.
    public static let megatron2021 = CostAssumptions(sequenceParallel: false, dropout: true, overlapDataParallel: false,
                                                     overlapPipeline: false, gradientBytes: 2)
}

/// One optimizer step's estimated time on one GPU, itemized (seconds).
public struct StepTime: Sendable, Hashable, Codable {
    /// Matmuls of the slowest (last) pipeline stage over all micro-batches, at the assumed efficiency.
    public var matmul: Double
    /// Elementwise kernels (norms, activations, softmax, dropout, residuals) at memory bandwidth.
    public var memoryBound: Double
    /// Tensor-parallel all-reduces (or reduce-scatter + all-gather), never overlapped.
    public var tensorParallel: Double
    /// Context-parallel ring passes not hidden behind attention.
    public var contextParallel: Double
    /// Pipeline sends and receives not overlapped.
    public var pipelineTransfers: Double
    /// Idle time of the pipeline fill and drain: `(pp − 1)` micro-batch slots.
    public var bubble: Double
    /// Data-parallel / ZeRO collectives not hidden behind compute.
    public var dataParallel: Double
    /// The optimizer update (memory-bound).
    public var optimizer: Double
    /// Tokens the step trains on (`m · microBatch · dp · seqLen`).
    public var tokens: Double

    public var total: Double {
        matmul + memoryBound + tensorParallel + contextParallel + pipelineTransfers + bubble + dataParallel + optimizer
    }

    /// Exposed communication: everything but compute, bubble and optimizer.
    public var exposedCommunication: Double { tensorParallel + contextParallel + pipelineTransfers + dataParallel }

    /// Model FLOPs utilization for `flopsPerToken` model FLOPs per token on `gpus` GPUs of `peakFlops`.
    public func mfu(flopsPerToken: Double, gpus: Int, peakFlops: Double) -> Double {
        flopsPerToken * tokens / (total * Double(gpus) * peakFlops)
    }
}

extension StepTimeModel {
    /// Model FLOPs per token, counted as the planner counts them (``FlopCounting/sixNDPlusAttention``):
    /// `6 N + 6 L T h`, with `N` the blocks' matmul weights plus the output head
    /// (`L (h (h + 2k) + h² + 2 h f) + h V`). Recomputation is not model FLOPs.
    public static func modelFlopsPerToken(_ model: ClusterModel) -> Double {
        let h = Double(model.dModel), f = Double(model.dFF), k = model.kvWidth, l = Double(model.nLayer)
        let weights = l * (h * (h + 2 * k) + h * h + 2 * h * f) + h * Double(model.vocab)
        return 6 * weights + 6 * l * Double(model.seqLen) * h
    }
}
