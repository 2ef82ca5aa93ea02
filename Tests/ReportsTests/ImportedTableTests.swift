import Foundation
import Randomness
import Reports
import ScalingLaws
import Store
import XCTest

/// A report of an imported table of 245 runs that do not share budgets (each its own 6ND, like
/// Epoch's reconstruction of Chinchilla's runs; here drawn from Epoch's law with 1% noise): runs
/// are binned into IsoFLOP budgets by log C, messages go under the figure, the legend beside it.
final class ImportedTableTests: XCTestCase {
    static func importedStore() throws -> ResultStore {
        let store = try ResultStore.inMemory()
        var rng = SplitMix64(seed: 3)
        var runs: [RunRecord] = []
        for i in 0..<245 {
            let logC = 18 + 4 * rng.nextUniform()
            let n = Foundation.pow(10, 7.7 + (logC - 18) * 0.45 + 1.2 * (rng.nextUniform() - 0.5)).rounded()
            let d = Foundation.pow(10, logC) / (6 * n)
            let loss = ChinchillaLaw.epoch.loss(params: n, tokens: d) * (1 + 0.01 * rng.nextGaussian())
            runs.append(RunRecord(sweepId: 0, name: "r\(i)", status: .done, params: n, tokens: d, flops: 6 * n * d, finalValLoss: loss))
        }
        _ = try store.insertRuns(runs, intoSweep: "imported")
        return store
    }

    func testIsoFLOPFigureOfAnImportedTableKeepsTextOffThePlot() throws {
        let report = try ReportLoader.load(store: try Self.importedStore(), sweep: "imported")
        XCTAssertTrue(report.hasBinnedRuns)
        let groups = report.budgetGroups
        XCTAssertEqual(groups.reduce(0) { $0 + $1.runs.count }, 245)
        XCTAssertLessThanOrEqual(groups.count, 17, "4 decades in bins of 0.25")
        let root = try XCTUnwrap(parseXML(Figures.svg(.isoflop, report)))
        XCTAssertEqual(root.withClass("note").count, 0, "no message is drawn over the plot")
        let foot = root.withClass("footnote").map(\.fullText)
        XCTAssertTrue(foot.contains { $0.contains("bins 0.25 decades wide") }, "\(foot)")
        XCTAssertLessThanOrEqual(foot.count, 3, "left-out budgets are summarized: \(foot)")
        // Plot area: x from 74 to 1040 - 16 - 200 (the legend column), y from 34 to 560 - 52.
        for label in root.withClass("legend-label") {
            XCTAssertGreaterThan(Double(label.attributes["x"] ?? "0") ?? 0, 824, "legend text beside the plot")
        }
        for f in root.withClass("footnote") { XCTAssertGreaterThan(Double(f.attributes["y"] ?? "0") ?? 0, 560) }
        XCTAssertGreaterThan(root.withClass("parabola").count, 5)
    }
}
