import Foundation
import Reports
import ScalingLaws
import Store
import XCTest

final class FigureTests: XCTestCase {
    var store: ResultStore!
    var sweep: SyntheticSweep!
    var report: ScalingReport!

    override func setUpWithError() throws {
        store = try ResultStore.inMemory()
        sweep = try SyntheticSweep.make(store: store)
        report = try ReportLoader.load(store: store, sweep: nil)
    }

    func figure(_ f: Figure) throws -> XMLNode {
        let svg = Figures.svg(f, report)
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"), "\(f): non-finite numbers in the SVG")
        return try XCTUnwrap(parseXML(svg))
    }

    func double(_ node: XMLNode, _ key: String, file: StaticString = #filePath, line: UInt = #line) -> Double? {
        guard let s = node.attributes[key], let v = Double(s) else {
            XCTFail("missing \(key) on <\(node.name)>", file: file, line: line)
            return nil
        }
        return v
    }

    func storedRun(_ node: XMLNode) -> RunRecord? {
        node.attributes["data-run-id"].flatMap(Int64.init).flatMap { id in sweep.runs.first { $0.id == id } }
    }

    func testIsoFLOPFigureHasOneCurvePerBudgetAndOneMarkerPerRun() throws {
        let root = try figure(.isoflop)
        XCTAssertEqual(root.name, "svg")
        let parabolas = root.elements("path", class: "parabola")
        XCTAssertEqual(parabolas.map { $0.attributes["data-budget"] ?? "" }, ["1e11", "3e11", "1e12"])
        let markers = root.withClass("run")
        let fitRuns = sweep.runs.filter { $0.role == .fit && $0.status == .done }
        XCTAssertEqual(markers.count, fitRuns.count)
        XCTAssertEqual(Set(markers.compactMap { $0.attributes["data-run-id"] }), Set(fitRuns.map { String($0.id!) }))
        for m in markers {
            let r = try XCTUnwrap(storedRun(m))
            XCTAssertEqual(double(m, "data-loss"), r.loss)
            XCTAssertEqual(double(m, "data-params"), r.params)
            XCTAssertEqual(m.elements("title").first?.fullText.contains(r.name!), true)
        }
        // Within a budget, larger models sit further right.
        for budget in ["1e11", "3e11", "1e12"] {
            let ms = markers.filter { $0.attributes["data-budget"] == budget }.sorted { double($0, "data-params")! < double($1, "data-params")! }
            XCTAssertEqual(ms.count, 5)
            let xs = ms.compactMap { $0.attributes["cx"].flatMap(Double.init) }
            XCTAssertEqual(xs, xs.sorted())
            XCTAssertEqual(Set(ms.map { $0.attributes["fill"] ?? "" }).count, 1, "one colour per budget")
        }
        let vertices = root.withClass("vertex")
        XCTAssertEqual(vertices.count, 3)
        let stored = try XCTUnwrap(report.isoflop)
        XCTAssertEqual(vertices.compactMap { double($0, "data-params") }, stored.budgets.map(\.optimalParams))
        XCTAssertEqual(root.withClass("validation").count, 1)
        let legend = root.withClass("legend-label").map(\.fullText)
        XCTAssertTrue(legend.contains { $0.hasPrefix("1e11") } && legend.contains("validation run"), "\(legend)")
        XCTAssertTrue(root.withClass("tick-label").map(\.fullText).contains("10K"))
    }

