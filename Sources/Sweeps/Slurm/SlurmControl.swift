import Foundation

/// One array task as squeue lists it.
public struct SlurmTask: Equatable, Sendable {
    public var jobId: String
    public var index: Int
    public var state: String
    public init(jobId: String, index: Int, state: String) { self.jobId = jobId; self.index = index; self.state = state }
}

/// What the Slurm executor asks of Slurm. `SlurmCommands` runs the real commands; tests can
/// substitute a fake to drive the coordinator's logic.
public protocol SlurmControl: AnyObject {
    /// Submits `script` as a job array (`--array` spec like "0-7%2"); returns the job id.
    func submit(script: URL, jobName: String, array: String, options: [String]) throws -> String
    /// Tasks of jobs named `jobName` still known to squeue (pending, running, completing ...).
    func tasks(jobName: String) throws -> [SlurmTask]
    /// How a finished task ended, as scontrol remembers it (nil once Slurm has forgotten it).
    func exitDescription(jobId: String, index: Int) -> String?
    /// Sends `signal` to the running tasks' batch processes (nil: cancel the tasks); `pendingOnly`
    /// restricts the cancel to tasks that have not started.
    func cancel(jobId: String, signal: String?, pendingOnly: Bool) throws
}

public enum SlurmError: Error, CustomStringConvertible {
    case command(String)
    public var description: String {
        switch self { case let .command(m): return m }
    }
}

/// The real thing: sbatch, squeue, scontrol and scancel found on PATH, run without a shell.
public final class SlurmCommands: SlurmControl {
    let environment: [String: String]
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    public func submit(script: URL, jobName: String, array: String, options: [String]) throws -> String {
        let out = try run("sbatch", ["--parsable", "--job-name=\(jobName)", "--array=\(array)"] + options + [script.path])
        let id = out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw SlurmError.command("sbatch printed no job id: \(out)") }
        return id
    }

    public func tasks(jobName: String) throws -> [SlurmTask] {
        let out = try run("squeue", ["--noheader", "--array", "--name=\(jobName)", "--format=%A %K %T"])
        return out.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count >= 3, let index = Int(f[1]) else { return nil }
            return SlurmTask(jobId: String(f[0]), index: index, state: String(f[2]))
        }
    }

    public func exitDescription(jobId: String, index: Int) -> String? {
        guard let out = try? run("scontrol", ["show", "job", "\(jobId)_\(index)", "--oneliner"]) else { return nil }
        let fields = out.split(separator: " ")
        let wanted = fields.filter { $0.hasPrefix("JobState=") || $0.hasPrefix("ExitCode=") || $0.hasPrefix("Reason=") }
        return wanted.isEmpty ? nil : wanted.joined(separator: " ")
    }

    public func cancel(jobId: String, signal: String?, pendingOnly: Bool) throws {
        var args: [String] = []
        if let signal { args += ["--signal=\(signal)", "--batch"] }
        if pendingOnly { args += ["--state=PENDING"] }
        _ = try run("scancel", args + [jobId])
    }

    /// Runs `program` (looked up on PATH) and returns its standard output; a non-zero exit is an
    /// error carrying its standard error.
    func run(_ program: String, _ arguments: [String]) throws -> String {
        guard let path = Self.find(program, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw SlurmError.command("\(program) not found on PATH: is Slurm installed on this machine (the submit host)?")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let message = String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlurmError.command("\(program) \(arguments.joined(separator: " ")) failed (status \(p.terminationStatus)): \(message)")
        }
        return String(decoding: outData, as: UTF8.self)
    }

    static func find(_ program: String, path: String) -> String? {
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
