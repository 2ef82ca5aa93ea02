import Foundation
import Jobs
import ScalingLaws

extension Plan {
    /// The `--cluster` part of the plan: the recommended layout by estimated step time, its step
    /// itemized, memory per GPU itemized, the alternatives, the estimated MFU, and time and GPU-hours
    /// at that MFU (or at `--mfu`). `flops` is the shape's attention-aware count (6 N D + 6 L T d D),
    /// which is also the MFU's model-FLOP count. When nothing fits: the least-memory layout, the
    /// fewest GPUs on which the model fits and the largest model that fits on these GPUs.
    func clusterReport(cluster: Cluster, shape: ModelShape, tokens: Double, flops: Double) throws
        -> (json: [String: Any], lines: [String]) {
        let model = ClusterModel(shape: shape, seqLen: seqLen, flashAttention: !noFlashAttention)
        let options = LayoutSearchOptions(contextParallel: contextParallel ? true : nil, tensorParallelAcrossNodes: tpAcrossNodes,
                                          modelFlopsPerToken: flops / tokens)
        let result = try LayoutSearch.search(model: model, cluster: cluster, globalBatchTokens: globalBatch, options: options)
        let acc = cluster.accelerator
        let usedMFU = mfu ?? result.best?.mfu
        let time = usedMFU.map { LayoutSearch.trainingTime(flops: flops, gpus: cluster.count, peakFlops: acc.peakFlops, mfu: $0) }

        let alternatives = Array(result.fitting.dropFirst().prefix(10))
        let bw = try acc.bandwidths()
        var json: [String: Any] = [
            "gpus": cluster.count, "gpu": acc.name, "gpu_memory_gb": acc.memoryGB, "peak_flops": acc.peakFlops,
            "memory_bandwidth": bw.memory, "intra_node_bandwidth": bw.intraNode, "inter_node_bandwidth": bw.interNode,
            "gpus_per_node": cluster.gpusPerNode, "seq_len": seqLen, "global_batch_tokens": globalBatch,
            "flash_attention": !noFlashAttention, "context_parallel_considered": contextParallel || seqLen >= 32_768,
            "tp_across_nodes": tpAcrossNodes, "memory_reserve": options.reserve, "usable_bytes_per_gpu": result.usableBytes,
            "candidates": result.candidates, "fitting": result.fitting.count, "fits": result.best != nil,
            "flops": flops, "flop_counting": "6 N D + 6 L T d D (attention-aware, N non-embedding)",
            "assumptions": Self.assumptionsJSON(options.assumptions),
            "alternatives": alternatives.map(Self.layoutJSON),
        ]
        if let m = mfu { json["mfu"] = m; json["mfu_source"] = "--mfu" }
        else if let m = usedMFU { json["mfu"] = m; json["mfu_source"] = "estimated" }
        if let time {
            json["wall_clock_seconds"] = time.seconds; json["wall_clock_days"] = time.seconds / 86400; json["gpu_hours"] = time.gpuHours
        }
        if let best = result.best { json["layout"] = Self.layoutJSON(best) }
        if let smallest = result.smallest { json["smallest"] = Self.layoutJSON(smallest) }

        var lines: [String] = []
        lines.append("cluster:            \(cluster.count) x \(acc.name) (\(Format.fixed(acc.memoryGB, 0)) GB, \(Format.scientific(acc.peakFlops)) FLOP/s bf16, HBM \(Format.fixed(bw.memory / 1e12, 2)) TB/s), \(cluster.gpusPerNode) per node, \(Format.fixed(bw.intraNode / 1e9, 0)) GB/s in a node and \(Format.fixed(bw.interNode / 1e9, 1)) GB/s across nodes per GPU each way; seq \(seqLen), global batch \(Format.si(globalBatch)) tokens, \(noFlashAttention ? "no flash attention" : "flash attention"), 10% memory reserve")
        if let best = result.best {
            let t = best.stepTime
            lines.append("layout:             \(best.layout)")
            lines.append(String(format: "step:               %.2f s estimated for %@ tokens (%d micro-batches, bubble %.1f%%): matmuls %.2f s at %.0f%% of peak, memory-bound %.2f s, bubble %.2f s, exposed communication %.2f s (tp %.2f, cp %.2f, pp %.2f, dp %.2f), optimizer %.2f s",
                                t.total, Format.si(t.tokens), best.microBatchesPerStep, best.bubbleFraction * 100, t.matmul,
                                options.assumptions.matmulEfficiency * 100, t.memoryBound, t.bubble, t.exposedCommunication,
                                t.tensorParallel, t.contextParallel, t.pipelineTransfers, t.dataParallel, t.optimizer))
            if best.bubbleFraction > 0.2 {
                lines.append(String(format: "note:               the global batch leaves %d micro-batch(es) per step per pipeline (bubble %.0f%%); a larger --global-batch (now %@ tokens) shrinks it",
                                    best.microBatchesPerStep, best.bubbleFraction * 100, Format.si(globalBatch)))
            }
            lines.append(String(format: "estimated MFU:      %.3f (%@ model FLOP/s per GPU)%@", best.mfu,
                                Format.scientific(best.mfu * acc.peakFlops), mfu == nil ? "" : String(format: "; --mfu %.2f used for time", mfu!)))
            if let time {
                lines.append(String(format: "time:               %.1f days wall-clock, %@ GPU-hours at MFU %.3f (%@ FLOPs, attention-aware)",
                                    time.seconds / 86400, Format.si(time.gpuHours), usedMFU!, Format.scientific(flops)))
            }
            lines.append(memoryTable(best, usable: result.usableBytes))
            if !alternatives.isEmpty {
                lines.append("alternatives that fit (\(result.fitting.count) in all, next by estimated time per token):")
                lines.append(Format.table(header: ["dp", "tp", "pp", "v", "cp", "ZeRO", "mb", "recompute", "GB", "bubble", "step s", "MFU"],
                                          rows: alternatives.map { o in
                    let l = o.layout
                    return ["\(l.dp)", "\(l.tp)", "\(l.pp)", "\(l.virtualStages)", "\(l.cp)", "\(l.zero.rawValue)", "\(l.microBatch)", l.recomputation.rawValue,
                            gb(o.memory.total), String(format: "%.1f%%", o.bubbleFraction * 100),
                            String(format: "%.2f", o.stepTime.total), String(format: "%.3f", o.mfu)]
                }))
            }
        } else {
            lines.append("layout:             NOTHING FITS on \(cluster.count) x \(acc.name): none of \(result.candidates) layouts fits in \(gb(result.usableBytes)) GB per GPU")
            if let time { lines.append(String(format: "time:               %.1f days wall-clock at --mfu %.2f", time.seconds / 86400, mfu!)) }
            if let smallest = result.smallest {
                lines.append("least memory:       \(smallest.layout)")
                lines.append(memoryTable(smallest, usable: result.usableBytes))
            }
            let fewest = try LayoutSearch.smallestCluster(model: model, accelerator: acc, gpusPerNode: cluster.gpusPerNode,
                                                          globalBatchTokens: globalBatch, options: options)
            let largest = try LayoutSearch.largestModel(cluster: cluster, vocab: shape.vocab, seqLen: seqLen, kvHeads: kvHeads,
                                                        flashAttention: !noFlashAttention, globalBatchTokens: globalBatch, options: options)
            if let fewest {
                json["smallest_cluster_gpus"] = fewest.count
                lines.append("fits on:            \(fewest.count) x \(acc.name) (\(fewest.count / cluster.gpusPerNode) nodes) or more")
            }
            if let largest {
                let s = largest.choice.shape
                json["largest_model_params"] = largest.choice.parameters
                json["largest_model_shape"] = ["n_layer": s.nLayer, "d_model": s.dModel, "n_head": s.nHead, "kv_heads": s.nKVHead]
                lines.append("largest that fits:  \(Format.si(Double(largest.choice.parameters))) non-embedding parameters (\(s)) on these \(cluster.count) GPUs")
            }
        }
        return (json, lines)
    }

