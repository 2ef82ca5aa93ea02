import Foundation
import Store

/// A user's trainer as the Slurm executor's array tasks: each task runs the command template of
/// `[executor] command` (e.g. `torchrun --nproc_per_node={gpus} train.py ...`) for its run instead
/// of `ladder run-job`, holding `gpus` GPUs (`--gres=gpu:K`). The coordinator writes, per run,
/// `config.json` and `command.sh` (the filled-in arguments, each single-quoted: no value is
/// expanded by the shell, and the `LADDER_*` environment of the trainer protocol) before sbatch;
/// it follows each task's `trainer.jsonl` as the command executor does.
public struct SlurmCommand {
    public let executor: CommandExecutor
    public let gpus: Int

    public init(executor: CommandExecutor, gpus: Int) { self.executor = executor; self.gpus = gpus }

    /// Writes the run's `config.json`, `command.sh` and the metrics file's size now (where this
    /// attempt's lines start).
    func prepare(_ run: RunRecord, folder: URL) throws {
        let out = folder.appendingPathComponent("result.json")
        try? FileManager.default.removeItem(at: out)
        try Data(run.config.utf8).write(to: folder.appendingPathComponent("config.json"), options: .atomic)
        let args = try executor.arguments(for: run, out: out)
        let program = try CommandExecutor.resolve(args[0]).path
        let env: [(String, String)] = [
            ("LADDER_RUN_DIR", folder.path), ("LADDER_CONFIG", folder.appendingPathComponent("config.json").path),
            ("LADDER_METRICS", metricsURL(folder).path), ("LADDER_OUT", out.path),
            ("LADDER_RUN_ID", String(run.id!)), ("LADDER_GPUS", String(gpus)),
        ]
        var script = "#!/bin/sh\n# Written by ladder: run \(run.id!)'s trainer (the sweep's [executor] command).\n"
        for (name, value) in env { script += "export \(name)=\(SlurmSubmission.quote(value))\n" }
        let words: [String] = [program] + args.dropFirst()
        script += "exec " + words.map { SlurmSubmission.quote($0) }.joined(separator: " ") + "\n"
        try script.write(to: folder.appendingPathComponent("command.sh"), atomically: true, encoding: .utf8)
        try String(TrainerMetricsFeed.size(of: metricsURL(folder)))
            .write(to: folder.appendingPathComponent("attempt-start"), atomically: true, encoding: .utf8)
    }

    func metricsURL(_ folder: URL) -> URL { folder.appendingPathComponent(CommandExecutor.metricsFile) }

    /// The feed of a run's metrics, from where its latest attempt started.
    func feed(runId: Int64, folder: URL, store: ResultStore, tokensPerStep: Int) -> TrainerMetricsFeed {
        let start = (try? String(contentsOf: folder.appendingPathComponent("attempt-start"), encoding: .utf8))
            .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        return TrainerMetricsFeed(url: metricsURL(folder), runId: runId, store: store, tokensPerStep: tokensPerStep,
                                  attemptStart: start)
    }
}
