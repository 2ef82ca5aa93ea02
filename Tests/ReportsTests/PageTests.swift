import Foundation
import Reports
import ScalingLaws
import Store
import XCTest

final class PageTests: XCTestCase {
    func testPageIsSelfContainedAndItsNumbersAreTheStores() throws {
        let store = try ResultStore.inMemory()
        let sweep = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        let html = HTMLPage.render(report)
        let root = try XCTUnwrap(parseXML(html))
        XCTAssertEqual(root.name, "html")

        // Self-contained: no scripts, no external resources, nothing fetched.
        let lower = html.lowercased()
        for banned in ["<script", "<link", "@import", "<img", "<iframe", "src=", "href="] {
            XCTAssertFalse(lower.contains(banned), "page contains \(banned)")
        }
        let namespaces: Set<String> = ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"]
        let urls = try NSRegularExpression(pattern: "https?://[^\"'\\s<>]*").matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range, in: html)!]) }
        XCTAssertTrue(urls.allSatisfy(namespaces.contains), "\(Set(urls).subtracting(namespaces))")
        let urlRefs = try NSRegularExpression(pattern: "url\\(([^)]*)\\)").matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range(at: 1), in: html)!]) }
        XCTAssertTrue(urlRefs.allSatisfy { $0.hasPrefix("#") }, "\(urlRefs)")

        // Four inline figures (the plan is an HTML table), ids unique across the page.
        XCTAssertEqual(root.elements("svg").count, 4)
        let ids = root.all.compactMap { $0.attributes["id"] }
        XCTAssertEqual(ids.count, Set(ids).count, "duplicate ids: \(ids)")
        for ref in urlRefs { XCTAssertTrue(ids.contains(String(ref.dropFirst())), "dangling reference \(ref)") }

        // Every run's row holds the store's values, printed as the CLI prints them.
        let rows = root.all.first { $0.attributes["id"] == "table-runs" }!.elements("tr").filter { $0.attributes["data-run-id"] != nil }
        XCTAssertEqual(rows.count, sweep.runs.count)
        for row in rows {
            let stored = try XCTUnwrap(store.run(id: Int64(row.attributes["data-run-id"]!)!))
            let cells = row.elements("td").map(\.fullText)
            XCTAssertEqual(cells[0], stored.name)
            XCTAssertEqual(cells[1], stored.role.rawValue)
            XCTAssertEqual(cells[2], stored.status.rawValue)
            XCTAssertEqual(row.attributes["data-params"].flatMap(Double.init), stored.params)
            XCTAssertEqual(row.attributes["data-tokens"].flatMap(Double.init), stored.tokens)
            XCTAssertEqual(row.attributes["data-loss"].flatMap(Double.init), stored.loss)
            XCTAssertEqual(cells[7], stored.loss.map { String(format: "%.4f", $0) } ?? "-")
            XCTAssertEqual(cells[6], String(format: "%.2e", stored.flops))
            XCTAssertEqual(cells[8], String(try store.metrics(runId: stored.id!).filter { $0.valLoss != nil }.count))
        }

        // The law is the stored fit's.
        let fit = try XCTUnwrap(store.fit(id: sweep.parametricFitId!))
        let params = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fit.parameters.utf8)) as? [String: Any])
        let law = try XCTUnwrap(root.all.first { $0.attributes["id"] == "law" })
        for key in ["E", "A", "B", "alpha", "beta"] {
            XCTAssertEqual(law.attributes["data-\(key)"].flatMap(Double.init), (params[key] as? NSNumber)?.doubleValue, key)
        }
        // Budgets table: the stored IsoFLOP fit.
        let isoFit = try XCTUnwrap(store.fit(id: sweep.isoflopFitId!))
        let iso = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(isoFit.parameters.utf8)) as? [String: Any])
        let budgets = try XCTUnwrap(iso["budgets"] as? [[String: Any]])
        let budgetRows = root.all.first { $0.attributes["id"] == "table-isoflop" }!.elements("tr").filter { $0.attributes["data-budget"] != nil }
        XCTAssertEqual(budgetRows.map { $0.attributes["data-budget"]! }, budgets.map { $0["label"] as! String })
        XCTAssertEqual(budgetRows.map { Double($0.attributes["data-params"]!)! }, budgets.map { ($0["optimal_params"] as! NSNumber).doubleValue })
        XCTAssertEqual(budgetRows.map { $0.elements("td")[6].fullText },
                       budgets.map { String(format: "%.4f", ($0["minimum_loss"] as! NSNumber).doubleValue) })
        // Validation: the recorded prediction and the measured loss.
        let v = try XCTUnwrap(root.all.first { $0.attributes["id"] == "table-validation" }?.elements("tr").first { $0.attributes["data-run-id"] != nil })
        let cells = v.elements("td").map(\.fullText)
        let measured = sweep.runs.first { $0.role == .validation }!.loss!
        XCTAssertEqual(cells[4], String(format: "%.4f", sweep.validationPrediction))
        XCTAssertEqual(cells[5], String(format: "%.4f", measured))
        XCTAssertEqual(cells[6], String(format: "%+.2f%%", (measured - sweep.validationPrediction) / sweep.validationPrediction * 100))
        // Plan table: one row per budget.
        let plan = root.all.first { $0.attributes["id"] == "table-plan" }!.elements("tr").filter { $0.attributes["data-flops"] != nil }
        XCTAssertEqual(plan.map { Double($0.attributes["data-flops"]!)! }, [1e13, 1e14, 1e15])
        XCTAssertEqual(plan.map { Double($0.attributes["data-params"]!)! },
                       try [1e13, 1e14, 1e15].map { try SyntheticSweep.law.computeOptimal(flops: $0).params })
    }

    func testWriterWritesThePageAndOneSVGPerFigure() throws {
        let store = try ResultStore.inMemory()
        _ = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)/nested")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let files = try ReportWriter.write(report, to: dir)
        XCTAssertEqual(files.map(\.lastPathComponent),
                       ["report.html", "isoflop.svg", "frontier.svg", "loss-curves.svg", "residuals.svg", "plan.svg"])
        for f in files.dropFirst() {
            let text = try String(contentsOf: f, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
            XCTAssertEqual(parseXML(text)?.name, "svg")
        }
        XCTAssertEqual(try String(contentsOf: files[0], encoding: .utf8), HTMLPage.render(report))
        // A file where the folder should be: a clear error.
        let blocker = dir.deletingLastPathComponent().appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        XCTAssertThrowsError(try ReportWriter.write(report, to: blocker.appendingPathComponent("sub"))) { error in
            guard case .cannotWrite? = error as? ReportError else { return XCTFail("\(error)") }
        }
    }

    func testTextReportHasEveryFigureAsATable() throws {
        let store = try ResultStore.inMemory()
        let sweep = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        let text = TextReport.render(report)
        for heading in ["1. IsoFLOP curves", "2. Compute-optimal frontier", "3. Loss curves", "4. Residuals", "5. Plan for larger budgets"] {
            XCTAssertTrue(text.contains(heading), heading)
        }
        let lines = text.split(separator: "\n").map(String.init)
        for r in sweep.runs where r.status == .done && r.role == .fit {
            // The IsoFLOP table row and the residual row of each fit run carry its stored loss.
            let rows = lines.filter { $0.hasPrefix(r.name! + " ") }
            XCTAssertGreaterThanOrEqual(rows.filter { $0.contains(String(format: "%.4f", r.loss!)) }.count, 2, r.name!)
            let predicted = SyntheticSweep.law.loss(params: r.params, tokens: r.tokens)
            XCTAssertTrue(rows.contains { $0.contains(String(format: "%+.4f", log(predicted) - log(r.loss!))) }, r.name!)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("val-2e12") && $0.contains(String(format: "%.4f", sweep.validationPrediction)) })
        for c in ["1.00e+13", "1.00e+14", "1.00e+15"] { XCTAssertTrue(lines.contains { $0.hasPrefix(c) }, c) }
        XCTAssertFalse(text.contains("nan"))
    }
}
