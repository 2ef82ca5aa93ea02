import ArgumentParser
import Jobs
import Store

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import finished runs from a CSV file (a user's own runs, a paper's table).",
        discussion: """
            The CSV needs a header. Required columns: params (non-embedding parameters N), tokens (D), \
            loss (final loss in nats per token). Optional: flops (else 6 x params x tokens), name. \
            Other columns are ignored. A file with any bad row (missing, non-numeric, non-positive or \
            NaN values) is rejected whole with the line numbers of every problem: nothing is imported.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "CSV file to import.")
    var file: String

    @Option(help: "Sweep to import into (created when absent).")
    var sweep: String = "imported"

    func validate() throws { try checkSafeName(sweep, option: "--sweep") }

    func run() throws {
        let text = try readText(file)
        let runs = try RunImport.parse(text, file: file)
        let db = try store.open()
        let records = runs.map { $0.record(host: Provenance.host, codeVersion: Provenance.codeVersion) }
        try db.insertRuns(records, intoSweep: sweep)
        print("imported \(runs.count) run(s) into sweep '\(sweep)' (\(db.path))")
    }
}
