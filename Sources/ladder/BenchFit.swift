import ArgumentParser
import Benchmarks
import Foundation
import Jobs
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

    var benchmark: FitBenchmark {
        get throws { try FitBenchmark(runs: runs, grid: startsGrid.grid, bootstrap: bootstrap, threads: threads, seed: seed) }
    }

    func validate() throws {
        do { _ = try benchmark } catch let error as BenchmarkInputError { throw ValidationError(error.description) }
    }

    func run() throws {
        let bench = try benchmark
        let o = try bench.measure()
        if json {
            print(try jsonLine(bench.record(o)))
        } else {
            print(String(format: "%d runs, %d starts, %d threads: fit %.3f s, %d bootstrap refits %.3f s, total %.3f s (CPU %.3f s)",
                         o.runs, o.fit.startsRun, threads, o.fitSeconds, bootstrap, o.bootstrapSeconds,
                         o.fitSeconds + o.bootstrapSeconds, o.cpuSeconds))
            print("fit:   \(o.fit.law)")
            print("truth: \(o.truth)")
            for w in o.fit.warnings { print("warning: \(w)") }
        }
    }
}
