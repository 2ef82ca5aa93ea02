import Foundation
import ScalingLaws

extension Plan {
    /// The `--cluster` part of the plan: memory per GPU itemized, the recommended layout and the
    /// alternatives, time, GPU-hours and pipeline bubble. Time uses `flops` (the shape's
    /// attention-aware count, 6 N D + 6 L T d D).
    func clusterReport(cluster: Cluster, shape: ModelShape, tokens: Double, flops: Double) throws
        -> (json: [String: Any], lines: [String]) {
        let model = ClusterModel(shape: shape, seqLen: seqLen, flashAttention: !noFlashAttention)
        let result = try LayoutSearch.search(model: model, cluster: cluster, globalBatchTokens: globalBatch,
                                              contextParallel: contextParallel ? true : nil)
        let acc = cluster.accelerator
        let time = LayoutSearch.trainingTime(flops: flops, gpus: cluster.count, peakFlops: acc.peakFlops, mfu: mfu)
        func layoutJSON(_ o: LayoutOption) -> [String: Any] {
            let l = o.layout, m = o.memory
            return ["dp": l.dp, "tp": l.tp, "pp": l.pp, "cp": l.cp, "zero_stage": l.zero.rawValue,
                    "micro_batch": l.microBatch, "recomputation": l.recomputation.rawValue,
                    "micro_batches_per_step": o.microBatchesPerStep, "bubble_fraction": o.bubbleFraction,
                    "memory_bytes": ["parameters": m.parameters, "gradients": m.gradients,
                                     "optimizer_states": m.optimizerStates, "model_states": m.modelStates,
                                     "activations_per_layer": m.activationsPerLayer,
                                     "layers_per_stage": m.layersPerStage,
                                     "micro_batches_in_flight": m.microBatchesInFlight,
                                     "activations": m.activations, "total": m.total] as [String: Any]]
        }
        let alternatives = Array(result.fitting.dropFirst().prefix(10))
        var json: [String: Any] = [
            "gpus": cluster.count, "gpu": acc.name, "gpu_memory_gb": acc.memoryGB, "peak_flops": acc.peakFlops,
            "gpus_per_node": cluster.gpusPerNode, "mfu": mfu, "seq_len": seqLen, "global_batch_tokens": globalBatch,
            "flash_attention": !noFlashAttention, "context_parallel_considered": contextParallel || seqLen >= 32_768, "memory_reserve": 0.1, "usable_bytes_per_gpu": result.usableBytes,
            "candidates": result.candidates, "fitting": result.fitting.count, "fits": result.best != nil,
            "flops": flops, "flop_counting": "6 N D + 6 L T d D (attention-aware, N non-embedding)",
            "wall_clock_seconds": time.seconds, "wall_clock_days": time.seconds / 86400, "gpu_hours": time.gpuHours,
            "alternatives": alternatives.map(layoutJSON),
        ]
        if let best = result.best { json["layout"] = layoutJSON(best) }
        if let smallest = result.smallest { json["smallest"] = layoutJSON(smallest) }

        var lines: [String] = []
        lines.append("cluster:            \(cluster.count) x \(acc.name) (\(Format.fixed(acc.memoryGB, 0)) GB, \(Format.scientific(acc.peakFlops)) FLOP/s bf16), \(cluster.gpusPerNode) per node; seq \(seqLen), global batch \(Format.si(globalBatch)) tokens, \(noFlashAttention ? "no flash attention" : "flash attention"), 10% memory reserve")
        lines.append(String(format: "time:               %.1f days wall-clock, %@ GPU-hours at MFU %.2f (%@ FLOPs, attention-aware)",
                            time.seconds / 86400, Format.si(time.gpuHours), mfu, Format.scientific(flops)))
        func gb(_ b: Double) -> String { Format.fixed(b / 1e9, 2) }
        func memoryTable(_ o: LayoutOption) -> String {
            let m = o.memory
            return Format.table(header: ["memory per GPU", "GB"], rows: [
                ["parameters (bf16)", gb(m.parameters)], ["gradients (bf16)", gb(m.gradients)],
                ["optimizer (fp32 master + Adam)", gb(m.optimizerStates)],
                ["activations (\(gb(m.activationsPerLayer)) x \(m.layersPerStage) layers x \(m.microBatchesInFlight) in flight)", gb(m.activations)],
                ["total", gb(m.total)], ["usable", gb(result.usableBytes)],
            ])
        }
        if let best = result.best {
            lines.append("layout:             \(best.layout)")
            lines.append(String(format: "pipeline:           %d micro-batches per step, bubble %.1f%%", best.microBatchesPerStep, best.bubbleFraction * 100))
            lines.append(memoryTable(best))
            if !alternatives.isEmpty {
                lines.append("alternatives that fit (\(result.fitting.count) in all, next by communication):")
                lines.append(Format.table(header: ["dp", "tp", "pp", "cp", "ZeRO", "mb", "recompute", "GB", "bubble"],
                                          rows: alternatives.map { o in
                    let l = o.layout
                    return ["\(l.dp)", "\(l.tp)", "\(l.pp)", "\(l.cp)", "\(l.zero.rawValue)", "\(l.microBatch)", l.recomputation.rawValue,
                            gb(o.memory.total), String(format: "%.1f%%", o.bubbleFraction * 100)]
                }))
            }
        } else {
            lines.append("layout:             NOTHING FITS on \(cluster.count) x \(acc.name): none of \(result.candidates) layouts fits in \(gb(result.usableBytes)) GB per GPU; use more or larger GPUs, or a smaller model")
            if let smallest = result.smallest {
                lines.append("least memory:       \(smallest.layout)")
                lines.append(memoryTable(smallest))
            }
        }
        return (json, lines)
    }
}
