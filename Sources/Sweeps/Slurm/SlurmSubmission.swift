import Foundation

/// One sbatch job array, as the coordinator keeps it on disk under
/// `<results>/<sweep>/slurm/<name>/`: `submission.json` (this value), `job.sh`, `tasks.txt` (one run
/// id a line, line i for array index i) and Slurm's own output per task (`task-<i>.out`).
/// The folder is written before sbatch runs, so a coordinator killed at any moment can find its
/// array again by job name and reattach instead of submitting the runs twice.
struct SlurmSubmission: Codable, Equatable {
    var name: String
    var jobName: String
    var jobId: String?
    var runIds: [Int64]
    /// Array indices whose task has ended and whose run was ingested.
    var ended: [Int] = []
    var finished = false
    var created: Date = Date()

    enum CodingKeys: String, CodingKey {
        case name, ended, finished, created
        case jobName = "job_name", jobId = "job_id", runIds = "run_ids"
    }

    static func folder(_ sweepFolder: URL) -> URL { sweepFolder.appendingPathComponent("slurm") }

    func url(in sweepFolder: URL) -> URL { Self.folder(sweepFolder).appendingPathComponent(name) }

    func save(in sweepFolder: URL) throws {
        let dir = url(in: sweepFolder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.dateEncodingStrategy = .iso8601
        try e.encode(self).write(to: dir.appendingPathComponent("submission.json"), options: .atomic)
    }

    /// Every submission of the sweep, oldest first; unreadable ones are reported, not skipped silently.
    static func load(in sweepFolder: URL) throws -> [SlurmSubmission] {
        let root = folder(sweepFolder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        var result: [SlurmSubmission] = []
        for name in names.sorted() {
            let file = root.appendingPathComponent(name).appendingPathComponent("submission.json")
            guard let data = try? Data(contentsOf: file) else { continue }
            do { result.append(try d.decode(SlurmSubmission.self, from: data)) } catch {
                throw SweepError.invalid("\(file.path) is damaged (\(error)); move it away to resubmit its runs")
            }
        }
        return result.sorted { $0.created < $1.created }
    }

    /// The batch script: array task i runs `ladder run-job --run-dir` on line i's run, appending to
    /// the run's log. `exec` makes the trainer the batch process, so scancel's signal reaches it.
    /// With `command`, the task runs the run folder's `command.sh` (the sweep's own trainer) instead.
    static func script(ladder: URL, tasks: URL, runs: URL, threads: Int?, command: Bool = false) -> String {
        let threadArgs = threads.map { " --threads \($0)" } ?? ""
        let exec = command ? "exec /bin/sh \"$RUN_DIR/command.sh\"" : "exec \(quote(ladder.path)) run-job --run-dir \"$RUN_DIR\"\(threadArgs)"
        return """
            #!/bin/sh
            # Written by ladder: one array task per run of the sweep. Task i trains the run on line i+1 of tasks.txt.
            set -eu
            RUN_FOLDER=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" \(quote(tasks.path)))
            RUN_DIR=\(quote(runs.path))/"$RUN_FOLDER"
            \(exec) >>"$RUN_DIR/log.txt" 2>&1

            """
    }

    /// Single-quoted for sh: nothing inside is expanded.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
