/// Estimates a training step's time for a layout: compute of the slowest pipeline stage (matmuls at
/// a stated fraction of peak, elementwise kernels at memory bandwidth), exposed communication on a
/// two-level bandwidth hierarchy, the 1F1B bubble and the optimizer update.
///
/// Notation per GPU: `b` micro-batch, `s = seqLen / cp` (its chunk), `h` hidden, `f` MLP width,
/// `k` key/value width, `a` heads, `t = tp`, `X = b s h` elements, `e = 2` bytes (bf16).
///
/// Ranks are placed tp fastest, then cp, dp, pp (Megatron-LM's and torchtitan's order), so a group
/// stays inside a node when the product of its axis and the faster axes is at most the GPUs per node;
/// otherwise its traffic runs at the per-GPU network bandwidth (a ring through NICs).
///
/// Per layer and micro-batch:
/// - matmul FLOPs forward `2 b s (h (h + 2k) + h² + 2 h f) / t` plus attention `4 b s S h / t`
///   (`S = seqLen` keys; flash attention skips the masked half); backward is twice the forward,
///   full recomputation adds one forward, selective recomputation the attention part;
/// - elementwise bytes forward: two norms `2 X e` each, two residual adds `3 X e` (+ a 1-byte mask
///   with dropout) each, the MLP activation `2 (f/h) X e`, and attention: without flash the `a S`
///   scores per token are written, softmaxed, (dropped out) and read: `(4e [+ 2e + 1]) a s S b`;
///   with flash only q, k, v and the output `(2h + 2k) b s e`. Divided by `t` where tp splits them
///   (norms and residuals only with sequence parallelism). Backward moves twice the forward bytes;
/// - tp: 2 all-reduces of `X e` bytes forward, 2 backward, 2 more under full recomputation; ring time
///   `2 (t−1)/t · bytes / bandwidth + 2 (t−1) · latency`;
/// - cp: `cp − 1` ring passes of k and v (`2 b s k e / t`) forward, twice that backward, hidden
///   behind the layer's attention compute where it is long enough.
///
/// Per step: 1F1B runs `m + pp − 1` slots of one micro-batch on the slowest stage (the last, which
/// also runs the output head: `6 b s h V / t` FLOPs and fp32 logits), the interleaved schedule with
/// `v` chunks per stage `m + (pp − 1) / v` (Narayanan et al. 2021, §2.2.2); pipeline transfers `X e / t`
/// each way per slot (`v` times as many interleaved); data parallelism over `dp · cp` ranks: ZeRO-0 all-reduces the gradients,
/// ZeRO-1 reduce-scatters them and all-gathers bf16 parameters, ZeRO-2 reduce-scatters every
/// micro-batch, ZeRO-3 also all-gathers the parameters for every micro-batch's forward and backward
/// (and recomputation); with overlap each collective hides behind the compute it can run under.
public enum StepTimeModel {
    public static func estimate(model: ClusterModel, layout: ParallelLayout, microBatchesPerStep m: Int,
                                cluster: Cluster, assumptions: CostAssumptions = .current) throws -> StepTime {
        let bw = try cluster.accelerator.bandwidths()
        let peak = cluster.accelerator.peakFlops * assumptions.matmulEfficiency
        let t = Double(layout.tp), cp = layout.cp, e = 2.0
        let b = Double(layout.microBatch), s = Double(model.seqLen) / Double(cp), keys = Double(model.seqLen)
        let h = Double(model.dModel), f = Double(model.dFF), k = model.kvWidth, a = Double(model.nHead)
        let x = b * s * h
        let links = Links(cluster: cluster, bandwidths: bw, assumptions: assumptions)

        // Compute of one layer for one micro-batch.
        let denseForward = 2 * b * s * (h * (h + 2 * k) + h * h + 2 * h * f) / t
        let attentionForward = 4 * b * s * keys * h / t * (model.flashAttention ? 0.5 : 1)
        let full = layout.recomputation == .full, selective = layout.recomputation == .selective
        let layerFlops = denseForward * (full ? 4 : 3) + attentionForward * (full || selective ? 4 : 3)
        let residualMask = assumptions.dropout ? 1.0 : 0
        let normsAndResiduals = (2 * 2 * e + 2 * (3 * e + residualMask)) * x / (assumptions.sequenceParallel ? t : 1)
        let activation = 2 * (f / h) * e * x / t
        let attentionBytes = model.flashAttention
            ? (2 * h + 2 * k) * b * s * e / t
            : (4 * e + (assumptions.dropout ? 2 * e + 1 : 0)) * a * s * keys * b / t
        let forwardBytes = normsAndResiduals + activation + attentionBytes
        let layerBytes = forwardBytes * (full ? 4 : 3) + (selective ? attentionBytes : 0)
        let layerMatmul = layerFlops / peak
        let layerMemory = layerBytes / bw.memory

        // Tensor parallelism: all-reduces of X e bytes.
        let tpCalls = full ? 6.0 : 4.0
        let layerTP = tpCalls * links.allReduce(bytes: x * e, ranks: layout.tp, span: layout.tp)
        // Context parallelism: ring passes of k and v, hidden behind the attention they feed.
        var layerCP = 0.0
        if cp > 1 {
            let pass = links.pointToPoint(bytes: 2 * b * s * k * e / t, span: layout.tp * cp)
            let passes = Double(cp - 1) * (full ? 4 : 3)
            let attentionTime = attentionForward * (full ? 4 : 3) / peak
            layerCP = max(0, passes * pass - attentionTime)
        }

        // The last stage: its layers plus the output head.
        let layers = Double((model.nLayer + layout.pp - 1) / layout.pp)
        let headMatmul = 6 * b * s * h * Double(model.vocab) / t / peak
        let headMemory = 3 * 4 * b * s * Double(model.vocab) / t / bw.memory
        let slotMatmul = layers * layerMatmul + headMatmul
        let slotMemory = layers * layerMemory + headMemory
        let slotTP = layers * layerTP, slotCP = layers * layerCP
        let transfer = layout.pp > 1 && !assumptions.overlapPipeline
            ? 2 * Double(layout.virtualStages) * links.pointToPoint(bytes: x * e / t, span: layout.tp * cp * layout.dp * layout.pp) : 0
        let slot = slotMatmul + slotMemory + slotTP + slotCP + transfer
        let slots = Double(m)

        // Data parallelism (with ZeRO) over dp · cp ranks, for this stage's parameters.
        let stageParams = model.parameters / Double(layout.tp * layout.pp)
        let ranks = layout.dp * cp, span = layout.tp * cp * layout.dp
        let grads = stageParams * assumptions.gradientBytes, params = stageParams * e
        let compute = slotMatmul + slotMemory
        let backward = compute * 2 / 3, forward = compute / 3
        let overlap = assumptions.overlapDataParallel
        func hidden(_ time: Double, behind window: Double) -> Double { overlap ? max(0, time - window) : time }
        var dataParallel = 0.0
        switch layout.zero {
        case .stage0:
            dataParallel = hidden(links.allReduce(bytes: grads, ranks: ranks, span: span), behind: backward)
        case .stage1:
            let rs = links.reduceScatter(bytes: grads, ranks: ranks, span: span)
            let ag = links.reduceScatter(bytes: params, ranks: ranks, span: span)
            dataParallel = hidden(rs, behind: backward) + hidden(ag, behind: forward)
        case .stage2:
            let rs = links.reduceScatter(bytes: grads, ranks: ranks, span: span)
            let ag = links.reduceScatter(bytes: params, ranks: ranks, span: span)
            dataParallel = slots * hidden(rs, behind: backward) + hidden(ag, behind: forward)
        case .stage3:
            let gathers = full ? 3.0 : 2.0
            let perMicroBatch = gathers * links.reduceScatter(bytes: params, ranks: ranks, span: span)
                + links.reduceScatter(bytes: grads, ranks: ranks, span: span)
            dataParallel = slots * hidden(perMicroBatch, behind: compute)
        }
        // Adam on this GPU's shard: reads fp32 weights, both moments, the gradient; writes them and bf16 weights.
        let shard = stageParams / Double(layout.zero == .stage0 ? 1 : ranks)
        let optimizer = shard * (4 + 4 + 4 + assumptions.gradientBytes + 4 + 4 + 4 + e) / bw.memory

        let bubble = Double(layout.pp - 1) * slot / Double(layout.virtualStages)
        return StepTime(matmul: slots * slotMatmul, memoryBound: slots * slotMemory, tensorParallel: slots * slotTP,
                        contextParallel: slots * slotCP, pipelineTransfers: slots * transfer, bubble: bubble,
                        dataParallel: dataParallel, optimizer: optimizer,
                        tokens: slots * b * Double(layout.dp) * Double(model.seqLen))
    }
}

