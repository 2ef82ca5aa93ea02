import Dispatch
import Foundation
import ScalingLaws
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Time of the parametric scaling-law fit (every start of the grid) and of its bootstrap on
/// synthetic runs drawn from Epoch's Chinchilla law (1% noise): `runs` / 10 model sizes from 1e7
/// to 1e9 parameters, 10 token counts each (2-200 tokens per parameter).
public struct FitBenchmark {
    public var runs: Int, grid: StartGrid, bootstrap: Int, threads: Int, seed: UInt64

    public init(runs: Int = 250, grid: StartGrid = .full, bootstrap: Int = 200, threads: Int = 2, seed: UInt64 = 1) throws {
        guard runs >= 10 else { throw BenchmarkInputError("--runs must be at least 10.") }
        guard bootstrap >= 0 else { throw BenchmarkInputError("--bootstrap must be >= 0.") }
        guard threads >= 1 else { throw BenchmarkInputError("--threads must be >= 1.") }
        self.runs = runs; self.grid = grid; self.bootstrap = bootstrap; self.threads = threads; self.seed = seed
    }

    public struct Outcome {
        public let runs: Int
        public let fit: ParametricFitResult
        public let truth: ChinchillaLaw
        public let fitSeconds: Double, bootstrapSeconds: Double, cpuSeconds: Double
        public let bootstrap: Bootstrap?
    }

    public func measure() throws -> Outcome {
        let truth = ChinchillaLaw.epoch
        let data = SyntheticRuns.grid(law: truth, params: 1e7...1e9, sizes: max(2, runs / 10),
                                      tokensPerParam: 2...200, tokensPerSize: 10, noise: 0.01, seed: seed)
        var options = ParametricFitOptions()
        options.grid = grid
        options.threads = threads
        let cpu0 = processCPUSeconds()
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
        return Outcome(runs: data.count, fit: fit, truth: truth, fitSeconds: Double(t1 - t0) / 1e9,
                       bootstrapSeconds: Double(t2 - t1) / 1e9, cpuSeconds: processCPUSeconds() - cpu0, bootstrap: boot)
    }

    /// The outcome as the record `ladder bench fit --json` prints.
    public func record(_ o: Outcome) -> [String: Any] {
        let fit = o.fit, truth = o.truth
        var out: [String: Any] = [
            "runs": o.runs, "starts": fit.startsRun, "bootstrap": bootstrap, "threads": threads,
            "fit_s": o.fitSeconds, "bootstrap_s": o.bootstrapSeconds, "total_s": o.fitSeconds + o.bootstrapSeconds,
            "cpu_s": o.cpuSeconds, "iterations_best": fit.iterations, "starts_at_best": fit.startsAtBest,
            "starts_line_search_trouble": fit.startsWithLineSearchTrouble, "rmse_log": fit.rmseLog,
            "fit": ["E": fit.law.E, "A": fit.law.A, "B": fit.law.B, "alpha": fit.law.alpha, "beta": fit.law.beta],
            "truth": ["E": truth.E, "A": truth.A, "B": truth.B, "alpha": truth.alpha, "beta": truth.beta],
            "warnings": fit.warnings,
        ]
        if let boot = o.bootstrap, let iv = boot.lawIntervals() {
            out["intervals"] = [
                "alpha": [iv.alpha.lower, iv.alpha.upper], "beta": [iv.beta.lower, iv.beta.upper],
                "E": [iv.E.lower, iv.E.upper], "a": [iv.a.lower, iv.a.upper],
            ]
            out["bootstrap_unconverged"] = boot.unconverged
        }
        return out
    }
}

/// User + system CPU time of this process, all threads (wall time is inflated when other jobs
/// share the cores).
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
