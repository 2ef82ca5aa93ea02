import ArgumentParser
import Foundation
import Jobs
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

    @Option(help: ArgumentHelp("Train under this claim token (set by the sweep scheduler, which holds the run's claim).", valueName: "token"))
    var lease: String?

    @Flag(name: .customLong("exit-with-parent"), help: "Checkpoint and stop (interrupted) when the parent process dies (set by the sweep scheduler).")
    var exitWithParent = false

    func validate() throws {
        if (runId == nil) == (runDir == nil) { throw ValidationError("give exactly one of --run ID and --run-dir DIR") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let target: JobTarget
        if let runDir {
            target = .folder(RunFolder(url: URL(fileURLWithPath: runDir).standardizedFileURL))
        } else {
            target = .stored(store: { try store.open() }, runId: runId!)
        }
        var config: TrainConfig
        do { config = try target.storedConfig() } catch { throw ValidationError("\(error)") }
        if let threads { config.train.threads = threads }
        var job = TrainingJob(target: target, config: config, printer: RunEventPrinter(json: json, quiet: quiet))
        job.backend = backend
        if let lease { job.leaseToken = lease }
        if exitWithParent {
            let parent = getppid()
            job.parentAlive = { getppid() == parent }
        }
        StopSignal.installHandlers()
        let result = try job.execute()
        if result.outcome != .done { throw ExitCode(result.outcome == .interrupted ? 130 : 2) }
    }
}
