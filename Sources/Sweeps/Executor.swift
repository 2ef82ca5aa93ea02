import Foundation
import Store

/// How a finished job ended, as the operating system reports it.
public enum JobExit: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }
    public var description: String {
        switch self {
        case let .exited(code): return "exited with status \(code)"
        case let .signaled(signal): return "killed by signal \(signal)"
        }
    }
}

/// Starts runs somewhere (local processes, a user's command, a cluster). The scheduler marks a run
/// `running` in the store before it calls `start`.
public protocol RunExecutor: AnyObject {
    func start(_ run: RunRecord, sweep: String) throws -> RunningJob
}

/// A started run.
public protocol RunningJob: AnyObject {
    var runId: Int64 { get }
    /// nil while the job runs; how it ended once it has.
    func poll() -> JobExit?
    /// Asks the job to stop (it checkpoints and records itself interrupted).
    func interrupt()
    /// Stops the job at once.
    func kill()
    /// After the job ended: bring its results into the store when the job could not write them
    /// itself (a user's command). The built-in trainer writes its own.
    func collect(into store: ResultStore, exit: JobExit) throws
}

/// A child process started with Foundation's `Process`, its output appended to a log file.
final class ChildProcess {
    let process = Process()

    init(executable: URL, arguments: [String], log: URL, environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
    }

    func poll() -> JobExit? {
        if process.isRunning { return nil }
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return .signaled(process.terminationStatus)
        @unknown default: return .exited(process.terminationStatus)
        }
    }

    func signal(_ sig: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, sig) }
    }
}

/// Runs each stored run as `ladder run-job` in its own process (crash-isolated), logging to
/// `<results>/<sweep>/runs/<id>/log.txt`. The child exits (checkpointed, `interrupted`) if this
/// process dies, so a killed scheduler leaves no orphans training on.
public final class LocalExecutor: RunExecutor {
    let ladder: URL
    let databasePath: String
    let resultsFolder: URL
    let threadsPerJob: Int?
    /// The scheduler's claim token, passed to each `run-job` (`--lease`) so that the job trains
    /// under its scheduler's claim.
    let leaseToken: String?

    public init(ladder: URL, databasePath: String, threadsPerJob: Int?, leaseToken: String? = nil) {
        self.ladder = ladder
        self.databasePath = databasePath
        resultsFolder = URL(fileURLWithPath: databasePath).deletingLastPathComponent()
        self.threadsPerJob = threadsPerJob
        self.leaseToken = leaseToken
    }

    public func start(_ run: RunRecord, sweep: String) throws -> RunningJob {
        let id = run.id!
        let log = RunFolder.location(resultsFolder: resultsFolder, sweep: sweep, run: run).appendingPathComponent("log.txt")
        var args = ["run-job", "--db", databasePath, "--run", String(id), "--exit-with-parent"]
        if let threadsPerJob { args += ["--threads", String(threadsPerJob)] }
        if let leaseToken { args += ["--lease", leaseToken] }
        return LocalJob(runId: id, child: try ChildProcess(executable: ladder, arguments: args, log: log))
    }
}

final class LocalJob: RunningJob {
    let runId: Int64
    let child: ChildProcess
    init(runId: Int64, child: ChildProcess) { self.runId = runId; self.child = child }
    func poll() -> JobExit? { child.poll() }
    func interrupt() { child.signal(SIGINT) }
    func kill() { child.signal(SIGKILL) }
    func collect(into store: ResultStore, exit: JobExit) throws {}
}