/// Collective times on the two-level hierarchy (ring algorithms).
struct Links {
    var gpusPerNode: Int
    var intra: Double, inter: Double
    var intraLatency: Double, interLatency: Double

    init(cluster: Cluster, bandwidths: (memory: Double, intraNode: Double, interNode: Double), assumptions: CostAssumptions) {
        gpusPerNode = cluster.gpusPerNode
        intra = bandwidths.intraNode * assumptions.linkEfficiency
        inter = bandwidths.interNode * assumptions.linkEfficiency
        intraLatency = assumptions.intraNodeLatency
        interLatency = assumptions.interNodeLatency
    }

    /// `span`: the GPUs from the first rank of the group to its last in the placement order (the group
    /// and every faster axis); inside one node when `span <= gpusPerNode`.
    private func link(span: Int) -> (bandwidth: Double, latency: Double) {
        span <= gpusPerNode ? (intra, intraLatency) : (inter, interLatency)
    }

    /// Ring all-reduce of `bytes` per rank: `2 (n−1)/n · bytes / B + 2 (n−1) latency`.
    func allReduce(bytes: Double, ranks n: Int, span: Int) -> Double {
        2 * reduceScatter(bytes: bytes, ranks: n, span: span)
    }

    /// Ring reduce-scatter (or all-gather) of `bytes` in total per rank: `(n−1)/n · bytes / B + (n−1) latency`.
    func reduceScatter(bytes: Double, ranks n: Int, span: Int) -> Double {
        guard n > 1 else { return 0 }
        let l = link(span: span)
        return Double(n - 1) / Double(n) * bytes / l.bandwidth + Double(n - 1) * l.latency
    }

    func pointToPoint(bytes: Double, span: Int) -> Double {
        let l = link(span: span)
        return bytes / l.bandwidth + l.latency
    }
}
