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

    @Option(help: "Write to this file (atomically) instead of standard output; never the database.")
    var out: String?

    @Flag(help: "Replace --out when it exists.")
    var force = false

    func run() throws {
        if let out { try OutputFile.check(out, force: force, database: store.resolvedPath) }
        let db = try store.openForReading()
        if let sweep, try db.sweep(named: sweep) == nil {
            throw ValidationError("no sweep named '\(sweep)' in \(db.path)")
        }
        let runs = try db.runs(sweep: sweep).map(ExportedRun.init)
        let text = format == .csv ? RunExport.csv(runs) : try RunExport.json(runs)
        try emit(text, to: out, force: force, database: store.resolvedPath)
    }
}
