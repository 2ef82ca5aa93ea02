import ArgumentParser
import Foundation
import Jobs
import Benchmarks
import ScalingLaws
import Store
import Sweeps
import Training

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Expand and run grids of training runs from Sweeps/*.toml, then fit and plan.",
        subcommands: [SweepPlan.self, SweepRun.self])

    /// Reads, checks and expands a sweep file; data paths become absolute (relative to the file).
    /// With `grid.lr_rule = "fitted"` the latest learning-rate law of `store` is attached.
    static func load(_ path: String, store: (() throws -> ResultStore)? = nil) throws -> (SweepSpec, String) {
        let file = try ConfigFile(path: path)
        try file.checkKeys(schema: SweepSpec.fileKeys, required: ["name", "data"])
        var spec = try file.decode(SweepSpec.self)
        if !spec.data.path.hasPrefix("/") {
            spec.data.path = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent(spec.data.path).standardizedFileURL.path
        }
        if spec.grid.lrRule == .fitted, spec.grid.lrs == nil, let store {
            spec.lrLaw = try SweepStore.latestLearningRateLaw(try store())?.law
        }
        do { try spec.validate() } catch { throw ValidationError("\(path): \(error)") }
        return (spec, file.text)
    }
}

struct SweepPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the expanded runs of a sweep (shape, N, D, C, steps, estimated time) without running them.")

    @Argument(help: "Sweep file (TOML).")
    var file: String

    @Flag(name: .customLong("no-estimate"), help: "Skip the throughput probe (a few training steps per shape).")
    var noEstimate = false

    @Option(help: "Concurrent jobs to estimate the wall time for.")
    var jobs: Int = 1

    @Flag(help: "Print a JSON array.")
    var json = false

    @OptionGroup var store: StoreOptions

    func run() throws {
        let (spec, _) = try Sweep.load(file, store: { try store.openForReading() })
        let runs: [PlannedRun]
        do { runs = try SweepExpansion.fitRuns(spec) } catch { throw ValidationError("\(file): \(error)") }
        var seconds: [String: Double] = [:]
        if !noEstimate {
            for run in runs {
                let key = "\(run.shape.nLayer)x\(run.shape.dModel)"
                if seconds[key] == nil {
                    ComputeSetup.threads(run.config.train.threads)
                    seconds[key] = try StepTimeProbe.secondsPerStep(run.config, kernels: ComputeSetup.kernels)
                }
            }
        }
        func estimate(_ r: PlannedRun) -> Double? {
            seconds["\(r.shape.nLayer)x\(r.shape.dModel)"].map { $0 * Double(r.stepsTrained) }
        }
        if json {
            let rows = runs.map { $0.planRecord(estimatedSeconds: estimate($0)) }
            print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        // best effort: a sweep can be planned before its data is in place
        let data: SweepDataUse?
        do { data = try SweepDataUse(spec, runs: runs) } catch {
            data = nil
            print("note: \(error); passes over the data not computed")
        }
        let header = ["run", "budget", "shape", "N", "D", "C", "batch", "steps", "lr", "beta2", "warmup", "passes", "est. time"]
        print(Format.table(header: header,
                           rows: runs.map { r in
                               [r.name, r.budget ?? "-", "\(r.shape.nLayer)x\(r.shape.dModel)/\(r.shape.nHead)h",
                                Format.si(r.params), Format.si(r.tokens), Format.scientific(r.flops),
                                String(r.config.train.batch * r.config.train.microBatches), String(r.config.train.steps),
                                String(format: "%.2e", r.config.train.lr),
                                String(format: "%.4f", r.config.train.beta2), String(r.config.train.warmup),
                                data.map { String(format: "%.2f", $0.passes[r.name] ?? 0) } ?? "-",
                                estimate(r).map { duration($0) } ?? "-"]
                           }), terminator: "")
        let m = spec.model
        print("N: \(m.counting == .total ? "total parameters (embeddings included)" : "non-embedding parameters"); C: \(m.flopCounting)")
        if let family = m.family, let lo = runs.map(\.params).min(), let hi = runs.map(\.params).max() {
            let members = try family.members(in: lo...hi, counting: m.counting, vocab: m.vocab, seqLen: m.seqLen)
            print("shape family: \(family)")
            print("  members over the grid: " + members.map { "\($0.nLayer)x\($0.dModel) (\(Format.si(Double($0.parameters(m.counting)))))" }.joined(separator: ", "))
        }
        if let data {
            let maxPasses = data.passes.values.max() ?? 0
            print("data: \(Format.si(Double(data.trainTokens))) training and \(Format.si(Double(data.validationTokens))) held-out tokens (\(spec.data.split.rawValue) split, \(spec.data.sampling.rawValue) sampling); the longest run reads \(String(format: "%.2f", maxPasses)) passes" +
                  (spec.data.sampling == .shuffled && maxPasses <= 1 ? ": no training token is read twice" : ""))
        }
        let total = runs.compactMap(estimate).reduce(0, +)
        if let savings = WSDSavings(runs) { print(savings.summary) }
        print("\(runs.count) runs, \(Format.scientific(runs.reduce(0) { $0 + $1.flopsSpent })) FLOPs" +
              (noEstimate ? "" : ", about \(duration(total / Double(max(jobs, 1)))) with \(jobs) job(s) at the probed speed"))
        if !spec.validation.isEmpty {
            print("then \(spec.validation.count) validation run(s) at \(spec.validation.map { SweepExpansion.label($0.flops) }.joined(separator: ", ")) FLOPs, sized by the fitted law")
        }
    }
}
