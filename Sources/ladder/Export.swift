import ArgumentParser
import Store

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export runs with their final metrics as CSV or JSON.",
        discussion: "The CSV has the columns params, tokens, flops and loss, so it imports back with `ladder import`.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @OptionGroup var store: StoreOptions

    @Option(help: "Only runs of this sweep.")
    var sweep: String?

    @Option(help: "csv or json.")
    var format: Format

    @Option(help: "Write to this file (atomically) instead of standard output.")
    var out: String?

    func run() throws {
        let db = try store.openExisting()
        if let sweep, try db.sweep(named: sweep) == nil {
            throw ValidationError("no sweep named '\(sweep)' in \(db.path)")
        }
        let runs = try db.runs(sweep: sweep).map(ExportedRun.init)
        let text = format == .csv ? RunExport.csv(runs) : try RunExport.json(runs)
        try emit(text, to: out)
    }
}
