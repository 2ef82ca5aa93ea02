import ArgumentParser
import Foundation
import Jobs
import ScalingLaws
import Store

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute-optimal model size N and tokens D for a budget, with a model shape.",
        discussion: """
            Budget: --flops C, or --gpu-hours H with --gpu NAME (\(Accelerator.known.map(\.name).joined(separator: ", "))) \
            and --mfu, or --flops-per-second F with --hours H. Variants: --params N (fixed model size), \
            --target-loss L (least compute reaching L), --unique-tokens U (data-constrained, Muennighoff \
            et al. 2023), --inference-tokens T (training plus inference compute, Sardana et al. 2024). \
            FLOPs are counted as the law was fitted: a fit of a sweep's runs plans in the sweep's counting \
            (N as its [model] params says, C from each shape of its family, output head and attention \
            included) with a shape from that family; published laws and fits without a sweep in \
            C = 6 N D with N non-embedding, the shape's attention FLOPs reported beside. --cluster COUNTxGPU picks a \
            shape that tensor and pipeline parallelism divide (heads a multiple of 8, layers of 8 or 4; \
            --kv-heads for grouped-query attention) and adds memory per GPU (ZeRO 0-3, Korthikanti et al. \
            2022 activations), the layouts (dp, tp, pp, cp, ZeRO stage, micro-batch, recomputation) that \
            fit, ranked by estimated step time (matmuls at 75% of peak, memory-bound kernels, exposed \
            communication over NVLink and the network, pipeline bubble), the estimated MFU, and time and \
            GPU-hours at that MFU (or at --mfu).
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var lawOptions: LawOptions

    @Option(help: "Training compute budget in FLOPs (e.g. 1e21).")
    var flops: Double?
    @Option(name: .customLong("gpu-hours"), help: "Budget in accelerator-hours (with --gpu and --mfu).")
    var gpuHours: Double?
    @Option(help: "Accelerator for --gpu-hours.")
    var gpu: String?
    @Option(help: "Model FLOPs utilization for --gpu-hours (default 0.4) and, with --cluster, instead of the estimated one.")
    var mfu: Double?
    @Option(name: .customLong("flops-per-second"), help: "Sustained FLOP/s (with --hours).")
    var flopsPerSecond: Double?
    @Option(help: "Hours at --flops-per-second.")
    var hours: Double?

    @Option(help: "Fixed model size N (counted as the law counts N: non-embedding for published laws, the sweep's counting for a sweep's fit): best tokens and loss for the budget.")
    var params: Double?
    @Option(name: .customLong("target-loss"), help: "Least compute that reaches this loss.")
    var targetLoss: Double?
    @Option(name: .customLong("unique-tokens"), help: "Unique tokens available (repeated epochs are worth less).")
    var uniqueTokens: Double?
    @Option(name: .customLong("inference-tokens"), help: "Tokens the model will serve in its lifetime.")
    var inferenceTokens: Double?

    @Option(help: "Vocabulary size for the model shape.")
    var vocab: Int = 32_000
    @Option(name: .customLong("seq-len"), help: "Context length for the model shape.")
    var seqLen: Int = 2048

    @Option(help: "Cluster for a layout and time plan: COUNTxGPU (e.g. 64xh100).")
    var cluster: String?
    @Option(name: .customLong("gpu-table"), help: "TOML file of more GPUs ([[gpu]] name, peak_tflops, memory_gb) for --gpu and --cluster; a listed name replaces the built-in row.")
    var gpuTable: String?
    @Option(name: .customLong("gpu-memory"), help: "Override the cluster GPU's memory in GB.")
    var gpuMemory: Double?
    @Option(name: .customLong("global-batch"), help: "Global batch in tokens per optimizer step (with --cluster).")
    var globalBatch: Double = 4_194_304
    @Flag(name: .customLong("no-flash-attention"), help: "With --cluster: attention stores its a·s² scores (Korthikanti's 5as/h term).")
    var noFlashAttention = false
    @Flag(name: .customLong("context-parallel"), help: "With --cluster: consider context parallelism below 32k tokens too.")
    var contextParallel = false
    @Option(name: .customLong("kv-heads"), help: "With --cluster: key/value heads of grouped-query attention (default: one per head).")
    var kvHeads: Int?
    @Flag(name: .customLong("tp-across-nodes"), help: "With --cluster: let tensor parallelism span nodes (default: tp within a node).")
    var tpAcrossNodes = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        let variants = [params != nil, targetLoss != nil, uniqueTokens != nil, inferenceTokens != nil].filter { $0 }.count
        if variants > 1 { throw ValidationError("use one of --params, --target-loss, --unique-tokens, --inference-tokens") }
        let budgets = [flops != nil, gpuHours != nil, flopsPerSecond != nil].filter { $0 }.count
        if budgets > 1 { throw ValidationError("give the budget once: --flops, --gpu-hours or --flops-per-second") }
        if budgets == 0 && targetLoss == nil { throw ValidationError("missing budget: --flops C (or --gpu-hours H --gpu NAME, or --flops-per-second F --hours H)") }
        let gpus = try GPUTable.load(gpuTable)
        if gpuHours != nil && gpu == nil { throw ValidationError("--gpu-hours needs --gpu NAME (\(gpus.map(\.name).joined(separator: ", ")))") }
        if let gpu, Accelerator.named(gpu, in: gpus) == nil { throw ValidationError("unknown --gpu '\(gpu)'; known: \(gpus.map(\.name).joined(separator: ", "))") }
        if flopsPerSecond != nil && hours == nil { throw ValidationError("--flops-per-second needs --hours") }
        if let mfu, !(mfu > 0 && mfu <= 1) { throw ValidationError("--mfu must be in (0, 1], got \(mfu)") }
        if cluster == nil, kvHeads != nil || tpAcrossNodes {
            throw ValidationError("--kv-heads and --tp-across-nodes need --cluster COUNTxGPU")
        }
        if let kvHeads, kvHeads < 1 { throw ValidationError("--kv-heads must be at least 1, got \(kvHeads)") }
        for (name, v) in [("--flops", flops), ("--gpu-hours", gpuHours), ("--flops-per-second", flopsPerSecond), ("--hours", hours),
                          ("--params", params), ("--target-loss", targetLoss), ("--unique-tokens", uniqueTokens)] {
            if let v, !(v.isFinite && v > 0) { throw ValidationError("\(name) must be a positive number, got \(v)") }
        }
        if let t = inferenceTokens, !(t.isFinite && t >= 0) { throw ValidationError("--inference-tokens must be >= 0") }
        if gpuMemory != nil && cluster == nil { throw ValidationError("--gpu-memory needs --cluster COUNTxGPU") }
        if let cluster {
            do { _ = try Cluster.parse(cluster, gpuMemoryGB: gpuMemory, table: gpus) } catch let e as ScalingLawError {
                throw ValidationError(e.description)
            }
            if !(globalBatch.isFinite && globalBatch >= Double(seqLen)) {
                throw ValidationError("--global-batch must hold at least one sequence (>= --seq-len \(seqLen) tokens), got \(globalBatch)")
            }
        }
    }

    var budget: Double? {
        if let flops { return flops }
        if let gpuHours, let gpu, let acc = Accelerator.named(gpu, in: (try? GPUTable.load(gpuTable)) ?? Accelerator.known) {
            return gpuHours * 3600 * acc.peakFlops * (mfu ?? 0.4)
        }
        if let flopsPerSecond, let hours { return flopsPerSecond * hours * 3600 }
        return nil
    }

    func run() throws {
        try noteSkippedFits()
        let stored = try lawOptions.stored(store: store)
        let (law, lawName, boot, level) = try lawOptions.resolve(stored, store: store)
        guard law.isValid else {
            throw ValidationError("\(lawName) cannot plan: L = E + A/N^alpha + B/D^beta needs every parameter positive and finite, got E = \(law.E), A = \(law.A), B = \(law.B), alpha = \(law.alpha), beta = \(law.beta); refit with more runs (`ladder fit`) or pick another fit (--fit ID)")
        }
        // a fit of a sweep's runs plans in the sweep's counting of N and C, and with its shapes
        let fitModel = cluster == nil ? try stored.flatMap(FitModel.of) : nil
        let counting = fitModel?.flopCounting ?? .sixND
        let countingText = fitModel?.summary ?? "C = 6 N D, N non-embedding parameters"
        var out: [String: Any] = ["law": lawName, "flop_counting": countingText,
                                  "E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta]
        var intervals: [String: Any] = [:]
        let plan: Allocation
        var notes: [String] = []
        if let targetLoss {
            plan = try law.minimumCompute(targetLoss: targetLoss, counting: counting)
            out["variant"] = "target-loss"
            out["target_loss"] = targetLoss
            intervals["flops"] = interval(boot, level: level) { try $0.minimumCompute(targetLoss: targetLoss, counting: counting).flops }
        } else {
            let c = budget!
            if let params {
                plan = try law.allocation(flops: c, params: params, counting: counting)
                out["variant"] = "fixed-params"
                let optimal = try law.computeOptimal(flops: c, counting: counting)
                notes.append(String(format: "the compute-optimal model for this budget has %@ parameters and reaches loss %.4f",
                                    Format.si(optimal.params), optimal.loss))
                out["optimal_params"] = optimal.params
                out["optimal_loss"] = optimal.loss
            } else if let u = uniqueTokens {
                let dc = try law.dataConstrainedOptimal(flops: c, uniqueTokens: u, counting: counting)
                plan = dc.allocation
                out["variant"] = "data-constrained"
                out["unique_tokens"] = u
                out["epochs"] = dc.epochs
                out["effective_tokens"] = dc.effectiveTokens
                notes.append(String(format: "%.2f epochs over %@ unique tokens, worth %@ fresh tokens",
                                    dc.epochs, Format.si(u), Format.si(dc.effectiveTokens)))
            } else if let t = inferenceTokens {
                let ia = try law.inferenceAwareOptimal(flops: c, inferenceTokens: t)
                if fitModel != nil {
                    out["flop_counting"] = "C = 6 N D for training and 2 N per inference token (the inference-aware variant does not take the sweep's counting)"
                    notes.append("the inference-aware variant counts training as 6 N D and inference as 2 N per token, not as the fit's sweep counts C")
                }
                plan = ia.allocation
                out["variant"] = "inference-aware"
                out["inference_tokens"] = t
                out["total_flops"] = ia.totalFlops
                out["baseline_total_flops"] = ia.baselineTotalFlops
                out["savings"] = ia.savings
                notes.append(String(format: "training + inference compute %.3e FLOPs vs %.3e for the Chinchilla-optimal model (%.1f%% saved) at the same loss",
                                    ia.totalFlops, ia.baselineTotalFlops, ia.savings * 100))
            } else {
                plan = try law.computeOptimal(flops: c, counting: counting)
                out["variant"] = "compute-optimal"
                intervals["params"] = interval(boot, level: level) { try $0.computeOptimal(flops: c, counting: counting).params }
                intervals["tokens"] = interval(boot, level: level) { try $0.computeOptimal(flops: c, counting: counting).tokens }
                intervals["loss"] = interval(boot, level: level) { try $0.computeOptimal(flops: c, counting: counting).loss }
            }
        }
        try Self.checkUsable(plan, lawName: lawName)
        out["flops"] = plan.flops
        out["params"] = plan.params
        out["tokens"] = plan.tokens
        out["loss"] = plan.loss
        out["tokens_per_param"] = plan.tokensPerParam
        // A cluster plan needs a shape its parallel degrees divide; otherwise the planner's usual shape rule.
        let parallelShape = cluster == nil ? nil
            : try ModelShape.parallelSearch(params: plan.params, vocab: vocab, seqLen: seqLen, kvHeads: kvHeads)
        let shape = try parallelShape?.choice ?? fitModel?.shape(params: plan.params)
            ?? ModelShape.search(params: plan.params, vocab: vocab, seqLen: seqLen)
        let s = shape.shape
        let attentionFlops = s.flopCounting.trainingFlops(params: Double(shape.parameters), tokens: plan.tokens)
        out["shape"] = ["n_layer": s.nLayer, "d_model": s.dModel, "n_head": s.nHead, "d_ff": s.dFF, "vocab": s.vocab,
                        "seq_len": s.seqLen, "kv_heads": s.nKVHead, "params_non_embedding": s.nonEmbeddingParameters,
                        "params_total": s.totalParameters, "relative_error": shape.relativeError,
                        "flops_with_attention": attentionFlops]
        if let p = parallelShape, var shapeJSON = out["shape"] as? [String: Any] {
            shapeJSON["parallel_friendly"] = p.summary
            shapeJSON["tp_degrees_dividing"] = p.tensorParallelDegrees
            shapeJSON["pp_degrees_dividing"] = p.pipelineParallelDegrees
            out["shape"] = shapeJSON
        }
        var taskLine: String?
        if let task = stored.flatMap({ StoredTask.decode($0.record) }) {
            let metric = task.link.metric(loss: plan.loss)
            var iv: [Double]?
            if out["variant"] as? String == "compute-optimal", task.links.count == boot.count, let level {
                let values = zip(boot, task.links).map { pair in
                    (try? pair.0.computeOptimal(flops: plan.flops).loss).map { pair.1.metric(loss: $0) } ?? .nan
                }
                iv = Interval.percentile(values, level: level).map { [$0.lower, $0.upper] }
            }
            out["task"] = ["name": "task:" + task.name, "metric": metric, "interval": iv.map { $0 as Any } ?? NSNull()]
            taskLine = String(format: "predicted task:%@: %.4f", task.name, metric)
                + (iv.map { String(format: " [%.4f, %.4f]", $0[0], $0[1]) } ?? "") + " (two-step: the loss, then the fitted sigmoid link)"
        }
        let cleanIntervals = intervals.compactMapValues { $0 }
        if !cleanIntervals.isEmpty {
            var iv = cleanIntervals
            iv["level"] = level
            out["intervals"] = iv
        }
        var clusterLines: [String] = []
        if let cluster {
            let report = try clusterReport(cluster: try Cluster.parse(cluster, gpuMemoryGB: gpuMemory, table: try GPUTable.load(gpuTable)), shape: s,
                                           tokens: plan.tokens, flops: attentionFlops)
            out["cluster"] = report.json
            clusterLines = report.lines
        }
        if json {
            print(try jsonLine(out))
            return
        }
        func withInterval(_ key: String, _ text: String, _ f: (Double) -> String) -> String {
            guard let iv = cleanIntervals[key] as? [Double] else { return text }
            return text + "   [\(f(iv[0])), \(f(iv[1]))] \(Int((level ?? 0) * 100))% interval"
        }
        print("law: \(lawName): E=\(fmt(law.E)) A=\(fmt(law.A)) B=\(fmt(law.B)) alpha=\(fmt(law.alpha)) beta=\(fmt(law.beta))")
        print(withInterval("flops", "compute:            \(Format.scientific(plan.flops)) FLOPs (\(fitModel == nil ? "C = 6 N D, N non-embedding" : "as the fit's sweep counts C"))") { Format.scientific($0) })
        print(withInterval("params", "parameters N:       \(Format.si(plan.params))") { Format.si($0) })
        print(withInterval("tokens", "tokens D:           \(Format.si(plan.tokens))") { Format.si($0) })
        print(String(format: "tokens/parameter:   %.1f", plan.tokensPerParam))
        print(withInterval("loss", String(format: "predicted loss:     %.4f", plan.loss)) { String(format: "%.4f", $0) })
        print("model shape:        \(s) — \(Format.si(Double(s.nonEmbeddingParameters))) non-embedding (\(String(format: "%+.1f%%", shape.relativeError * 100))), \(Format.si(Double(s.totalParameters))) total")
        if let p = parallelShape { print("parallel-friendly:  \(p.summary)") }
        if let fitModel {
            print("counting:           \(fitModel.summary)")
        } else {
            print("with attention:     \(Format.scientific(attentionFlops)) FLOPs for this shape (6N + 6 L T d per token)")
        }
        if let taskLine { print(taskLine) }
        for n in notes { print("note: \(n)") }
        for line in clusterLines { print(line) }
    }

    private func fmt(_ x: Double) -> String { String(format: "%.4g", x) }

    /// A plan must train at least one parameter on at least one token to a plausible loss; a law
    /// fitted on too few or too noisy runs can give D = 0 or a loss of thousands of nats.
    static func checkUsable(_ plan: Allocation, lawName: String) throws {
        let finite = [plan.flops, plan.params, plan.tokens, plan.loss].allSatisfy(\.isFinite)
        guard finite, plan.params >= 1, plan.tokens >= 1, plan.loss > 0, plan.loss < maxPlausibleLoss else {
            throw ValidationError("\(lawName) gives N = \(plan.params), D = \(plan.tokens), loss \(plan.loss) at C = \(plan.flops): not a usable plan (N and D must be at least 1, the loss in (0, \(maxPlausibleLoss)) nats); refit the law with more runs or pick another (--fit ID, --law)")
        }
    }

    /// Far above the loss of a uniform guess over any vocabulary (ln 2^31 = 21.5 nats).
    static let maxPlausibleLoss = 50.0

    /// Says which newer stored fits the default law skips, and why.
    func noteSkippedFits() throws {
        guard lawOptions.fit == nil || lawOptions.fit == "latest", lawOptions.law == nil,
              FileManager.default.fileExists(atPath: store.resolvedPath),
              let db = try? ResultStore.openReadOnly(path: store.resolvedPath) else { return }
        for (fit, reason) in try db.latestUsableParametricFit().skipped {
            FileHandle.standardError.write(Data("note: fit \(fit.id ?? 0) is newer but not used: \(reason)\n".utf8))
        }
    }
}
