import ArgumentParser
import Foundation
import Reports
import Store
import ConfigFiles

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plots and tables of a sweep: one self-contained HTML page and an SVG per figure.",
        discussion: """
            Writes report.html (inline SVG and CSS, no scripts, nothing fetched from the network) and \
            isoflop.svg, frontier.svg, loss-curves.svg, residuals.svg and plan.svg under Results/<sweep>/ \
            (or --out DIR): 1. IsoFLOP curves (loss against N per budget, fitted parabolas and minima); \
            2. the compute-optimal frontier (N_opt and D_opt against C, fitted power laws, bootstrap \
            band, Chinchilla and Epoch for reference); 3. validation loss against tokens for every run, \
            coloured by size; 4. the parametric fit's residuals and validation runs' predicted against \
            measured loss; 5. the plan for larger budgets. --text prints the same as tables instead. \
            Fits come from the store when a stored fit used exactly the sweep's finished runs; otherwise \
            they are fitted for the report (not stored; `ladder fit --sweep NAME` stores them).
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "The sweep to report on (default: the only sweep in the database).")
    var sweep: String?

    @Option(help: ArgumentHelp("Output folder (default: Results/<sweep>/).", valueName: "dir"))
    var out: String?

    @Flag(help: "Print the figures as text tables instead of writing files.")
    var text = false

    @Flag(help: "Replace files in the output folder that an earlier `ladder report` did not write.")
    var force = false

    @Option(name: .customLong("plan-flops"), help: "Comma-separated budgets to plan for (default: the sweep file's [plan] flops, else the three decades above the largest run).")
    var planFlops: String?

    @Flag(name: .customLong("stored-fits-only"), help: "Do not fit; show only fits stored for exactly these runs.")
    var storedFitsOnly = false

    @Option(help: "Bootstrap resamples when the report fits the law itself (0: no bands; default: the sweep file's, else 200).")
    var bootstrap: Int?

    @Option(help: "Threads for fitting.")
    var threads: Int = 2

    func validate() throws {
        if let bootstrap, bootstrap < 0 { throw ValidationError("--bootstrap must be >= 0") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if text && out != nil { throw ValidationError("--text prints to the terminal; leave out --out") }
    }

    func run() throws {
        let db = try store.openForReading()
        do {
            let record = try ReportLoader.resolveSweep(sweep, store: db)
            let settings = Self.specSettings(record.spec)
            var options = ReportOptions()
            options.planFlops = try planFlops.map { try Curves.numbers($0, "--plan-flops") } ?? settings.planFlops
            options.fitWhenMissing = !storedFitsOnly
            options.bootstrapReplicates = bootstrap ?? settings.bootstrap ?? 200
            options.threads = threads
            if let model = FitModel.model(of: record) { options.flopCounting = model.flopCounting }
            let report = try ReportLoader.load(store: db, sweep: record.name, options: options)
            if text {
                print(TextReport.render(report), terminator: "")
                return
            }
            let folder = URL(fileURLWithPath: out ?? "Results/\(Self.folderName(record.name))")
            for name in ReportWriter.fileNames {
                try OutputFile.check(folder.appendingPathComponent(name).path, force: force, database: store.resolvedPath,
                                     replaceable: ReportWriter.isReportOutput)
            }
            let files = try ReportWriter.write(report, to: folder)
            print("wrote \(files[0].path)")
            print("figures: " + files.dropFirst().map(\.lastPathComponent).joined(separator: ", ") + " (in \(folder.path))")
            if case .computed? = report.parametric?.source {
                print("note: the parametric law was fitted for this report (not stored); `ladder fit --sweep \(record.name)` stores it")
            }
        } catch let error as ReportError {
            throw ValidationError(error.description)
        }
    }

    /// A sweep name as a folder name: path separators and leading dots replaced.
    static func folderName(_ name: String) -> String {
        var s = name.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
        while s.hasPrefix(".") { s = "_" + s.dropFirst() }
        return s.isEmpty ? "_" : s
    }

    /// `[plan] flops` and `bootstrap` of the sweep file stored with the sweep (nil when absent or unreadable).
    static func specSettings(_ spec: String) -> (planFlops: [Double]?, bootstrap: Int?) {
        guard !spec.isEmpty, let table = try? TOMLTable(string: spec), let plan = table["plan"]?.table else { return (nil, nil) }
        let flops = plan["flops"]?.array.map { $0.compactMap(\.number) }
        return (flops?.isEmpty == false ? flops : nil, plan["bootstrap"]?.int.flatMap { Int(exactly: $0) })
    }
}
