import ArgumentParser
import Foundation
import Jobs
import Reports
import ScalingLaws
import Store

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Effective compute multiplier of variant ladders over a baseline.",
        discussion: """
            Each of --baseline and --variant is a sweep name in the store or a CSV file (as ladder import reads). \
            The groups are fitted jointly, E, alpha and beta shared and A, B per group, so a variant's frontier is \
            the baseline's at m times the compute: L_variant(C) = L_baseline(m C) (m > 1: the change is worth m x \
            compute). Each group is also fitted alone; AIC says whether sharing is justified, and the separate \
            fits give m at the --plan-flops budgets when the exponents differ. Intervals: bootstrap over runs \
            resampled within each group.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "Baseline: a sweep name or a CSV file.")
    var baseline: String

    @Option(help: "A variant: a sweep name or a CSV file (repeat for several).")
    var variant: [String] = []

    @Option(name: .customLong("plan-flops"), help: "Budgets (comma-separated FLOPs) for the separate fits' multiplier.")
    var planFlops: String?

    @Option(help: "Bootstrap resamples (0 disables intervals).")
    var bootstrap: Int = 200

    @Option(help: "Interval level.")
    var ci: Double = 0.8

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 0x5EED

    @Option(help: "Threads.")
    var threads: Int = 2

    @Option(help: "Write the frontier figure (SVG) to this file.")
    var figure: String?

    @Flag(help: "Replace --figure when it exists.")
    var force = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if variant.isEmpty { throw ValidationError("give at least one --variant (a sweep name or a CSV file)") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be >= 0") }
        if !(ci > 0 && ci < 1) { throw ValidationError("--ci must be between 0 and 1, e.g. 0.8") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        _ = try budgets()
    }

    func budgets() throws -> [Double] {
        guard let planFlops else { return [] }
        return try planFlops.split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else {
                throw ValidationError("--plan-flops takes positive FLOPs separated by commas (e.g. 1e21,1e22), got '\($0)'")
            }
            return v
        }
    }

    /// Runs of a sweep or a CSV file.
    func load(_ source: String, db: inout ResultStore?) throws -> [Observation] {
        if source.lowercased().hasSuffix(".csv") || source.lowercased().hasSuffix(".json") {
            return try readImportFile(source).runs.map {
                Observation(params: $0.params, tokens: $0.tokens, loss: $0.loss, flops: $0.flops, name: $0.name)
            }
        }
        if db == nil { db = try store.openForReading() }
        guard try db!.sweep(named: source) != nil else {
            throw ValidationError("'\(source)' is neither a CSV or JSON file (*.csv, *.json) nor a sweep in \(db!.path)")
        }
        let runs = try fittedObservations(db!, sweep: source).0
        if runs.isEmpty { throw ValidationError("sweep '\(source)' has no finished fit runs") }
        return runs
    }

    func run() throws {
        if let figure { try OutputFile.check(figure, force: force, database: store.resolvedPath, option: "--figure") }
        var db: ResultStore?
        let base = try load(baseline, db: &db)
        let variants = try variant.map { (name: $0, runs: try load($0, db: &db)) }
        var options = ComparisonOptions()
        options.fit.threads = threads
        options.bootstrap.replicates = bootstrap
        options.bootstrap.level = ci
        options.bootstrap.seed = seed
        options.bootstrap.threads = threads
        options.plannedFlops = try budgets()
        let result = try Comparison.run(baseline: (baseline, base), variants: variants, options: options)
        if let figure {
            try OutputFile.write(Data(Figures.comparison(result).utf8), to: figure, force: force,
                                 database: store.resolvedPath, option: "--figure")
        }
        if json {
            print(try jsonLine(CompareFormat.object(result)))
        } else {
            print(CompareFormat.text(result), terminator: "")
            if let figure { print("figure: \(figure)") }
        }
    }
}

/// Text and JSON of a comparison.
enum CompareFormat {
    static func interval(_ i: Interval?) -> String {
        i.map { String(format: "[%.3g, %.3g]", $0.lower, $0.upper) } ?? "-"
    }

    static func text(_ r: ComputeComparison) -> String {
        var out = "compare: baseline \(r.names[0]) (\(r.runs[0]) runs) against " +
            zip(r.names.dropFirst(), r.runs.dropFirst()).map { "\($0) (\($1) runs)" }.joined(separator: ", ") + "\n"
        out += "separate fits, L(N, D) = E + A/N^alpha + B/D^beta per group:\n"
        out += Format.table(header: ["group", "E", "A", "B", "alpha", "beta"],
                            rows: zip(r.names, r.separate).map { n, f in
                                [n] + [f.law.E, f.law.A, f.law.B, f.law.alpha, f.law.beta].map { String(format: "%.4g", $0) }
                            })
        out += String(format: "joint fit (E, alpha, beta shared; A, B per group): E = %.4g, alpha = %.4g, beta = %.4g\n",
                      r.joint.E, r.joint.alpha, r.joint.beta)
        out += String(format: "sharing: AIC joint %.1f (k = %d) vs separate %.1f (k = %d): ΔAIC %+.1f, %@\n",
                      r.joint.statistics.aic, r.joint.statistics.parameters, r.separateStatistics.aic, r.separateStatistics.parameters,
                      r.deltaAIC, r.sharingJustified ? "sharing is justified" : "NOT justified: the groups' exponents or E differ; see the multipliers at the planned budgets")
        let level = Int((r.level * 100).rounded())
        out += "effective compute multiplier m, L_variant(C) = L_baseline(m C) on the frontier (joint fit; \(level)% interval over \(r.resamples) resamples):\n"
        out += Format.table(header: ["variant", "m", "interval"],
                            rows: r.multipliers.map { [$0.variant, String(format: "%.3f", $0.value), interval($0.interval)] })
        if !r.planned.isEmpty {
            out += "at the planned budgets (separate fits):\n"
            out += Format.table(header: ["variant", "C", "m", "interval"],
                                rows: r.planned.map { [$0.variant, Format.scientific($0.flops!), String(format: "%.3f", $0.value), interval($0.interval)] })
        }
        return out
    }

    static func object(_ r: ComputeComparison) -> [String: Any] {
        func iv(_ i: Interval?) -> Any { i.map { [$0.lower, $0.upper] as Any } ?? NSNull() }
        func law(_ l: ChinchillaLaw) -> [String: Any] { ["E": l.E, "A": l.A, "B": l.B, "alpha": l.alpha, "beta": l.beta] }
        return ["baseline": r.names[0], "variants": Array(r.names.dropFirst()), "runs": r.runs, "level": r.level, "resamples": r.resamples,
                "joint": ["E": r.joint.E, "alpha": r.joint.alpha, "beta": r.joint.beta, "laws": r.joint.laws.map(law),
                          "aic": r.joint.statistics.aic, "parameters": r.joint.statistics.parameters],
                "separate": ["laws": r.separate.map { law($0.law) }, "aic": r.separateStatistics.aic,
                             "parameters": r.separateStatistics.parameters],
                "delta_aic": r.deltaAIC, "sharing_justified": r.sharingJustified,
                "multipliers": r.multipliers.map { ["variant": $0.variant, "multiplier": $0.value, "interval": iv($0.interval)] },
                "planned": r.planned.map { ["variant": $0.variant, "flops": $0.flops!, "multiplier": $0.value, "interval": iv($0.interval)] }]
    }
}
