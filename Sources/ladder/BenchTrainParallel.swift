import ArgumentParser
import Compute
import Distributed
import Foundation
import Jobs
import Benchmarks
import Training

/// `ladder bench train --parallel dp=2[,tp=..,pp=..,cp=..,zero=1] [--backend threads|mpi]`.
struct ParallelBenchOptions: ParsableArguments {
    @Option(help: "Measure a parallel layout, e.g. dp=2 or dp=2,zero=1 (keys dp, tp, pp, cp, zero): one JSON line per rank with tokens/s and the rank's memory.")
    var parallel: ParallelConfig?

    @Option(help: "With --parallel: threads (ranks are threads of this process) or mpi (run under mpirun -np WORLD; needs a --traits MPI build).")
    var backend: CommunicationBackend = .threads

    @Option(name: .customLong("threads-per-rank"), help: "With --parallel: compute threads of each rank.")
    var threadsPerRank: Int = 1
}

extension ParallelConfig: ExpressibleByArgument {
    /// "dp=2,tp=1,zero=1"; unnamed axes stay 1.
    public init?(argument: String) {
        var c = ParallelConfig()
        for part in argument.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let v = Int(kv[1]) else { return nil }
            switch kv[0] {
            case "dp": c.dp = v
            case "tp": c.tp = v
            case "pp": c.pp = v
            case "cp": c.cp = v
            case "zero": c.zero = v
            default: return nil
            }
        }
        self = c
    }
}

enum BenchTrainParallel {
    /// Measures `layout` (`TrainBenchmark.measure(layout:...)`) and prints one line per rank.
    static func run(_ benchmark: TrainBenchmark, layout: ParallelConfig, options: ParallelBenchOptions,
                    precision: TrainConfig.Precision, json: Bool) throws {
        do { try layout.validate() } catch { throw ValidationError("--parallel: \(error)") }
        guard options.threadsPerRank >= 1 else { throw ValidationError("--threads-per-rank must be at least 1") }
        let lines = try benchmark.measure(layout: layout, backend: options.backend, threadsPerRank: options.threadsPerRank,
                                          precision: precision)
        for line in lines {
            if json {
                print(try jsonLine(line))
            } else {
                print(String(format: "%@ %@ %@ over %@, rank %d/%d, %d thread(s): %.0f tokens/s, %.0f ms/step (%.1f ms in collectives), params+grads+optimizer %.1f MB (optimizer %.1f MB), activations %.1f MB, peak RSS %.0f MB",
                             benchmark.shape.rawValue, precision.rawValue, layout.label, options.backend.rawValue,
                             line["rank"] as! Int, line["world"] as! Int,
                             options.threadsPerRank, line["tokens_per_s"] as! Double, line["step_ms"] as! Double,
                             line["comm_ms_per_step"] as! Double, Double(line["rank_state_bytes"] as! Int) / 1e6,
                             Double(line["optimizer_bytes"] as! Int) / 1e6, Double(line["activation_bytes"] as! Int) / 1e6,
                             Double(line["peak_rss_bytes"] as! Int) / 1e6))
            }
        }
    }
}
