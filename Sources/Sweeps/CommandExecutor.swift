import Foundation
import Store
import Training

/// Runs a user's own trainer (torchtitan, nanotron, Megatron, a script) per run: a command
/// template whose `{placeholders}` are filled from the run, executed WITHOUT a shell (the
/// arguments go to the program as a list, so a value cannot inject commands). Before it starts,
/// the run's folder holds `config.json` (the run's training config, the keys of `ladder train`'s
/// TOML). The trainer protocol (README, "Your own trainer"): the trainer appends JSONL metrics to
/// `{metrics}` (ingested while it trains, see `TrainerMetricsFeed`) and ends with an `end` line;
/// or, as first-generation trainers do, writes `{"loss": ..., "metrics": [...]}` at `{out}` only.
/// SIGINT asks it to checkpoint and stop; the environment carries the same paths (`LADDER_*`).
public final class CommandExecutor: RunExecutor {
    public static let placeholders = ["n_layer", "d_model", "n_head", "d_ff", "vocab", "seq_len", "params", "tokens",
                                      "steps", "lr", "batch", "seed", "out", "run_id", "name", "data",
                                      "config", "run_dir", "metrics", "gpus"]
    let template: [String]
    let resultsFolder: URL
    let store: ResultStore?
    let gpus: Int
    let log: (String) -> Void
    /// Seconds between a run's progress lines.
    public var progressInterval: TimeInterval = 30

    /// `store`: where metrics go while runs train (without it they are read at the end only).
    /// `gpus`: GPUs per run, for `{gpus}`, `LADDER_GPUS` and the GPU-hours recorded per run.
    public init(template: [String], resultsFolder: URL, store: ResultStore? = nil, gpus: Int = 0,
                log: @escaping (String) -> Void = { _ in }) throws {
        guard let program = template.first, !program.isEmpty else {
            throw SweepError.invalid("executor.command must name a program")
        }
        for arg in template {
            for name in Self.placeholderNames(in: arg) where !Self.placeholders.contains(name) {
                throw SweepError.invalid("executor.command: unknown placeholder {\(name)} (known: \(Self.placeholders.map { "{\($0)}" }.joined(separator: ", ")))")
            }
        }
        self.template = template
        self.resultsFolder = resultsFolder
        self.store = store
        self.gpus = gpus
        self.log = log
    }

    static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The argument list for a run, placeholders replaced by the run's values.
    public func arguments(for run: RunRecord, out: URL) throws -> [String] {
        let config = try JSONDecoder().decode(TrainConfig.self, from: Data(run.config.utf8))
        let folder = out.deletingLastPathComponent()
        let values: [String: String] = [
            "n_layer": String(config.model.nLayer), "d_model": String(config.model.dModel),
            "n_head": String(config.model.nHead), "d_ff": String(config.model.dFF), "vocab": String(config.model.vocab),
            "seq_len": String(config.model.seqLen), "params": String(Int(run.params)), "tokens": String(Int(run.tokens)),
            "steps": String(config.train.steps), "lr": String(config.train.lr), "batch": String(config.train.batch),
            "seed": String(config.train.seed), "out": out.path, "run_id": String(run.id!), "name": run.name ?? "",
            "data": config.data.path, "config": folder.appendingPathComponent("config.json").path,
            "run_dir": folder.path, "metrics": folder.appendingPathComponent(Self.metricsFile).path, "gpus": String(gpus),
        ]
        return template.map { arg in
            var result = arg
            for (k, v) in values { result = result.replacingOccurrences(of: "{\(k)}", with: v) }
            return result
        }
    }

    /// The metrics file's name in the run folder.
    public static let metricsFile = "trainer.jsonl"

    public func start(_ run: RunRecord, sweep: String) throws -> RunningJob {
        let folder = RunFolder.location(resultsFolder: resultsFolder, sweep: sweep, run: run)
        let out = folder.appendingPathComponent("result.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: out)
        try Data(run.config.utf8).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        let args = try arguments(for: run, out: out)
        let config = try JSONDecoder().decode(TrainConfig.self, from: Data(run.config.utf8))
        let metrics = folder.appendingPathComponent(Self.metricsFile)
        let feed = store.map { TrainerMetricsFeed(url: metrics, runId: run.id!, store: $0, tokensPerStep: config.tokensPerStep) }
        var environment = ProcessInfo.processInfo.environment
        environment["LADDER_RUN_DIR"] = folder.path
        environment["LADDER_CONFIG"] = folder.appendingPathComponent("config.json").path
        environment["LADDER_METRICS"] = metrics.path
        environment["LADDER_OUT"] = out.path
        environment["LADDER_RUN_ID"] = String(run.id!)
        environment["LADDER_GPUS"] = String(gpus)
        environment["LADDER_COORDINATOR_PID"] = String(ProcessInfo.processInfo.processIdentifier)
        let child = try ChildProcess(executable: try Self.resolve(args[0]), arguments: Array(args.dropFirst()),
                                     log: folder.appendingPathComponent("log.txt"), environment: environment)
        return CommandJob(run: run, child: child, out: out, metrics: metrics, feed: feed, steps: config.train.steps,
                          gpus: gpus, progressInterval: progressInterval, log: log)
    }

    /// A program name searched on PATH, or a path (relative to the working directory).
    static func resolve(_ program: String) throws -> URL {
        if program.contains("/") {
            let url = URL(fileURLWithPath: program)
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw SweepError.invalid("executor.command: \(program) is not an executable file")
            }
            return url
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(program)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw SweepError.invalid("executor.command: program '\(program)' not found on PATH")
    }
}
