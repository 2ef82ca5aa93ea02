import Foundation
import Reports
import ScalingLaws
import Store
import XCTest

/// The report of the real imported table: Epoch AI's reconstruction of Chinchilla's 245 runs
/// (Sweeps/data/chinchilla-epoch.csv), 16 bins of log C. Every budget gets its own colour (the
/// categorical palette has 12), the residuals' legend does not cover residuals, messages stay off
/// the plot.
final class EpochTableTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sweeps/data/chinchilla-epoch.csv")

    static func store() throws -> ResultStore {
        let store = try ResultStore.inMemory()
        let runs = try RunImport.parse(try String(contentsOf: file, encoding: .utf8), file: file.path)
        try store.importRuns(runs, intoSweep: "chinchilla", file: file.path)
        return store
    }

    static func report() throws -> ScalingReport {
        var options = ReportOptions()
        options.bootstrapReplicates = 0
        return try ReportLoader.load(store: try store(), sweep: "chinchilla", options: options)
    }

    func testEveryBudgetHasItsOwnColourAndTextStaysOffThePlot() throws {
        let report = try Self.report()
        let groups = report.budgetGroups
        XCTAssertEqual(groups.reduce(0) { $0 + $1.runs.count }, 245)
        XCTAssertEqual(groups.count, 16)
        let root = try XCTUnwrap(parseXML(Figures.svg(.isoflop, report)))
        let runColours = Set(root.withClass("run").compactMap { $0.attributes["fill"] })
        XCTAssertEqual(runColours.count, 16, "one colour per budget: \(runColours.sorted())")
        XCTAssertEqual(root.withClass("note").count, 0, "no message is drawn over the plot")
        for f in root.withClass("footnote") { XCTAssertGreaterThan(Double(f.attributes["y"] ?? "0") ?? 0, 560) }
        for label in root.withClass("legend-label") {
            XCTAssertGreaterThan(Double(label.attributes["x"] ?? "0") ?? 0, 824, "legend text beside the plot")
        }
        let residuals = try XCTUnwrap(parseXML(Figures.svg(.residuals, report)))
        XCTAssertFalse(residuals.withClass("legend-label").contains { $0.fullText.hasSuffix("FLOPs") },
                       "16 budgets are not listed inside the residuals panel")
        XCTAssertTrue(residuals.withClass("note").contains { $0.fullText.contains("16 budgets as in the IsoFLOP figure") })
    }
}
