import Foundation
import Store

/// A user's trainer running one run: its metrics are ingested as they come (`poll`), its outcome
/// when it exits (`collect`): the `end` line of this attempt, else `{"loss"}` at `{out}`.
final class CommandJob: RunningJob {
    var run: RunRecord
    let child: ChildProcess
    let out: URL
    let metrics: URL
    let feed: TrainerMetricsFeed?
    let steps: Int
    let gpus: Int
    let started = Date()
    /// The metrics file's size when this attempt started (its `end` line comes after).
    let attemptStart: UInt64
    let progressInterval: TimeInterval
    let log: (String) -> Void
    var lastFeed = Date.distantPast
    var lastProgress = Date()
    /// The attempt's outcome is recorded once.
    var collected = false
    var runId: Int64 { run.id! }

    init(run: RunRecord, child: ChildProcess, out: URL, metrics: URL, feed: TrainerMetricsFeed?, steps: Int, gpus: Int,
         progressInterval: TimeInterval, log: @escaping (String) -> Void) {
        self.run = run; self.child = child; self.out = out; self.metrics = metrics; self.feed = feed; self.steps = steps
        self.gpus = gpus; self.progressInterval = progressInterval; self.log = log
        attemptStart = feed?.attemptStart ?? TrainerMetricsFeed.size(of: metrics)
    }

    func poll() -> JobExit? {
        let exit = child.poll()
        if let exit, !collected, let feed {
            // recorded as soon as the trainer is seen to end, also when a stopping scheduler only polls
            do { try collect(into: feed.store, exit: exit) } catch { log("run \(runId): cannot record its outcome: \(error)") }
        }
        if exit == nil, let feed, Date().timeIntervalSince(lastFeed) >= 1 {
            lastFeed = Date()
            do { try feed.poll() } catch { log("run \(runId): cannot store its metrics yet: \(error)") }
            if Date().timeIntervalSince(lastProgress) >= progressInterval, let p = feed.latest {
                lastProgress = Date()
                log(progressLine(p, valLoss: feed.latestValLoss))
            }
        }
        return exit
    }

    func progressLine(_ p: TrainerPoint, valLoss: Double?) -> String {
        var parts = ["run \(runId) \(run.name ?? ""): step \(p.step)/\(steps)"]
        if let l = p.trainLoss { parts.append(String(format: "loss %.4f", l)) }
        if let v = valLoss { parts.append(String(format: "val %.4f", v)) }
        if let s = p.tokensPerSecond { parts.append(String(format: "%.0f tok/s", s)) }
        return parts.joined(separator: ", ")
    }

    func interrupt() { child.signal(SIGINT) }
    func kill() { child.signal(SIGKILL) }

    func collect(into store: ResultStore, exit: JobExit) throws {
        guard !collected else { return }
        collected = true
        let feed = self.feed
            ?? TrainerMetricsFeed(url: metrics, runId: runId, store: store, tokensPerStep: 0, attemptStart: attemptStart)
        guard var run = try TrainerOutcome.record(runId: runId, feed: feed, resultFile: out, store: store,
                                                  wall: Date().timeIntervalSince(started), gpus: gpus),
              run.status == .running else { return }
        run.status = .failed
        let logFile = out.deletingLastPathComponent().appendingPathComponent("log.txt").path
        run.error = exit.succeeded
            ? "command exited 0 but wrote neither an \"end\" line to \(metrics.path) nor a positive finite \"loss\" to \(out.path)"
            : "command \(exit.description); see \(logFile)"
        try store.updateRun(run)
    }
}
