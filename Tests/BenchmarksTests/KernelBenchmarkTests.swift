import Benchmarks
import Compute
import XCTest

/// The GEMM, attention and fit benchmarks' arguments and records (tiny cases: the speed itself is
/// the benchmarks' business).
final class KernelBenchmarkTests: XCTestCase {
    func testGEMMShapesAndLayoutsParseOrNameTheBadItem() throws {
        XCTAssertEqual(try GEMMBenchmark.shapes(nil).count, GEMMBenchmark.defaultShapes.count)
        let shapes = try GEMMBenchmark.shapes("64x32x16,8x8x8")
        XCTAssertEqual(shapes.map { [$0.0, $0.1, $0.2] }, [[64, 32, 16], [8, 8, 8]])
        XCTAssertEqual(try GEMMBenchmark.layouts("nn,TN"), [.nn, .tn])
        XCTAssertThrowsError(try GEMMBenchmark.shapes("64x32")) { XCTAssertTrue("\($0)".contains("'64x32'"), "\($0)") }
        XCTAssertThrowsError(try GEMMBenchmark.shapes("64x0x8")) { XCTAssertTrue("\($0)".contains("'64x0x8'"), "\($0)") }
        XCTAssertThrowsError(try GEMMBenchmark.layouts("NN,TT")) { XCTAssertTrue("\($0)".contains("'TT'"), "\($0)") }
    }

    func testGEMMRecordsOnePerShapeAndLayout() throws {
        for precision in GEMMBenchmark.Precision.allCases {
            var rows: [[String: Any]] = []
            try GEMMBenchmark(precision: precision, seconds: 0.001)
                .measure(shapes: [(48, 40, 24)], layouts: [.nn, .nt], pool: ThreadPool(threadCount: 1)) { rows.append($0) }
            XCTAssertEqual(rows.map { $0["layout"] as? String }, ["NN", "NT"])
            for row in rows {
                XCTAssertEqual(row["M"] as? Int, 48)
                XCTAssertEqual(row["K"] as? Int, 24)
                XCTAssertEqual(row["precision"] as? String, precision.rawValue)
                XCTAssertGreaterThan(row["gflops"] as? Double ?? 0, 0)
                XCTAssertEqual(row["bf16_kernel"] != nil, precision == .bf16)
                XCTAssertNotNil(row["tier"])
            }
        }
    }

    func testAttentionArgumentsAreCheckedAndRecordsDescribeEachCase() throws {
        XCTAssertEqual(try AttentionBenchmark.lengths("64, 128"), [64, 128])
        XCTAssertThrowsError(try AttentionBenchmark.lengths("64,x")) { XCTAssertTrue("\($0)".contains("--seq"), "\($0)") }
        XCTAssertThrowsError(try AttentionBenchmark(headDim: 256, threads: 1)) { XCTAssertTrue("\($0)".contains("--head-dim"), "\($0)") }
        XCTAssertThrowsError(try AttentionBenchmark(threads: 0)) { XCTAssertTrue("\($0)".contains("--threads"), "\($0)") }
        let bench = try AttentionBenchmark(batch: 1, heads: 2, headDim: 16, threads: 1, reps: 1)
        var rows: [[String: Any]] = []
        try bench.measure(lengths: [32], kernels: [.flash, .naive], dtypes: [.fp32, .bf16]) { rows.append($0) }
        // naive has no bf16 inputs
        XCTAssertEqual(rows.map { "\($0["kernel"]!)/\($0["dtype"]!)" }, ["flash/fp32", "flash/bf16", "naive/fp32"])
        for row in rows {
            XCTAssertEqual(row["T"] as? Int, 32)
            XCTAssertGreaterThan(row["fwd_bwd_ms"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(row["extra_bytes"] as? Int ?? 0, 1 * 2 * 32 * 4, "at least the saved logsumexp")
        }
        // the naive kernel's T x T scores outgrow flash's O(T) scratch
        let big = try AttentionBenchmark(threads: 1)
        XCTAssertGreaterThan(big.extraBytes(.naive, .fp32, T: 4096), 4 * big.extraBytes(.flash, .fp32, T: 4096))
    }

    func testFitBenchmarkRecordsTheFitAndItsTime() throws {
        XCTAssertThrowsError(try FitBenchmark(runs: 5)) { XCTAssertTrue("\($0)".contains("--runs"), "\($0)") }
        let bench = try FitBenchmark(runs: 30, grid: .coarse, bootstrap: 2, threads: 1)
        let record = bench.record(try bench.measure())
        XCTAssertEqual(record["runs"] as? Int, 30)
        XCTAssertEqual(record["starts"] as? Int, 243)
        XCTAssertEqual(record["bootstrap"] as? Int, 2)
        XCTAssertGreaterThan(record["fit_s"] as? Double ?? 0, 0)
        XCTAssertNotNil(record["truth"] as? [String: Double])
    }
}
