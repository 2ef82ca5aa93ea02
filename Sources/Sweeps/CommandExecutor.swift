import Foundation
import Store
import Training

/// Runs a user's own trainer (torchtitan, nanotron, Megatron, a script) per run: a command
/// template whose `{placeholders}` are filled from the run, executed WITHOUT a shell (the
/// arguments go to the program as a list, so a value cannot inject commands). The command writes
/// a JSON file at `{out}`: `{"loss": final validation loss, "train_loss": optional,
/// "wall_seconds": optional, "metrics": optional [{"step", "tokens", "train_loss", "val_loss"}]}`.
public final class CommandExecutor: RunExecutor {
    public static let placeholders = ["n_layer", "d_model", "n_head", "d_ff", "vocab", "seq_len", "params", "tokens",
                                      "steps", "lr", "batch", "seed", "out", "run_id", "name", "data"]
    let template: [String]
    let resultsFolder: URL

    public init(template: [String], resultsFolder: URL) throws {
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
        let values: [String: String] = [
            "n_layer": String(config.model.nLayer), "d_model": String(config.model.dModel),
            "n_head": String(config.model.nHead), "d_ff": String(config.model.dFF), "vocab": String(config.model.vocab),
            "seq_len": String(config.model.seqLen), "params": String(Int(run.params)), "tokens": String(Int(run.tokens)),
            "steps": String(config.train.steps), "lr": String(config.train.lr), "batch": String(config.train.batch),
            "seed": String(config.train.seed), "out": out.path, "run_id": String(run.id!), "name": run.name ?? "",
            "data": config.data.path,
        ]
        return template.map { arg in
            var result = arg
            for (k, v) in values { result = result.replacingOccurrences(of: "{\(k)}", with: v) }
            return result
        }
    }

    public func start(_ run: RunRecord, sweep: String) throws -> RunningJob {
        let folder = RunFolder.location(resultsFolder: resultsFolder, sweep: sweep, run: run)
        let out = folder.appendingPathComponent("result.json")
        try? FileManager.default.removeItem(at: out)
        let args = try arguments(for: run, out: out)
        let child = try ChildProcess(executable: try Self.resolve(args[0]), arguments: Array(args.dropFirst()),
                                     log: folder.appendingPathComponent("log.txt"))
        return CommandJob(run: run, child: child, out: out, started: Date())
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

final class CommandJob: RunningJob {
    var run: RunRecord
    let child: ChildProcess
    let out: URL
    let started: Date
    var runId: Int64 { run.id! }

    init(run: RunRecord, child: ChildProcess, out: URL, started: Date) {
        self.run = run; self.child = child; self.out = out; self.started = started
    }

    func poll() -> JobExit? { child.poll() }
    func interrupt() { child.signal(SIGINT) }
    func kill() { child.signal(SIGKILL) }

    func collect(into store: ResultStore, exit: JobExit) throws {
        guard var current = try store.run(id: runId) else { return }
        current.wallSeconds = (current.wallSeconds ?? 0) + Date().timeIntervalSince(started)
        guard exit.succeeded else {
            current.status = .failed
            current.error = "command \(exit.description); see \(out.deletingLastPathComponent().appendingPathComponent("log.txt").path)"
            try store.updateRun(current)
            return
        }
        guard let data = FileManager.default.contents(atPath: out.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let loss = (object["loss"] as? NSNumber)?.doubleValue, loss.isFinite, loss > 0 else {
            current.status = .failed
            current.error = "command exited 0 but \(out.path) holds no positive finite \"loss\""
            try store.updateRun(current)
            return
        }
        var metrics: [MetricRecord] = []
        for point in object["metrics"] as? [[String: Any]] ?? [] {
            guard let step = (point["step"] as? NSNumber)?.intValue, step >= 0 else { continue }
            metrics.append(MetricRecord(runId: runId, step: step, tokensSeen: (point["tokens"] as? NSNumber)?.doubleValue ?? 0,
                                        trainLoss: (point["train_loss"] as? NSNumber)?.doubleValue,
                                        valLoss: (point["val_loss"] as? NSNumber)?.doubleValue))
        }
        if !metrics.isEmpty { try store.appendMetrics(metrics) }
        current.status = .done
        current.error = nil
        current.finalValLoss = loss
        current.finalTrainLoss = (object["train_loss"] as? NSNumber)?.doubleValue
        if let w = (object["wall_seconds"] as? NSNumber)?.doubleValue { current.wallSeconds = w }
        try store.updateRun(current)
    }
}
