import ArgumentParser
import Foundation
import Jobs
import Store
import Training
import Distributed

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one GPT on the CPU from a TOML config and record the run in the store.",
        discussion: """
            The config has sections [model] (vocab, seq_len, d_model, n_layer, n_head, mlp_ratio, \
            position = learned|rope, norm = layernorm|rmsnorm, tied_head), [data] (path: a UTF-8 text file, \
            read as bytes; val_fraction) and [train] (batch, micro_batches, steps, lr, schedule = \
            constant|cosine|wsd, warmup, min_lr_ratio, cooldown_fraction, cooldown_shape = linear|1-sqrt, \
            weight_decay, beta1, beta2, eps, grad_clip, eval_interval, eval_batches, checkpoint_interval, \
            seed, threads, precision = fp32|bf16|fp16|fp8 (fp8 experimental: e4m3 storage computed through bf16), max_grad_norm) \
            and optionally [parallel] (dp, tp, pp, cp, zero = 0|1: ranks per axis; see --backend). A relative data path is relative to the config \
            file. Progress goes to standard error; --json prints one JSON object per event on standard output. \
            Ctrl-C checkpoints and marks the run interrupted; `ladder run-job --run ID` resumes it.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "Training config (TOML).")
    var config: String

    @Option(help: "Sweep to record the run under (created when absent).")
    var sweep: String = "train"

    @Option(help: "Name of the run (default: the config file's name and the time).")
    var name: String?

    @Flag(help: "Print events as JSON lines on standard output.")
    var json = false

    @Option(name: .customLong("peak-gflops"), help: "Stated fp32 peak per thread (GFLOP/s) that MFU is reported against.")
    var peakGflops: Double = PeakFlops.defaultPerThread

    @Option(help: "Where the ranks of a [parallel] run live: threads (of this process) or mpi (this process is one rank under mpirun; needs a `--traits MPI` build).")
    var backend: CommunicationBackend = .threads

    func validate() throws {
        try checkSafeName(sweep, option: "--sweep")
        if let name { try checkSafeName(name, option: "--name") }
    }

    func run() throws {
        let trainConfig = try Self.load(config)
        let stem = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let runName = name ?? "\(stem)-\(Int(Date().timeIntervalSince1970))"
        var job = TrainingJob(target: .new(store: { try store.open() }, sweep: sweep, name: runName), config: trainConfig,
                              printer: RunEventPrinter(json: json))
        job.peakGflopsPerThread = peakGflops
        job.backend = backend
        StopSignal.installHandlers()
        let result = try job.execute()
        if result.outcome != .done { throw ExitCode(result.outcome == .interrupted ? 130 : 2) }
    }

    /// Reads and checks a training config file; the data path becomes absolute.
    static func load(_ path: String) throws -> TrainConfig {
        let file = try ConfigFile(path: path)
        try file.checkKeys(sections: TrainConfig.fileKeys, required: ["model", "data"])
        var config = try file.decode(TrainConfig.self)
        if !config.data.path.hasPrefix("/") {
            config.data.path = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent(config.data.path).standardizedFileURL.path
        }
        do { try config.validate() } catch let error as TrainingError { throw ValidationError("\(path): \(error)") }
        return config
    }
}
