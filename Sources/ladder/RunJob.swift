import ArgumentParser
import Foundation
import Store
import Sweeps
import Training
import Distributed

struct RunJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-job",
        abstract: "Train a stored run (the sweep executors' entry point); resumes from its checkpoint (parallel runs too).",
        discussion: """
            With --run, the run is read from and recorded in the database. With --run-dir (cluster \
            tasks), the run is read from DIR/run.json and everything is written into DIR (run.json, \
            metrics.jsonl, the checkpoint): the database is never opened; the coordinator ingests the folder.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("run"), help: "Id of the stored run.")
    var runId: Int64?

    @Option(name: .customLong("run-dir"), help: "A run folder prepared by the Slurm executor (no database access).")
    var runDir: String?

    @Flag(help: "Print events as JSON lines on standard output.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: "Override the run's thread count (results do not depend on it).")
    var threads: Int?

    @Option(help: "Where the ranks of a [parallel] run live: threads (of this process) or mpi (this process is one rank under mpirun).")
    var backend: CommunicationBackend = .threads

    @Flag(name: .customLong("exit-with-parent"), help: "Checkpoint and stop (interrupted) when the parent process dies (set by the sweep scheduler).")
    var exitWithParent = false

    func validate() throws {
        if (runId == nil) == (runDir == nil) { throw ValidationError("give exactly one of --run ID and --run-dir DIR") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let sink: RunSink
        let record: RunRecord
        let folder: URL
        if let runDir {
            let runFolder = RunFolder(url: URL(fileURLWithPath: runDir).standardizedFileURL)
            do { record = try runFolder.record() } catch { throw ValidationError("\(error)") }
            sink = runFolder
            folder = runFolder.url
        } else {
            let db = try store.open()
            let id = runId!
            guard let stored = try db.run(id: id) else { throw ValidationError("no run with id \(id) in \(db.path)") }
            guard let sweep = try db.sweeps().first(where: { $0.id == stored.sweepId }) else {
                throw ValidationError("run \(id) has no sweep")
            }
            record = stored
            sink = db
            folder = TrainingJob.runFolderURL(store: db, sweep: sweep.name, runId: id)
        }
        let label = record.id.map { "run \($0)" } ?? "the run"
        if record.status == .done { throw ValidationError("\(label) is already done") }
        var config: TrainConfig
        do {
            config = try JSONDecoder().decode(TrainConfig.self, from: Data(record.config.utf8))
        } catch {
            throw ValidationError("\(label) has no training config the built-in trainer can use: \(error)")
        }
        if let threads { config.train.threads = threads }
        if config.parallel.worldSize > 1 || backend == .mpi {
            guard runDir == nil else {
                throw ValidationError("\(label) asks for \(config.parallel.worldSize) ranks ([parallel]); --run-dir trains single-rank runs: use --run ID (with --backend)")
            }
            let job = ParallelTrainingJob(config: config, backend: backend, store: store, run: .stored(record), printJSON: json)
            installStopHandlers()
            let result = try job.execute()
            if result.outcome != .done { throw ExitCode(result.outcome == .interrupted ? 130 : 2) }
            return
        }
        var job = TrainingJob(sink: sink, run: record, config: config,
                              checkpoint: folder.appendingPathComponent("checkpoint.safetensors"),
                              printJSON: json, quiet: quiet)
        if let trunk = SweepStore.trunkRun(of: record), let step = SweepStore.branchStep(of: record) {
            let trunkCheckpoint = folder.deletingLastPathComponent().appendingPathComponent(String(trunk))
                .appendingPathComponent("checkpoint.safetensors")
            job.branchFrom = KeptCheckpoint.url(beside: trunkCheckpoint, step: step)
        }
        if exitWithParent {
            let parent = getppid()
            job.parentAlive = { getppid() == parent }
        }
        installStopHandlers()
        let result = try job.execute()
        if result.outcome != .done { throw ExitCode(result.outcome == .interrupted ? 130 : 2) }
    }
}
