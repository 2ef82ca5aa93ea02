import Foundation
import Store

/// Runs a sweep's runs on Slurm: the runs go out as one sbatch job array (one task per run, each
/// `ladder run-job --run-dir`), at most `jobs` tasks at a time (`--array=...%jobs`).
///
/// Only this coordinator writes the database. Tasks write their run folders on the shared
/// filesystem (`<results>/<sweep>/runs/<id>/`); the coordinator polls squeue and ingests each
/// folder (live metrics while the task runs, the outcome when it leaves the queue). A run is
/// `running` in the store and its folder and the submission's folder exist before sbatch is
/// called, so a coordinator killed at any moment finds its array again by job name on the next
/// `sweep run` and reattaches; runs whose tasks are gone are resubmitted and resume from their
/// checkpoints. Ctrl-C sends SIGINT to running tasks (they checkpoint and record themselves
/// interrupted), cancels pending ones, and cancels what is left after the grace period.
public final class SlurmSweep: SweepDriver {
    public struct Options {
        public var jobs: Int = 1
        public var retries: Int = 1
        public var pollInterval: TimeInterval = 2
        public var interruptGrace: TimeInterval = 60
        /// Threads per task (`--cpus-per-task`, and `--threads` for run-job when set explicitly).
        public var cpusPerTask: Int = 1
        public var threadsOverride: Int?
        /// Extra sbatch options from the sweep file (`[executor] sbatch = [...]`).
        public var sbatchOptions: [String] = []
        /// Most tasks per array (Slurm's MaxArraySize default allows indices up to 1000).
        public var maxArraySize = 1000
        /// The claim this coordinator holds on the runs it submits or watches.
        public var owner = LeaseOwner.current()
        public init() {}
    }

    let store: ResultStore
    let sweep: String
    let sweepFolder: URL
    let ladder: URL
    let slurm: SlurmControl
    let options: Options
    let shouldStop: () -> Bool
    let log: (String) -> Void

    public init(store: ResultStore, sweep: String, ladder: URL, slurm: SlurmControl, options: Options,
                shouldStop: @escaping () -> Bool = { false }, log: @escaping (String) -> Void = { _ in }) {
        self.store = store; self.sweep = sweep; self.ladder = ladder; self.slurm = slurm; self.options = options
        self.shouldStop = shouldStop; self.log = log
        sweepFolder = RunFolder.resultsFolder(of: store).appendingPathComponent(sweep)
    }

    func runFolder(_ id: Int64) throws -> RunFolder {
        guard let run = try store.run(id: id) else { throw SweepError.notFound("run \(id) is not in the store") }
        return RunFolder(url: RunFolder.location(resultsFolder: RunFolder.resultsFolder(of: store), sweep: sweep, run: run))
    }

