import Foundation
import Reports
import ScalingLaws
import Store
import XCTest

final class ReportModelTests: XCTestCase {
    func testLoadsRunsCurvesAndStoredFits() throws {
        let store = try ResultStore.inMemory()
        let sweep = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        XCTAssertEqual(report.sweep, "synthetic")
        XCTAssertEqual(report.runs.count, sweep.runs.count)
        for r in sweep.runs {
            let m = try XCTUnwrap(report.runs.first { $0.id == r.id })
            XCTAssertEqual(m.params, r.params)
            XCTAssertEqual(m.tokens, r.tokens)
            XCTAssertEqual(m.loss, r.loss)
            XCTAssertEqual(m.status, r.status)
            XCTAssertEqual(m.curve.count, r.status == .done ? 5 : 0)
            XCTAssertEqual(m.curve.last?.loss, r.status == .done ? r.loss : nil)
        }
        XCTAssertEqual(report.fittedRuns.count, 15)
        XCTAssertEqual(report.budgetGroups.map(\.label), ["1e11", "3e11", "1e12"])
        XCTAssertEqual(report.budgetGroups.map(\.runs.count), [5, 5, 5])
        let p = try XCTUnwrap(report.parametric)
        XCTAssertEqual(p.source, .stored(id: sweep.parametricFitId!))
        XCTAssertEqual(p.law, SyntheticSweep.law)
        XCTAssertEqual(p.bootstrap.count, 40)
        XCTAssertEqual(p.level, 0.8)
        XCTAssertEqual(p.residuals.count, 15)
        for res in p.residuals {
            XCTAssertEqual(res.predicted, SyntheticSweep.law.loss(params: res.params, tokens: res.tokens))
        }
        let iso = try XCTUnwrap(report.isoflop)
        XCTAssertEqual(iso.source, .stored(id: sweep.isoflopFitId!))
        XCTAssertEqual(iso.budgets.count, 3)
        let v = try XCTUnwrap(report.validationRuns.first)
        XCTAssertEqual(v.predictedLoss, sweep.validationPrediction)
        XCTAssertEqual(v.predictedByFit, sweep.parametricFitId)
        // Plan from the sweep file is the CLI's business; the library default is three decades up.
        XCTAssertEqual(report.plan.map(\.flops), [1e13, 1e14, 1e15])
        for row in report.plan {
            let a = try SyntheticSweep.law.computeOptimal(flops: row.flops)
            XCTAssertEqual(row.params, a.params)
            XCTAssertEqual(row.tokens, a.tokens)
            XCTAssertEqual(row.loss, a.loss)
            XCTAssertNotNil(row.paramsInterval)
            XCTAssertTrue(row.paramsInterval!.contains(row.params) || abs(row.paramsInterval!.lowerBound / row.params - 1) < 0.5)
            XCTAssertEqual(row.chinchillaParams, try ChinchillaLaw.chinchilla.computeOptimal(flops: row.flops).params)
        }
        XCTAssertNotNil(report.frontier.paramsBand)
    }

    func testFitsNowWhenNoStoredFitCoversTheRuns() throws {
        let store = try ResultStore.inMemory()
        _ = try SyntheticSweep.make(store: store, storeFits: false)
        var options = ReportOptions()
        options.bootstrapReplicates = 12
        options.planFlops = [5e13]
        let report = try ReportLoader.load(store: store, sweep: "synthetic", options: options)
        let p = try XCTUnwrap(report.parametric)
        XCTAssertEqual(p.source, .computed)
        XCTAssertEqual(p.bootstrap.count, 12)
        // The fit recovers the generating law's exponents roughly (15 runs, 0.6% noise).
        XCTAssertEqual(p.law.paramsExponent, SyntheticSweep.law.paramsExponent, accuracy: 0.15)
        let iso = try XCTUnwrap(report.isoflop)
        XCTAssertEqual(iso.source, .computed)
        let direct = try IsoFLOP.fit(ReportBuilder.observations(report.runs), skippingUnusableBudgets: true)
        XCTAssertEqual(iso.budgets.map(\.optimalParams), direct.budgets.map(\.optimalParams))
        XCTAssertEqual(iso.paramsExponent, direct.paramsExponent)
        XCTAssertEqual(report.plan.map(\.flops), [5e13])

        options.fitWhenMissing = false
        let storedOnly = try ReportLoader.load(store: store, sweep: "synthetic", options: options)
        XCTAssertNil(storedOnly.parametric)
        XCTAssertNil(storedOnly.isoflop)
        XCTAssertNotNil(storedOnly.parametricMissing)
        XCTAssertTrue(storedOnly.plan.isEmpty)
    }

    func testStaleStoredFitIsNotUsed() throws {
        let store = try ResultStore.inMemory()
        let sweep = try SyntheticSweep.make(store: store)
        // A newer fit of only some runs: it does not cover the sweep's finished runs, so the full one is used.
        let sweepId = try store.sweep(named: sweep.name)!.id
        _ = try store.insertFit(FitRecord(kind: .parametric, sweepId: sweepId,
                                          parameters: "{\"E\":2,\"A\":10,\"B\":10,\"alpha\":0.3,\"beta\":0.3}", runIds: "[1,2,3]"))
        let report = try ReportLoader.load(store: store, sweep: nil)
        XCTAssertEqual(report.parametric?.source, .stored(id: sweep.parametricFitId!))
        XCTAssertEqual(report.parametric?.law, SyntheticSweep.law)
    }

    func testErrorsNameTheProblem() throws {
        let store = try ResultStore.inMemory()
        XCTAssertThrowsError(try ReportLoader.load(store: store, sweep: nil)) { error in
            XCTAssertEqual(error as? ReportError, .noSweeps(database: ":memory:"))
        }
        _ = try store.ensureSweep(name: "empty")
        XCTAssertThrowsError(try ReportLoader.load(store: store, sweep: nil)) { error in
            XCTAssertEqual(error as? ReportError, .noFinishedRuns(sweep: "empty", statusCounts: [:]))
            XCTAssertTrue("\(error)".contains("no runs yet"), "\(error)")
        }
        try store.insertRuns([RunRecord(sweepId: 0, name: "a", status: .failed, params: 1e4, tokens: 1e6, flops: 6e10),
                              RunRecord(sweepId: 0, name: "b", status: .pending, params: 2e4, tokens: 1e6, flops: 1.2e11)],
                             intoSweep: "unfinished")
        XCTAssertThrowsError(try ReportLoader.load(store: store, sweep: "unfinished")) { error in
            XCTAssertEqual(error as? ReportError, .noFinishedRuns(sweep: "unfinished", statusCounts: ["failed": 1, "pending": 1]))
            XCTAssertTrue("\(error)".contains("1 failed, 1 pending"), "\(error)")
        }
        XCTAssertThrowsError(try ReportLoader.load(store: store, sweep: nil)) { error in
            XCTAssertEqual(error as? ReportError, .ambiguousSweep(database: ":memory:", sweeps: ["empty", "unfinished"]))
            XCTAssertTrue("\(error)".contains("empty, unfinished"))
        }
        XCTAssertThrowsError(try ReportLoader.load(store: store, sweep: "nope")) { error in
            XCTAssertEqual(error as? ReportError, .unknownSweep(name: "nope", database: ":memory:", sweeps: ["empty", "unfinished"]))
        }
    }
}
