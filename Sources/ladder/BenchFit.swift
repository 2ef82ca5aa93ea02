import ArgumentParser
import Foundation
import ScalingLaws

/// `ladder bench fit`: times the 4,500-start parametric fit of synthetic runs plus bootstrap refits.
struct BenchFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Time the parametric scaling-law fit (all starts) and its bootstrap on synthetic runs."
    )

    enum GridChoice: String, ExpressibleByArgument, CaseIterable {
        case full, coarse
        var grid: StartGrid { self == .full ? .full : .coarse }
    }

    @Option(help: "Number of synthetic runs (model sizes × 10 token counts; rounded to a multiple of 10).")
    var runs: Int = 250

    @Option(name: .customLong("starts-grid"), help: "Start grid: full (4,500 starts) or coarse (243).")
    var startsGrid: GridChoice = .full

    @Option(help: "Bootstrap resamples (0 to skip).")
    var bootstrap: Int = 200

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Option(help: "Seed for the synthetic runs' noise and the bootstrap.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard runs >= 10 else { throw ValidationError("--runs must be at least 10.") }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be >= 0.") }
        guard threads >= 1 else { throw ValidationError("--threads must be >= 1.") }
    }

    /// User + system CPU time of this process (wall time is inflated when other jobs share the cores).
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func run() throws {
        let truth = ChinchillaLaw.epoch
        let sizes = max(2, runs / 10)
        let data = SyntheticRuns.grid(law: truth, params: 1e7...1e9, sizes: sizes,
                                      tokensPerParam: 2...200, tokensPerSize: 10, noise: 0.01, seed: seed)
        var options = ParametricFitOptions()
        options.grid = startsGrid.grid
        options.threads = threads

        let cpu0 = Self.processCPUSeconds()
        let t0 = DispatchTime.now().uptimeNanoseconds
        let fit = try ParametricFit.fit(data, options: options)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var boot: Bootstrap? = nil
        if bootstrap > 0 {
            var b = BootstrapOptions()
            b.replicates = bootstrap
            b.threads = threads
            b.seed = seed
            boot = try Bootstrap.run(fit: fit, fitOptions: options, options: b)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let fitS = Double(t1 - t0) / 1e9, bootS = Double(t2 - t1) / 1e9
        let cpuS = Self.processCPUSeconds() - cpu0

        var out: [String: Any] = [
            "runs": data.count,
            "starts": fit.startsRun,
            "bootstrap": bootstrap,
            "threads": threads,
            "fit_s": fitS,
            "bootstrap_s": bootS,
            "total_s": fitS + bootS,
            "cpu_s": cpuS,
            "iterations_best": fit.iterations,
            "starts_at_best": fit.startsAtBest,
            "starts_line_search_trouble": fit.startsWithLineSearchTrouble,
            "rmse_log": fit.rmseLog,
            "fit": ["E": fit.law.E, "A": fit.law.A, "B": fit.law.B, "alpha": fit.law.alpha, "beta": fit.law.beta],
            "truth": ["E": truth.E, "A": truth.A, "B": truth.B, "alpha": truth.alpha, "beta": truth.beta],
            "warnings": fit.warnings,
        ]
        if let boot, let iv = boot.lawIntervals() {
            out["intervals"] = [
                "alpha": [iv.alpha.lower, iv.alpha.upper], "beta": [iv.beta.lower, iv.beta.upper],
                "E": [iv.E.lower, iv.E.upper], "a": [iv.a.lower, iv.a.upper],
            ]
            out["bootstrap_unconverged"] = boot.unconverged
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%d runs, %d starts, %d threads: fit %.3f s, %d bootstrap refits %.3f s, total %.3f s (CPU %.3f s)",
                         data.count, fit.startsRun, threads, fitS, bootstrap, bootS, fitS + bootS, cpuS))
            print("fit:   \(fit.law)")
            print("truth: \(truth)")
            for w in fit.warnings { print("warning: \(w)") }
        }
    }
}
