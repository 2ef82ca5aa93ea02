import Foundation

/// Why a report cannot be made. Messages say what to do next.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// The database holds no sweep.
    case noSweeps(database: String)
    /// Several sweeps and none chosen.
    case ambiguousSweep(database: String, sweeps: [String])
    /// The named sweep is not in the database.
    case unknownSweep(name: String, database: String, sweeps: [String])
    /// The sweep has no run that finished with a loss.
    case noFinishedRuns(sweep: String, statusCounts: [String: Int])
    /// The output folder cannot be written.
    case cannotWrite(path: String, detail: String)

    public var description: String {
        switch self {
        case let .noSweeps(database):
            return "\(database) holds no sweeps; run `ladder sweep run FILE` (or `ladder import`) first"
        case let .ambiguousSweep(database, sweeps):
            return "\(database) holds \(sweeps.count) sweeps; choose one with --sweep: \(sweeps.joined(separator: ", "))"
        case let .unknownSweep(name, database, sweeps):
            return "no sweep named '\(name)' in \(database)" + (sweeps.isEmpty ? "" : "; sweeps: \(sweeps.joined(separator: ", "))")
        case let .noFinishedRuns(sweep, counts):
            if counts.isEmpty { return "sweep '\(sweep)' has no runs yet, so there is nothing to report; run it first (`ladder sweep run FILE`)" }
            let summary = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            return "sweep '\(sweep)' has no finished runs (\(summary)), so there is nothing to report; run it (`ladder sweep run FILE`) and try again"
        case let .cannotWrite(path, detail):
            return "cannot write \(path): \(detail)"
        }
    }
}