    func testFrontierFigureHasBothPanelsFitsBandsAndReferences() throws {
        let root = try figure(.frontier)
        let panels = root.withClass("panel")
        XCTAssertEqual(panels.count, 2)
        for (panel, key) in zip(panels, ["data-params", "data-tokens"]) {
            for kind in ["law", "isoflop-law", "chinchilla", "epoch", "bootstrap-band"] {
                XCTAssertEqual(panel.elements("path", class: kind).count, 1, "\(kind) in \(panel.attributes["id"] ?? "")")
            }
            let minima = panel.withClass("isoflop-minimum")
            XCTAssertEqual(minima.count, 3)
            let budgets = report.isoflop!.budgets
            XCTAssertEqual(minima.compactMap { double($0, key) },
                           budgets.map { key == "data-params" ? $0.optimalParams : $0.optimalTokens })
            let plan = panel.withClass("plan")
            XCTAssertEqual(plan.compactMap { double($0, "data-flops") }, [1e13, 1e14, 1e15])
            XCTAssertEqual(plan.compactMap { double($0, key) },
                           try [1e13, 1e14, 1e15].map { c in
                               let a = try SyntheticSweep.law.computeOptimal(flops: c)
                               return key == "data-params" ? a.params : a.tokens
                           })
            XCTAssertTrue(panel.withClass("tick-label").map(\.fullText).contains("10¹²"))
        }
    }

    func testLossCurvesFigureHasOneLinePerRunColouredBySize() throws {
        let root = try figure(.lossCurves)
        let curves = root.elements("path", class: "loss-curve")
        let withCurves = sweep.runs.filter { $0.status == .done }
        XCTAssertEqual(curves.count, withCurves.count)
        for c in curves { XCTAssertEqual(c.attributes["data-points"], "4") }
        XCTAssertEqual(root.withClass("eval").count, 4 * withCurves.count)
        for e in root.withClass("eval") {
            let id = try XCTUnwrap(e.attributes["data-run-id"].flatMap(Int64.init))
            let points = try store.metrics(runId: id).filter { $0.tokensSeen > 0 }
            let t = try XCTUnwrap(double(e, "data-tokens"))
            XCTAssertEqual(points.first { $0.tokensSeen == t }?.valLoss, double(e, "data-loss"))
        }
        let smallest = withCurves.min { $0.params < $1.params }!, largest = withCurves.max { $0.params < $1.params }!
        func stroke(_ r: RunRecord) -> String? { curves.first { $0.attributes["data-run-id"] == String(r.id!) }?.attributes["stroke"] }
        XCTAssertEqual(stroke(smallest), Palette.sequential(0))
        XCTAssertEqual(stroke(largest), Palette.sequential(1))
        XCTAssertEqual(curves.filter { $0.attributes["stroke-dasharray"] != nil }.count, 1, "the validation run is dashed")
        XCTAssertEqual(root.withClass("note").map(\.fullText), ["1 run(s) without logged evaluations are not shown"])
    }

    func testResidualsFigureShowsResidualsAndTheRecordedPrediction() throws {
        let root = try figure(.residuals)
        let residuals = root.withClass("residual")
        XCTAssertEqual(residuals.count, 15)
        for m in residuals {
            let r = try XCTUnwrap(storedRun(m))
            XCTAssertEqual(double(m, "data-loss"), r.loss)
            XCTAssertEqual(double(m, "data-predicted"), SyntheticSweep.law.loss(params: r.params, tokens: r.tokens))
            // Above the zero line exactly when the law over-predicts.
            let cy = try XCTUnwrap(m.attributes["cy"].flatMap(Double.init))
            let zero = try XCTUnwrap(root.elements("path", class: "zero").first?.attributes["d"])
            let zeroY = try XCTUnwrap(Double(zero.split(separator: " ")[1]))
            XCTAssertEqual(cy < zeroY, SyntheticSweep.law.loss(params: r.params, tokens: r.tokens) > r.loss!)
        }
        let v = try XCTUnwrap(root.elements("path", class: "validation").first)
        XCTAssertEqual(double(v, "data-predicted"), sweep.validationPrediction)
        XCTAssertEqual(v.attributes["data-recorded"], "true")
        XCTAssertEqual(double(v, "data-loss"), sweep.runs.first { $0.role == .validation }!.loss)
        XCTAssertEqual(root.withClass("fit-run").count, 15)
        XCTAssertEqual(root.elements("path", class: "diagonal").count, 1)
    }