    public func run(_ runIds: [Int64]) throws -> SweepScheduler.Summary {
        var summary = SweepScheduler.Summary()
        let leases = LeaseBook(store: store, owner: options.owner, log: log)
        defer { try? leases.releaseAll() }
        var live: [SlurmSubmission] = []
        for s in try reattach() {
            // an array another live coordinator watches stays its own
            let open = s.runIds.enumerated().filter { !s.ended.contains($0.offset) }.map(\.element)
            var mine: [Int64] = []
            for id in open where try leases.claim(id, name: nil) { mine.append(id) }
            if mine.count == open.count { live.append(s) } else { for id in mine { try leases.release(id) } }
        }
        let busy = Set(live.flatMap(\.runIds)).union(leases.waiting.keys)
        var queue: [Int64] = []
        for id in runIds where !busy.contains(id) {
            guard let r = try store.run(id: id) else { throw SweepError.notFound("run \(id) is not in the store") }
            if SweepScheduler.runnable.contains(r.status) { queue.append(id) }
        }
        var attempts: [Int64: Int] = [:]
        var failedPolls = 0
        while !queue.isEmpty || !live.isEmpty || !leases.waiting.isEmpty {
            if shouldStop() {
                summary.stopped = true
                try stopAll(live, summary: &summary)
                return summary
            }
            try leases.heartbeatIfDue()
            for id in try leases.freed() {
                guard let r = try store.run(id: id) else { continue }
                if SweepScheduler.runnable.contains(r.status) {
                    queue.append(id)
                } else {
                    if r.status == .done { summary.done += 1 } else { summary.failed += 1 }
                    log("\(r.name ?? "#\(id)") \(r.status.rawValue) by the process that held it")
                }
            }
            if !queue.isEmpty {
                var (ready, blocked) = try RunDependencies.takeReady(&queue, limit: .max,
                                                                     running: Set(live.flatMap(\.runIds)).union(leases.waiting.keys),
                                                                     store: store)
                ready = try ready.filter { try leases.claim($0, name: nil) }
                for r in blocked {
                    summary.failed += 1
                    log("failed \(r.name ?? "#\(r.id!)"): \(r.error ?? "")")
                }
                for id in ready { attempts[id, default: 0] += 1 }
                // Slurm's default MaxArraySize is 1001: larger sets go out as several arrays.
                for start in stride(from: 0, to: ready.count, by: options.maxArraySize) {
                    let chunk = Array(ready[start..<min(start + options.maxArraySize, ready.count)])
                    if let submission = try submit(chunk, summary: &summary) { live.append(submission) }
                }
            }
            for i in live.indices {
                let alive: [SlurmTask]
                do { alive = try slurm.tasks(jobName: live[i].jobName); failedPolls = 0 } catch {
                    failedPolls += 1
                    log("squeue failed (\(failedPolls)): \(error)")
                    if failedPolls >= 30 { throw error }
                    continue
                }
                let aliveIndices = Set(alive.map(\.index))
                for (index, id) in live[i].runIds.enumerated() where !live[i].ended.contains(index) {
                    if aliveIndices.contains(index) {
                        _ = try? ingest(id)  // live metrics; the task may be mid-write
                        continue
                    }
                    live[i].ended.append(index)
                    let r = try finish(id, submission: live[i], index: index)
                    try leases.release(id)
                    switch r.status {
                    case .done:
                        summary.done += 1
                        log("done \(r.name ?? "#\(id)"): loss \(r.loss.map { String(format: "%.4f", $0) } ?? "-")")
                    case .diverged:
                        summary.diverged += 1
                        log("diverged \(r.name ?? "#\(id)"): \(r.error ?? "")")
                    default:
                        if attempts[id, default: 1] <= options.retries {
                            log("run \(id) \(r.status.rawValue) (\(r.error ?? "")); resubmitting, it resumes from its checkpoint")
                            queue.append(id)
                        } else {
                            summary.failed += 1
                            log("failed \(r.name ?? "#\(id)"): \(r.error ?? "")")
                        }
                    }
                }
                if live[i].ended.count == live[i].runIds.count { live[i].finished = true }
                try live[i].save(in: sweepFolder)
            }
            live.removeAll { $0.finished }
            if !live.isEmpty || (queue.isEmpty && !leases.waiting.isEmpty) { Thread.sleep(forTimeInterval: options.pollInterval) }
        }
        return summary
    }

    /// Unfinished submissions from earlier coordinators: ended tasks are ingested; arrays with
    /// tasks still queued or running are watched again instead of being submitted twice.
    func reattach() throws -> [SlurmSubmission] {
        var live: [SlurmSubmission] = []
        for var s in try SlurmSubmission.load(in: sweepFolder) where !s.finished {
            let alive = Set(try slurm.tasks(jobName: s.jobName).map(\.index))
            if alive.isEmpty {
                for (index, id) in s.runIds.enumerated() where !s.ended.contains(index) {
                    _ = try finish(id, submission: s, index: index)
                    s.ended.append(index)
                }
                s.finished = true
                try s.save(in: sweepFolder)
            } else {
                log("reattaching to Slurm job \(s.jobId ?? s.jobName): \(alive.count) task(s) still queued or running")
                live.append(s)
            }
        }
        return live
    }

    /// Marks the runs running, writes their folders, the script and the submission, then submits.
    func submit(_ ids: [Int64], summary: inout SweepScheduler.Summary) throws -> SlurmSubmission? {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let name = "\(stamp)-\(UInt32.random(in: 0...UInt32.max) & 0xffff)"
        var submission = SlurmSubmission(name: name, jobName: "ladder-\(sweep)-\(name)".filter { !$0.isWhitespace },
                                         runIds: ids)
        let dir = submission.url(in: sweepFolder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for id in ids {
            guard var r = try store.run(id: id) else { continue }
            r.status = .running
            r.error = nil
            try store.updateRun(r)
            try runFolder(id).prepare(r)
        }
        let tasks = dir.appendingPathComponent("tasks.txt")
        let folders = try ids.map { try runFolder($0).url.lastPathComponent }
        try (folders.joined(separator: "\n") + "\n").write(to: tasks, atomically: true, encoding: .utf8)
        let script = dir.appendingPathComponent("job.sh")
        try SlurmSubmission.script(ladder: ladder, tasks: tasks, runs: sweepFolder.appendingPathComponent("runs"),
                                   threads: options.threadsOverride)
            .write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        try submission.save(in: sweepFolder)
        let sbatch = ["--output=\(dir.path)/task-%a.out", "--cpus-per-task=\(options.cpusPerTask)",
                      "--signal=B:INT@120"] + options.sbatchOptions
        do {
            submission.jobId = try slurm.submit(script: script, jobName: submission.jobName,
                                                array: "0-\(ids.count - 1)%\(max(1, options.jobs))", options: sbatch)
        } catch {
            for id in ids {
                guard var r = try store.run(id: id) else { continue }
                r.status = .failed
                r.error = "could not submit to Slurm: \(error)"
                try store.updateRun(r)
                summary.failed += 1
            }
            submission.finished = true
            submission.ended = Array(ids.indices)
            try submission.save(in: sweepFolder)
            log("sbatch failed: \(error)")
            return nil
        }
        try submission.save(in: sweepFolder)
        log("submitted Slurm job array \(submission.jobId!) (\(ids.count) task(s), \(options.jobs) at a time): \(dir.path)")
        return submission
    }

    /// Brings a run folder into the store.
    @discardableResult
    func ingest(_ id: Int64) throws -> RunRecord {
        try runFolder(id).ingest(into: store, runId: id)
    }

    /// Ingests an ended task's run; one that ended without an outcome is recorded failed with what
    /// Slurm says of it.
    func finish(_ id: Int64, submission: SlurmSubmission, index: Int) throws -> RunRecord {
        var r: RunRecord
        do { r = try ingest(id) } catch {
            guard let stored = try store.run(id: id) else { throw error }
            r = stored
        }
        if r.status == .running {
            let slurmSays = submission.jobId.flatMap { slurm.exitDescription(jobId: $0, index: index) }
            r.status = .failed
            r.error = "Slurm task \(submission.jobId ?? "?")_\(index) ended without recording a result"
                + (slurmSays.map { " (\($0))" } ?? "")
                + "; see \(try runFolder(id).url.appendingPathComponent("log.txt").path)"
            try store.updateRun(r)
        }
        return r
    }

    /// Ctrl-C: running tasks get SIGINT and time to checkpoint, pending ones are cancelled; runs
    /// left without an outcome are recorded interrupted.
    func stopAll(_ live: [SlurmSubmission], summary: inout SweepScheduler.Summary) throws {
        for s in live {
            guard let job = s.jobId else { continue }
            try? slurm.cancel(jobId: job, signal: nil, pendingOnly: true)
            try? slurm.cancel(jobId: job, signal: "INT", pendingOnly: false)
        }
        let deadline = Date().addingTimeInterval(options.interruptGrace)
        var waiting = live
        while !waiting.isEmpty && Date() < deadline {
            waiting = waiting.filter { ((try? slurm.tasks(jobName: $0.jobName)) ?? []).isEmpty == false }
            if !waiting.isEmpty { Thread.sleep(forTimeInterval: min(options.pollInterval, 1)) }
        }
        for s in waiting { if let job = s.jobId { try? slurm.cancel(jobId: job, signal: nil, pendingOnly: false) } }
        for var s in live {
            for (index, id) in s.runIds.enumerated() where !s.ended.contains(index) {
                guard var r = try (try? ingest(id)) ?? store.run(id: id) else { continue }
                if r.status == .running || r.status == .pending {
                    r.status = .interrupted
                    r.error = "sweep interrupted"
                    try store.updateRun(r)
                }
                if r.status == .interrupted { summary.interrupted += 1 }
                s.ended.append(index)
            }
            s.finished = true
            try s.save(in: sweepFolder)
        }
        log("stopped: \(summary.interrupted) run(s) interrupted; run the same command again to resume")
    }
}
