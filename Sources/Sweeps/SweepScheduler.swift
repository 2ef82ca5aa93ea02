import Foundation
import Store

/// Runs a sweep's unfinished runs, `jobs` at a time, through an executor.
///
/// The store hears of every state change before the world sees it: a run is `running` before its
/// job starts; a job's outcome is read back from the store (the built-in trainer records its own)
/// or collected by the executor. Finished (`done`) and `diverged` runs are never rerun; `pending`,
/// `interrupted`, `failed` and stale `running` runs are (resuming from their checkpoints). A
/// crashed job is retried up to `retries` times; the sweep goes on either way.
public final class SweepScheduler {
    public struct Options {
        public var jobs: Int = 1
        public var retries: Int = 1
        public var pollInterval: TimeInterval = 0.1
        /// How long interrupted jobs get to checkpoint before they are killed.
        public var interruptGrace: TimeInterval = 60
        /// The claim this scheduler holds on the runs it starts (its `run-job` processes share it).
        public var owner = LeaseOwner.current()
        public init() {}
    }

    public struct Summary: Equatable {
        public var done = 0
        public var failed = 0
        public var diverged = 0
        public var interrupted = 0
        public var stopped = false
    }

    let store: ResultStore
    let sweep: String
    let executor: RunExecutor
    let options: Options
    let shouldStop: () -> Bool
    let log: (String) -> Void

    public init(store: ResultStore, sweep: String, executor: RunExecutor, options: Options,
                shouldStop: @escaping () -> Bool = { false }, log: @escaping (String) -> Void = { _ in }) {
        self.store = store; self.sweep = sweep; self.executor = executor; self.options = options
        self.shouldStop = shouldStop; self.log = log
    }

    /// Statuses the scheduler (re)runs.
    public static let runnable: Set<RunStatus> = [.pending, .running, .interrupted, .failed]

    /// Runs the given runs (in order) until each is done, diverged, or out of retries.
    public func run(_ runIds: [Int64]) throws -> Summary {
        var queue: [Int64] = []
        for id in runIds {
            guard let r = try store.run(id: id) else { throw SweepError.notFound("run \(id) is not in the store") }
            if Self.runnable.contains(r.status) { queue.append(id) }
        }
        var attempts: [Int64: Int] = [:]
        var running: [RunningJob] = []
        var summary = Summary()
        let total = queue.count
        let started = Date()
        var finished = 0
        let leases = LeaseBook(store: store, owner: options.owner, log: log)
        defer { try? leases.releaseAll() }
        while !queue.isEmpty || !running.isEmpty || !leases.waiting.isEmpty {
            if shouldStop() {
                summary.stopped = true
                try stopAll(running, summary: &summary)
                return summary
            }
            // another process's claim ended: its run is finished, or it is ours to resume
            finished += try leases.tend(queue: &queue, summary: &summary)
            let (ready, blocked) = try RunDependencies.takeReady(&queue, limit: options.jobs - running.count,
                                                                 running: Set(running.map(\.runId)).union(leases.waiting.keys),
                                                                 store: store)
            for r in blocked {
                summary.failed += 1
                finished += 1
                log("failed \(r.name ?? "#\(r.id!)"): \(r.error ?? "")")
            }
            for id in ready {
                guard var r = try store.run(id: id), try leases.claim(id, name: r.name) else { continue }
                r.status = .running
                r.error = nil
                try store.updateRun(r)
                attempts[id, default: 0] += 1
                do {
                    running.append(try executor.start(r, sweep: sweep))
                    log("start \(r.name ?? "#\(id)") (run \(id)\(attempts[id]! > 1 ? ", attempt \(attempts[id]!)" : ""))")
                } catch {
                    r.status = .failed
                    r.error = "could not start: \(error)"
                    try store.updateRun(r)
                    try leases.release(id)
                    summary.failed += 1
                    log("failed to start run \(id): \(error)")
                }
            }
            var still: [RunningJob] = []
            for (i, job) in running.enumerated() {
                guard let exit = job.poll() else { still.append(job); continue }
                let othersRunning = still.count + running.count - i - 1
                try job.collect(into: store, exit: exit)
                guard var r = try store.run(id: job.runId) else { continue }
                if r.status == .running {
                    // The job died without recording an outcome (crash, kill -9, out of memory).
                    r.status = .failed
                    r.error = "job \(exit.description) without recording a result"
                    try store.updateRun(r)
                }
                try leases.release(job.runId)
                switch r.status {
                case .done:
                    summary.done += 1
                    finished += 1
                    log(progress(finished, total, started, running: othersRunning, failed: summary.failed + summary.diverged) + " done \(r.name ?? "#\(r.id!)"): loss \(r.loss.map { String(format: "%.4f", $0) } ?? "-")")
                case .diverged:
                    summary.diverged += 1
                    finished += 1
                    log(progress(finished, total, started, running: othersRunning, failed: summary.failed + summary.diverged) + " diverged \(r.name ?? "#\(r.id!)"): \(r.error ?? "")")
                case .interrupted where shouldStop():
                    summary.interrupted += 1
                default:
                    if attempts[job.runId, default: 0] <= options.retries {
                        log("run \(r.id!) \(r.status.rawValue) (\(r.error ?? exit.description)); retrying from its checkpoint")
                        queue.insert(job.runId, at: 0)
                    } else {
                        summary.failed += 1
                        finished += 1
                        log(progress(finished, total, started, running: othersRunning, failed: summary.failed + summary.diverged) + " failed \(r.name ?? "#\(r.id!)"): \(r.error ?? exit.description)")
                    }
                }
            }
            running = still
            if !running.isEmpty {
                Thread.sleep(forTimeInterval: options.pollInterval)
            } else if queue.isEmpty && !leases.waiting.isEmpty {
                Thread.sleep(forTimeInterval: max(options.pollInterval, 0.5))
            }
        }
        return summary
    }

    private func progress(_ finished: Int, _ total: Int, _ started: Date, running: Int, failed: Int) -> String {
        let elapsed = Date().timeIntervalSince(started)
        let eta = finished > 0 ? elapsed / Double(finished) * Double(total - finished) : .nan
        return String(format: "[%d/%d finished, %d running, %d failed, %@ elapsed, ETA %@]", finished, total, running, failed,
                      duration(elapsed), duration(eta))
    }

    /// Interrupts every job, gives them time to checkpoint, and records what is left as interrupted.
    private func stopAll(_ running: [RunningJob], summary: inout Summary) throws {
        for job in running { job.interrupt() }
        let deadline = Date().addingTimeInterval(options.interruptGrace)
        var left = running
        while !left.isEmpty && Date() < deadline {
            left = left.filter { $0.poll() == nil }
            if !left.isEmpty { Thread.sleep(forTimeInterval: options.pollInterval) }
        }
        for job in left { job.kill() }
        for job in running {
            guard var r = try store.run(id: job.runId) else { continue }
            if r.status == .running {
                r.status = .interrupted
                r.error = "sweep interrupted"
                try store.updateRun(r)
            }
            if r.status == .interrupted { summary.interrupted += 1 }
        }
        log("stopped: \(summary.interrupted) run(s) interrupted; run the same command again to resume")
    }
}