    func testPlanFigureRowsAreTheLawsPlans() throws {
        let root = try figure(.plan)
        let rows = root.withClass("plan-row")
        XCTAssertEqual(rows.count, 3)
        for row in rows {
            let c = try XCTUnwrap(double(row, "data-flops"))
            let a = try SyntheticSweep.law.computeOptimal(flops: c)
            XCTAssertEqual(double(row, "data-params"), a.params)
            XCTAssertEqual(double(row, "data-tokens"), a.tokens)
            XCTAssertEqual(double(row, "data-loss"), a.loss)
            let cells = row.withClass("plan-cell").map(\.fullText)
            XCTAssertEqual(cells.first, String(format: "%.2e", c))
            XCTAssertTrue(cells.contains(String(format: "%.4f", a.loss)), "\(cells)")
        }
    }

    /// A sweep that counts C per shape gets its plan and frontier under that counting, and says so.
    func testPlanFollowsTheSweepsFlopCounting() throws {
        var options = ReportOptions()
        let counting = FlopCounting.family(ShapeFamily(minLayers: 2), vocab: 256, seqLen: 64, counting: .total)
        options.flopCounting = counting
        let counted = try ReportLoader.load(store: store, sweep: nil, options: options)
        XCTAssertEqual(counted.plan.count, 3)
        for row in counted.plan {
            let a = try SyntheticSweep.law.computeOptimal(flops: row.flops, counting: counting)
            XCTAssertEqual(row.params, a.params)
            XCTAssertEqual(row.tokens, a.tokens)
            XCTAssertNotEqual(row.params, try SyntheticSweep.law.computeOptimal(flops: row.flops).params)
        }
        let i = counted.frontier.flops.count / 2
        XCTAssertEqual(counted.frontier.lawParams?[i],
                       try SyntheticSweep.law.computeOptimal(flops: counted.frontier.flops[i], counting: counting).params)
        XCTAssertTrue(Figures.svg(.plan, counted).contains("C as the sweep counts it"))
        XCTAssertTrue(TextReport.render(counted).contains("5. Plan for larger budgets (C as the sweep counts it"))
        XCTAssertTrue(TextReport.render(report).contains("5. Plan for larger budgets (C = 6 N D)"))
    }

    func testFiguresWithoutFitsSayWhy() throws {
        let store = try ResultStore.inMemory()
        // Two sizes per budget: no parabola, and (with fits not computed) no parametric law.
        _ = try SyntheticSweep.make(store: store, storeFits: false, sizesPerBudget: 2)
        var options = ReportOptions()
        options.fitWhenMissing = false
        let bare = try ReportLoader.load(store: store, sweep: nil, options: options)
        for f in Figure.allCases {
            let root = try XCTUnwrap(parseXML(Figures.svg(f, bare)))
            XCTAssertTrue(root.all.contains { $0.name == "text" }, "\(f) has text")
        }
        let iso = try XCTUnwrap(parseXML(Figures.svg(.isoflop, bare)))
        XCTAssertEqual(iso.elements("path", class: "parabola").count, 0)
        XCTAssertEqual(iso.withClass("run").count, 6)
        XCTAssertTrue(iso.withClass("footnote").contains { $0.fullText.contains("no stored IsoFLOP fit") })
        let plan = try XCTUnwrap(parseXML(Figures.svg(.plan, bare)))
        XCTAssertEqual(plan.withClass("plan-row").count, 0)
        XCTAssertTrue(plan.withClass("note").contains { $0.fullText.contains("no plan") })
    }

    func testNamesAreEscaped() throws {
        let store = try ResultStore.inMemory()
        _ = try SyntheticSweep.make(store: store, name: "a<b>&\"c\"")
        let report = try ReportLoader.load(store: store, sweep: nil)
        for f in Figure.allCases {
            let root = try XCTUnwrap(parseXML(Figures.svg(f, report)))
            XCTAssertTrue(root.elements("title").first!.fullText.hasSuffix("a<b>&\"c\""))
        }
        XCTAssertNotNil(parseXML(HTMLPage.render(report)))
    }
}
