import Benchmarks
import Distributed
import Compute
import Training
import XCTest

/// The training benchmark's configs and records (one short measurement each; the speed itself is
/// the benchmark's business, not a test's).
final class TrainBenchmarkTests: XCTestCase {
    func testConfigsKeepTheShapesTokensPerStepUnderEveryLayout() throws {
        let bench = TrainBenchmark(shape: .small, steps: 3, warmup: 2)
        let single = bench.config(threads: 2)
        XCTAssertEqual(single.model.dModel, 256)
        XCTAssertEqual(single.train.batch * single.train.microBatches, 16)
        XCTAssertEqual(single.train.steps, 5)
        for pp in [2, 3, 4] {
            let piped = bench.config(threads: 1, parallel: ParallelConfig(pp: pp))
            XCTAssertEqual(piped.train.batch * piped.train.microBatches, 16, "pp=\(pp)")
            XCTAssertGreaterThanOrEqual(piped.train.microBatches, pp, "every stage has work (pp=\(pp))")
            XCTAssertNoThrow(try piped.validate())
        }
    }

    func testSingleRankRecordDescribesTheRun() throws {
        let bench = TrainBenchmark(shape: .tiny, steps: 1, warmup: 0)
        let record = try bench.measure(precision: .bf16, threads: 1)
        XCTAssertEqual(record["config"] as? String, "tiny")
        XCTAssertEqual(record["precision"] as? String, "bf16")
        XCTAssertGreaterThan(record["tokens_per_s"] as? Double ?? 0, 0)
        let c = bench.config(threads: 1).model
        XCTAssertEqual(record["params_total"] as? Int, ParameterLayout(c).count)
        let model = try GPT(config: c, batch: 16, seqLen: 256, seed: 1, precision: .bf16)
        XCTAssertEqual(record["activation_bytes"] as? Int, model.savedActivationBytes)
        let flops = (record["tokens_per_s"] as! Double) * model.flopsPerToken / 1e9
        XCTAssertEqual(record["model_gflops"] as! Double, flops, accuracy: 0.01 * flops + 0.01)
    }

    func testParallelRecordsOnePerRankWithTheRanksMemory() throws {
        let bench = TrainBenchmark(shape: .tiny, steps: 1, warmup: 0)
        let records = try bench.measure(layout: ParallelConfig(tp: 2), backend: .threads, threadsPerRank: 1, precision: .bf16)
        XCTAssertEqual(records.map { $0["rank"] as? Int }, [0, 1])
        for r in records {
            XCTAssertEqual(r["parallel"] as? String, ParallelConfig(tp: 2).label)
            XCTAssertEqual(r["precision"] as? String, "bf16")
            XCTAssertGreaterThan(r["tokens_per_s"] as? Double ?? 0, 0)
            XCTAssertEqual(r["rank_state_bytes"] as? Int,
                           (r["param_bytes"] as! Int) + (r["grad_bytes"] as! Int) + (r["optimizer_bytes"] as! Int))
        }
        XCTAssertThrowsError(try bench.measure(layout: ParallelConfig(tp: 3), backend: .threads, threadsPerRank: 1)) {
            XCTAssertTrue("\($0)".contains("tp"), "\($0)")
        }
    }

    func testCountsThatCannotMeasureAreRefusedByName() {
        let cases: [(TrainBenchmark, String)] = [
            (TrainBenchmark(shape: .tiny, steps: 0, warmup: 1), "steps"),
            (TrainBenchmark(shape: .tiny, steps: -2, warmup: 1), "steps"),
            (TrainBenchmark(shape: .tiny, steps: 1, warmup: -1), "warmup"),
            (TrainBenchmark(shape: .tiny, steps: 1, warmup: 0, peakGflopsPerThread: 0), "peak-gflops"),
            (TrainBenchmark(shape: .tiny, steps: 1, warmup: 0, peakGflopsPerThread: .nan), "peak-gflops"),
            (TrainBenchmark(shape: .tiny, steps: 1, warmup: 0, peakGflopsPerThread: -.infinity), "peak-gflops"),
        ]
        for (bench, name) in cases {
            for attempt in [{ _ = try bench.measure(precision: .fp32, threads: 1) },
                            { _ = try bench.measure(layout: ParallelConfig(dp: 2), backend: .threads, threadsPerRank: 1) }] {
                XCTAssertThrowsError(try attempt()) { XCTAssertTrue("\($0)".hasPrefix(name), "\($0)") }
            }
        }
        XCTAssertNoThrow(try TrainBenchmark(shape: .tiny, steps: 1, warmup: 0).validate())
    }

    func testSummariesTakeMediansAndRatiosToFP32() {
        let results: [TrainConfig.Precision: [[String: Any]]] = [
            .fp32: [["tokens_per_s": 100.0, "activation_bytes": 400, "peak_rss_bytes": 10],
                    ["tokens_per_s": 300.0, "activation_bytes": 400, "peak_rss_bytes": 30],
                    ["tokens_per_s": 200.0, "activation_bytes": 400, "peak_rss_bytes": 20]],
            .bf16: [["tokens_per_s": 250.0, "activation_bytes": 200, "peak_rss_bytes": 10],
                    ["tokens_per_s": 350.0, "activation_bytes": 200, "peak_rss_bytes": 20]],
        ]
        let s = TrainBenchmark.summaries(results, list: [.fp32, .bf16], shape: .small)
        XCTAssertEqual(s.map { $0["median_tokens_per_s"] as? Double }, [200, 300])
        XCTAssertEqual(s[1]["speedup_vs_fp32"] as? Double, 1.5)
        XCTAssertEqual(s[1]["activation_ratio_vs_fp32"] as? Double, 0.5)
        XCTAssertEqual(s[1]["median_peak_rss_bytes"] as? Double, 15)
        XCTAssertEqual(s.map { $0["runs"] as? Int }, [3, 2])
    }
}

final class StepTimeProbeTests: XCTestCase {
    /// The probe trains the config's own shape: a model with four times the layers takes longer
    /// per step (by far more than timing noise at these sizes), and a WSD trunk's save_at steps or a
    /// long schedule do not stop it.
    func testProbeTimesTheConfigsStep() throws {
        var small = TrainBenchmark(shape: .tiny, steps: 1, warmup: 0).config(threads: 1)
        small.model.nLayer = 1
        small.train.saveAt = [900]
        small.train.steps = 1000
        var deep = small
        deep.model.nLayer = 8
        let kernels = FastKernels(pool: ThreadPool(threadCount: 1))
        let t1 = try StepTimeProbe.secondsPerStep(small, kernels: kernels)
        let t8 = try StepTimeProbe.secondsPerStep(deep, kernels: kernels)
        XCTAssertGreaterThan(t1, 0)
        XCTAssertGreaterThan(t8, 2 * t1, "8 layers against 1: \(t8) s vs \(t1) s")
    }
}
