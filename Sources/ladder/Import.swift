#if canImport(Foundation)
import Foundation
#endif
import ArgumentParser
import Jobs
import Store

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import finished runs from a CSV or JSON file (a user's own runs, a paper's table).",
        discussion: """
            CSV: a header, then one run per line. Required columns: params (non-embedding parameters N), \
            tokens (D), loss (final loss in nats per token). Optional: flops (else 6 x params x tokens), \
            name, and task:NAME (a task metric, e.g. task:hellaswag; an empty cell leaves it out), stored \
            with the run for `ladder fit --target task:NAME`. Other columns are ignored. \
            JSON (a file name ending in .json): an array of objects with the same keys; numbers must be \
            finite JSON numbers, name a string, null leaves an optional key out; other keys are refused. \
            A file with any bad value (missing, non-numeric, non-positive or non-finite, a name the sweep \
            already has) is rejected whole, naming FILE:LINE:COLUMN (CSV) or the element and key (JSON) of \
            every problem: nothing is imported.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "CSV or JSON (.json) file to import.")
    var file: String

    @Option(help: "Sweep to import into (created when absent).")
    var sweep: String = "imported"

    func validate() throws { try checkSafeName(sweep, option: "--sweep") }

    func run() throws {
        let (runs, format) = try readImportFile(file)
        let db = try store.open()
        try db.importRuns(runs, intoSweep: sweep, file: file, format: format,
                          host: Provenance.host, codeVersion: Provenance.codeVersion)
        let metrics = runs.reduce(0) { $0 + $1.tasks.count }
        let names = Set(runs.flatMap(\.tasks.keys)).sorted().map { "task:" + $0 }
        print("imported \(runs.count) run(s) into sweep '\(sweep)' (\(db.path))"
              + (metrics > 0 ? "; \(metrics) task metric value(s) (\(names.joined(separator: ", ")))" : ""))
    }
}