    private func gb(_ b: Double) -> String { Format.fixed(b / 1e9, 2) }

    private func memoryTable(_ o: LayoutOption, usable: Double) -> String {
        let m = o.memory
        return Format.table(header: ["memory per GPU", "GB"], rows: [
            ["parameters (bf16)", gb(m.parameters)], ["gradients (bf16)", gb(m.gradients)],
            ["optimizer (fp32 master + Adam)", gb(m.optimizerStates)],
            ["activations (\(gb(m.activationsPerLayer)) x \(m.layersPerStage) layers x \(m.microBatchesInFlight) in flight\(o.layout.virtualStages > 1 ? " x interleaving" : ""))", gb(m.activations)],
            ["total", gb(m.total)], ["usable", gb(usable)],
        ])
    }

    static func layoutJSON(_ o: LayoutOption) -> [String: Any] {
        let l = o.layout, m = o.memory, t = o.stepTime
        return ["dp": l.dp, "tp": l.tp, "pp": l.pp, "virtual_stages": l.virtualStages, "cp": l.cp, "zero_stage": l.zero.rawValue,
                "micro_batch": l.microBatch, "recomputation": l.recomputation.rawValue,
                "micro_batches_per_step": o.microBatchesPerStep, "bubble_fraction": o.bubbleFraction, "mfu": o.mfu,
                "step_seconds": ["total": t.total, "matmul": t.matmul, "memory_bound": t.memoryBound,
                                 "tensor_parallel": t.tensorParallel, "context_parallel": t.contextParallel,
                                 "pipeline_transfers": t.pipelineTransfers, "bubble": t.bubble,
                                 "data_parallel": t.dataParallel, "optimizer": t.optimizer, "tokens": t.tokens] as [String: Any],
                "memory_bytes": ["parameters": m.parameters, "gradients": m.gradients,
                                 "optimizer_states": m.optimizerStates, "model_states": m.modelStates,
                                 "activations_per_layer": m.activationsPerLayer,
                                 "layers_per_stage": m.layersPerStage,
                                 "micro_batches_in_flight": m.microBatchesInFlight,
                                 "activations": m.activations, "total": m.total] as [String: Any]]
    }

    static func assumptionsJSON(_ a: CostAssumptions) -> [String: Any] {
        ["matmul_efficiency": a.matmulEfficiency, "link_efficiency": a.linkEfficiency,
         "intra_node_latency": a.intraNodeLatency, "inter_node_latency": a.interNodeLatency,
         "sequence_parallel": a.sequenceParallel, "dropout": a.dropout, "overlap_data_parallel": a.overlapDataParallel,
         "overlap_pipeline": a.overlapPipeline, "gradient_bytes": a.gradientBytes]
    }
}
