import ArgumentParser
import Foundation
import Jobs
import ScalingLaws
import Store
import Sweeps
import Training

struct SweepRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep: its grid, then the fits, the validation runs the law predicts, and a plan.",
        discussion: """
            Each run is its own process (`ladder run-job`), K at a time. Running the same command again \
            skips finished runs and resumes interrupted ones from their checkpoints; Ctrl-C checkpoints \
            the running jobs and marks them interrupted. When the grid is done, the law is fitted \
            (parametric with bootstrap intervals, and IsoFLOP), each [[validation]] budget gets a run \
            sized by the law, whose loss the law predicts before it trains, and the plan for [plan] \
            budgets is printed. With --executor command, [executor] command = [...] runs your own trainer. \
            With --executor slurm, the runs go out as one sbatch job array (one task per run, --jobs at a \
            time, [executor] sbatch = [...] adds options); tasks write their run folders beside the \
            database, which this process ingests, so the database and Results/ must be on a filesystem \
            the compute nodes share, and so must this ladder binary.
            """)

    enum ExecutorKind: String, ExpressibleByArgument, CaseIterable { case local, slurm, command }

    @OptionGroup var store: StoreOptions

    @Argument(help: "Sweep file (TOML).")
    var file: String

    @Option(help: "Runs at a time.")
    var jobs: Int = 1

    @Option(name: .customLong("threads-per-job"), help: "Threads per run (default: the file's train.threads).")
    var threadsPerJob: Int?

    @Option(help: "local (the built-in trainer here), slurm (a job array), or command (the file's [executor] command).")
    var executor: ExecutorKind = .local

    @Option(help: "Retries of a crashed run (default: the file's grid.retries).")
    var retries: Int?

    @Flag(help: "Train stored unfinished runs that the edited sweep file now plans differently with the file's settings (they start over); without it such edits are refused with the differences.")
    var replan = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let t = threadsPerJob, t < 1 { throw ValidationError("--threads-per-job must be at least 1") }
        if let r = retries, r < 0 { throw ValidationError("--retries must be >= 0") }
    }

    func run() throws {
        var opened: ResultStore?
        let (spec, text) = try Sweep.load(file, store: { let db = try store.open(); opened = db; return db })
        let db = try opened ?? store.open()
        let planned: [PlannedRun]
        do { planned = try SweepExpansion.fitRuns(spec) } catch { throw ValidationError("\(file): \(error)") }
        let records: [RunRecord]
        do {
            records = try SweepStore.materialize(planned, sweep: spec.name, specText: text, store: db, replan: replan)
        } catch let error as SweepError {
            throw ValidationError("\(file): \(error)")
        }
        StopSignal.installHandlers()
        let scheduler = try makeDriver(spec, db: db)
        let alreadyDone = records.filter { $0.status == .done }.count
        say("sweep \(spec.name): \(records.count) grid runs (\(alreadyDone) already done), \(jobs) at a time, database \(db.path)")
        if let savings = WSDSavings(planned) { say(savings.summary) }
        let summary = try scheduler.run(records.compactMap(\.id))
        if summary.stopped { throw ExitCode(130) }
        if let failures = try SweepFailures.report(records.compactMap(\.id), store: db, sweep: spec.name, stage: "grid") {
            FileHandle.standardError.write(Data(failures.utf8))
            say("not fitting: the law would be fitted without the failed runs; fix the cause and run the same command again (failed runs resume from their checkpoints)")
            throw ExitCode(1)
        }

        if spec.grid.lrs != nil {
            // a learning-rate sweep: its product is the learning-rate law, not L(N, D)
            try FitLearningRate(store: store, sweep: spec.name, counting: spec.model.counting, json: false).run()
            return
        }
        let report = SweepReport(spec: spec, store: db)
        guard let fitted = try report.fit() else { return }
        let validation = try report.validationRuns(fitted)
        if !validation.isEmpty {
            // fewer validation runs than jobs: give each the idle jobs' threads (losses are
            // bit-identical whatever the thread count, so this changes only the wall time)
            let spare = threadsPerJob == nil && executor == .local && validation.count < jobs
            let threads = spare ? max(1, spec.train.threads * jobs / validation.count) : nil
            let vscheduler = spare ? try makeDriver(spec, db: db, threads: threads) : scheduler
            say("validation: \(validation.count) run(s) at larger budgets, sized by the fitted law" +
                (threads.map { ", \($0) threads each" } ?? ""))
            let vsummary = try vscheduler.run(validation.compactMap(\.id))
            if vsummary.stopped { throw ExitCode(130) }
        }
        let validationFailures = try SweepFailures.report(validation.compactMap(\.id), store: db, sweep: spec.name, stage: "validation")
        if let validationFailures { FileHandle.standardError.write(Data(validationFailures.utf8)) }
        try report.printValidation()
        try report.printPlans(fitted)
        if validationFailures != nil { throw ExitCode(1) }
    }

    /// This coordinator's claim on the runs it starts (its `run-job` processes share the token).
    static let owner = LeaseOwner.current()

    func makeDriver(_ spec: SweepSpec, db: ResultStore, threads: Int? = nil) throws -> SweepDriver {
        let ladder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if executor == .slurm {
            var options = SlurmSweep.Options()
            options.jobs = jobs
            options.retries = retries ?? spec.grid.retries
            options.cpusPerTask = threadsPerJob ?? spec.train.threads
            options.threadsOverride = threadsPerJob
            options.sbatchOptions = spec.executor.sbatch ?? []
            options.owner = Self.owner
            if let template = spec.executor.command {  // the sweep's own trainer in each array task
                do {
                    options.command = SlurmCommand(executor: try CommandExecutor(template: template, resultsFolder: URL(fileURLWithPath: db.path).deletingLastPathComponent()),
                                                   gpus: spec.executor.gpus)
                } catch { throw ValidationError("\(file): \(error)") }
            }
            return SlurmSweep(store: db, sweep: spec.name, ladder: ladder, slurm: SlurmCommands(), options: options,
                              shouldStop: { StopSignal.requested }, log: { say($0) })
        }
        var options = SweepScheduler.Options()
        options.jobs = jobs
        options.retries = retries ?? spec.grid.retries
        options.owner = Self.owner
        return SweepScheduler(store: db, sweep: spec.name, executor: try makeExecutor(spec, db: db, ladder: ladder, threads: threads),
                              options: options, shouldStop: { StopSignal.requested }, log: { say($0) })
    }

    func makeExecutor(_ spec: SweepSpec, db: ResultStore, ladder: URL, threads: Int? = nil) throws -> RunExecutor {
        switch executor {
        case .slurm:
            preconditionFailure("the Slurm executor is a driver of its own")
        case .local:
            return LocalExecutor(ladder: ladder,
                                 databasePath: URL(fileURLWithPath: db.path).standardizedFileURL.path,
                                 threadsPerJob: threads ?? threadsPerJob, leaseToken: Self.owner.token)
        case .command:
            guard let template = spec.executor.command else {
                throw ValidationError("\(file): --executor command needs [executor] command = [\"program\", \"arg\", ...]")
            }
            do {
                return try CommandExecutor(template: template,
                                           resultsFolder: URL(fileURLWithPath: db.path).deletingLastPathComponent(),
                                           store: db, gpus: spec.executor.gpus, log: { say($0) })
            } catch { throw ValidationError("\(file): \(error)") }
        }
    }
}

/// Progress lines go to standard error; results to standard output.
func say(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
