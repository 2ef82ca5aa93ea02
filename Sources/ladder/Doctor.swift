import ArgumentParser
import Store

/// `ladder doctor`: SQLite's integrity and foreign-key checks on the results database, read-only.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the results database (SQLite integrity_check and foreign_key_check) without changing it.",
        discussion: "Exits 1 when it finds a problem. Commands that write refuse a database that fails SQLite's quick check and point here.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        let report = try DatabaseDoctor.examine(path: store.resolvedPath)
        print("\(report.path):")
        for note in report.notes { print("  \(note)") }
        if report.isHealthy {
            print("no problems found")
            return
        }
        for problem in report.problems { print("  problem: \(problem)") }
        print("\(report.problems.count) problem(s) found; nothing was changed")
        throw ExitCode(1)
    }
}
