import ArgumentParser
import Jobs
import Store

extension RunStatus: ExpressibleByArgument {}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List (the default) or delete stored runs.",
        subcommands: [RunsList.self, RunsDelete.self],
        defaultSubcommand: RunsList.self)
}

struct RunsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored runs.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Only runs of this sweep.")
    var sweep: String?

    @Option(help: "Only runs with this status (\(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))).")
    var status: RunStatus?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let db = try store.openForReading()
        if let sweep, try db.sweep(named: sweep) == nil {
            throw ValidationError("no sweep named '\(sweep)' in \(db.path)")
        }
        let runs = try db.runs(sweep: sweep, status: status).map(ExportedRun.init)
        if json {
            print(try RunExport.json(runs), terminator: "")
            return
        }
        if runs.isEmpty {
            print("no runs")
            return
        }
        let header = ["id", "sweep", "name", "status", "params", "tokens", "flops", "loss"]
        let rows = runs.map { r in
            [String(r.id), r.sweep, r.name ?? "-", r.status.rawValue, Format.si(r.params),
             Format.si(r.tokens), Format.scientific(r.flops), r.loss.map { Format.fixed($0, 4) } ?? "-"]
        }
        print(Format.table(header: header, rows: rows), terminator: "")
    }
}
