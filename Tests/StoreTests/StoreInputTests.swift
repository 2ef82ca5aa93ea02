import Foundation
import GRDB
import Store
import LadderTestSupport
import XCTest

/// Classes 6, 8, 9, 10 and 12 of issue #19 at the store's boundary: unsafe names, non-finite
/// numbers, poisoned rows, deleting runs, unusable laws and CSV formula injection.
final class StoreInputTests: FolderTestCase {
    static let unsafeNames = ["", ".", "..", "../x", "../../x", "a/b", ".hidden", "a\\b", "a\u{0}b", "tab\there",
                              String(repeating: "x", count: SafeName.maxBytes + 1)]

    func testUnsafeSweepAndRunNamesAreRefusedAndNothingIsStored() throws {
        let store = try ResultStore.inMemory()
        for name in Self.unsafeNames {
            XCTAssertThrowsError(try store.insertRuns([RunRecord(sweepId: 0, params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: name), name) { error in
                XCTAssertTrue("\(error)".contains("sweep name"), "\(error)")
            }
            XCTAssertThrowsError(try store.insertRuns([RunRecord(sweepId: 0, name: name, params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: "ok"), name)
        }
        XCTAssertEqual(try store.runCount(), 0)
        XCTAssertEqual(try store.sweeps().map(\.name), [])
        for name in ["quickstart", "c1e15-n2x64-d100-s1", "a b", "émile", "=x"] { XCTAssertNil(SafeName.problem(name), name) }
    }

    func testRunFolderRefusesALocationOutsideTheResultsFolder() throws {
        let results = folder.appendingPathComponent("Results")
        for sweep in ["..", "../../x", ".hidden"] {
            let runFolder = RunFolder(url: RunFolder.location(resultsFolder: results, sweep: sweep, run: RunRecord(id: 1, sweepId: 1, params: 1e6, tokens: 1e7, flops: 6e13)))
            XCTAssertThrowsError(try runFolder.prepare(RunRecord(id: 1, sweepId: 1, params: 1e6, tokens: 1e7, flops: 6e13)), sweep)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
        let fine = RunFolder(url: RunFolder.location(resultsFolder: results, sweep: "s", run: RunRecord(id: 1, sweepId: 1, params: 1e6, tokens: 1e7, flops: 6e13)))
        XCTAssertNoThrow(try fine.prepare(RunRecord(id: 1, sweepId: 1, params: 1e6, tokens: 1e7, flops: 6e13)))
    }

    func testNonFiniteNumbersAreRefusedOnTheWayIn() throws {
        let store = try ResultStore.inMemory()
        try store.insertRuns([RunRecord(sweepId: 0, name: "good", params: 1e6, tokens: 1e7, flops: 6e13)], intoSweep: "s")
        for bad in [RunRecord(sweepId: 0, name: "inf", params: 1e300, tokens: 1e300, flops: .infinity),
                    RunRecord(sweepId: 0, name: "nan", params: .nan, tokens: 1e7, flops: 6e13),
                    RunRecord(sweepId: 0, name: "loss", status: .done, params: 1e6, tokens: 1e7, flops: 6e13, finalValLoss: .infinity)] {
            XCTAssertThrowsError(try store.insertRuns([bad], intoSweep: "s")) { error in
                XCTAssertTrue("\(error)".contains("non-finite"), "\(error)")
            }
        }
        XCTAssertEqual(try store.runCount(), 1)
    }

    func testPoisonedRowsAreSkippedByReadersNotFatal() throws {
        let p = folder.appendingPathComponent("p.sqlite").path
        let store = try ResultStore.open(path: p)
        try store.insertRuns([RunRecord(sweepId: 0, name: "good", status: .done, params: 1e6, tokens: 1e7, flops: 6e13, finalValLoss: 3)], intoSweep: "s")
        // as an older Ladder stored an import whose 6 N D overflowed
        let queue = try DatabaseQueue(path: p)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO run (sweep_id, name, status, params, tokens, flops, final_val_loss, created, updated) VALUES (1, 'poison', 'done', 1e300, 1e300, ?, 3, '2026-01-01', '2026-01-01')",
                           arguments: [Double.infinity])
        }
        try queue.close()
        let reader = try ResultStore.openReadOnly(path: p)
        XCTAssertEqual(try reader.runs().map(\.run.name), ["good"])
        XCTAssertEqual(try reader.poisonedRuns().map(\.run.name), ["poison"])
        XCTAssertNoThrow(try RunExport.json(try reader.runs().map(ExportedRun.init)))
        XCTAssertTrue(try DatabaseDoctor.examine(path: p).problems.contains { $0.contains("non-finite") })
    }

    func testDeleteRunsRemovesRowsAndMetricsInOneTransaction() throws {
        let store = try ResultStore.inMemory()
        let runs = try store.insertRuns((0..<3).map { RunRecord(sweepId: 0, name: "r\($0)", params: 1e6, tokens: 1e7, flops: 6e13) }, intoSweep: "s")
        for run in runs { try store.appendMetrics([MetricRecord(runId: run.id!, step: 1, tokensSeen: 10, trainLoss: 3)]) }
        XCTAssertThrowsError(try store.deleteRuns(ids: [runs[0].id!, 999]))
        XCTAssertEqual(try store.runCount(), 3, "a failed delete deleted something")
        XCTAssertEqual(try store.deleteRuns(ids: [runs[0].id!, runs[2].id!]), 2)
        XCTAssertEqual(try store.runs().map(\.run.name), ["r1"])
        XCTAssertEqual(try store.metrics(runId: runs[0].id!).count, 0)
        XCTAssertEqual(try store.metrics(runId: runs[1].id!).count, 1)
    }

    func testLatestParametricFitSkipsLawsThatCannotPlan() throws {
        let store = try ResultStore.inMemory()
        let good = try store.insertFit(FitRecord(kind: .parametric, parameters: #"{"E":1.7,"A":400,"B":410,"alpha":0.34,"beta":0.28}"#))
        let bad = try store.insertFit(FitRecord(kind: .parametric, parameters: #"{"E":1.7,"A":400,"B":410,"alpha":-0.3,"beta":0.28}"#))
        XCTAssertEqual(try store.latestFit(kind: .parametric)?.id, good.id)
        let (fit, skipped) = try store.latestUsableParametricFit()
        XCTAssertEqual(fit?.id, good.id)
        XCTAssertEqual(skipped.map(\.0.id), [bad.id])
        XCTAssertTrue(skipped[0].1.contains("alpha = -0.3"), skipped[0].1)
    }

    func testCSVExportEscapesFormulaTextButNotNumbers() throws {
        let store = try ResultStore.inMemory()
        let names = ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "plain"]
        try store.insertRuns(names.map { RunRecord(sweepId: 0, name: $0, status: .done, params: 1e6, tokens: 1e7, flops: 6e13, finalValLoss: 3.5) },
                             intoSweep: "=sweep")
        // tab and CR cannot be stored in names (control characters); errors can hold them
        XCTAssertEqual(CSV.text("\tx"), "'\tx")
        XCTAssertEqual(CSV.text("\rx"), "'\rx")
        let csv = RunExport.csv(try store.runs().map(ExportedRun.init))
        let records = try CSV.parse(csv)
        let header = records[0].fields
        let name = header.firstIndex(of: "name")!, sweep = header.firstIndex(of: "sweep")!, loss = header.firstIndex(of: "loss")!
        XCTAssertEqual(records.dropFirst().map { $0.fields[name] }, names.map { $0 == "plain" ? $0 : "'" + $0 })
        XCTAssertTrue(records.dropFirst().allSatisfy { $0.fields[sweep] == "'=sweep" })
        XCTAssertTrue(records.dropFirst().allSatisfy { $0.fields[loss] == "3.5" })
        XCTAssertEqual(CSV.text("-0.5"), "'-0.5", "text that looks like a number is still text")
    }

    func testCSVImportRefusesDuplicateColumnsOverflowAndUnsafeNames() throws {
        XCTAssertThrowsError(try RunImport.parse("params,tokens,loss,loss\n1e6,1e7,3,4\n", file: "d.csv")) { error in
            XCTAssertTrue("\(error)".contains("column 'loss' appears twice"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("params,tokens,loss\n1e300,1e300,3\n", file: "o.csv")) { error in
            XCTAssertTrue("\(error)".contains("o.csv:2:") && "\(error)".contains("overflows"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("name,params,tokens,loss\n../x,1e6,1e7,3\n", file: "n.csv")) { error in
            XCTAssertTrue("\(error)".contains("n.csv:2:1:") && "\(error)".contains("name"), "\(error)")
        }
        XCTAssertThrowsError(try RunImport.parse("params,tokens,loss,flops\n1e6,1e7,3,1e400\n", file: "f.csv"))
    }
}
