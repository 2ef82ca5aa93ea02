import Foundation
import Randomness
import ScalingLaws
import Store
import XCTest

final class ReportCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    /// A finished IsoFLOP sweep (3 budgets x 5 sizes, losses from a known law with seeded noise,
    /// four logged evaluations per run), written through the Store API.
    func makeSweep(_ db: ResultStore, name: String) throws -> [RunRecord] {
        let law = ChinchillaLaw(E: 1.2, A: 20, B: 300, alpha: 0.32, beta: 0.38)
        var rng = SplitMix64(seed: 21)
        var planned: [RunRecord] = []
        for c in [1e11, 3e11, 1e12] {
            let opt = try law.computeOptimal(flops: c)
            let label = String(format: "%.0e", c).replacingOccurrences(of: "e+", with: "e")
            for i in 0..<5 {
                let n = (opt.params * pow(2.0, Double(i) - 2)).rounded()
                let d = (c / (6 * n)).rounded()
                let config = "{\"sweep\":{\"budget\":\"\(label)\",\"name\":\"\(name)\",\"role\":\"fit\"}}"
                planned.append(RunRecord(sweepId: 0, name: "\(label)-\(i)", config: config, params: n, tokens: d, flops: 6 * n * d))
            }
        }
        var runs = try db.insertRuns(planned, intoSweep: name, spec: "name = \"\(name)\"\n[plan]\nflops = [1e13, 1e14]\n")
        for k in runs.indices {
            var last = 0.0
            var metrics: [MetricRecord] = []
            for e in 1...4 {
                let t = runs[k].tokens * Double(e) / 4
                last = law.loss(params: runs[k].params, tokens: t) * (1 + 0.005 * rng.nextGaussian())
                metrics.append(MetricRecord(runId: runs[k].id!, step: e * 10, tokensSeen: t, valLoss: last))
            }
            try db.appendMetrics(metrics)
            runs[k].status = .done
            runs[k].finalValLoss = last
            try db.updateRun(runs[k])
        }
        return runs
    }

    func testReportWritesThePageAndFiguresFromTheStore() throws {
        let dbPath = cli.path("results.sqlite")
        let db = try ResultStore.open(path: dbPath)
        let runs = try makeSweep(db, name: "ladder")
        _ = try cli.ok(["fit", "--db", dbPath, "--sweep", "ladder", "--bootstrap", "10", "--json"])

        let out = try cli.ok(["report", "--db", dbPath])
        XCTAssertTrue(out.contains("/Results/ladder/report.html\n"), out)
        XCTAssertFalse(out.contains("fitted for this report"), "the stored fit covers the runs: \(out)")
        for file in ["report.html", "isoflop.svg", "frontier.svg", "loss-curves.svg", "residuals.svg", "plan.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("Results/ladder/" + file)), file)
        }
        let page = try String(contentsOfFile: cli.path("Results/ladder/report.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("Parametric law (Chinchilla Approach 3, fit 1)"))
        for r in runs {
            XCTAssertTrue(page.contains("data-run-id=\"\(r.id!)\""), r.name!)
            XCTAssertTrue(page.contains("<td class=\"text\">\(r.name!)</td>"), r.name!)
            XCTAssertTrue(page.contains("<td>\(String(format: "%.4f", r.finalValLoss!))</td>"), r.name!)
        }
        // The plan budgets come from the sweep file stored with the sweep.
        let plan = try String(contentsOfFile: cli.path("Results/ladder/plan.svg"), encoding: .utf8)
        XCTAssertEqual(plan.components(separatedBy: "class=\"plan-row\"").count - 1, 2)
        XCTAssertTrue(plan.contains("data-flops=\"1e+13\"") || plan.contains("data-flops=\"10000000000000.0\""), plan)

        let text = try cli.ok(["report", "--db", dbPath, "--text", "--plan-flops", "1e15,1e16,1e17"])
        for heading in ["1. IsoFLOP curves", "2. Compute-optimal frontier", "3. Loss curves", "4. Residuals", "5. Plan"] {
            XCTAssertTrue(text.contains(heading), heading)
        }
        for c in ["1.00e+15", "1.00e+16", "1.00e+17"] {
            XCTAssertTrue(text.split(separator: "\n").contains { $0.hasPrefix(c) }, c)
        }

        let custom = try cli.ok(["report", "--db", dbPath, "--sweep", "ladder", "--out", "elsewhere"])
        XCTAssertTrue(custom.contains("/elsewhere/report.html\n"), custom)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("elsewhere/frontier.svg")))
    }

    func testEmptyAndAmbiguousSweepsAreClearErrors() throws {
        let dbPath = cli.path("results.sqlite")
        let db = try ResultStore.open(path: dbPath)
        _ = try db.ensureSweep(name: "empty")
        let empty = try cli.run(["report", "--db", dbPath])
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.stderr.contains("sweep 'empty' has no runs yet"), empty.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("Results/empty")), "no page for an empty sweep")

        try db.insertRuns([RunRecord(sweepId: 0, name: "a", status: .failed, params: 1e4, tokens: 1e6, flops: 6e10)], intoSweep: "broken")
        let ambiguous = try cli.run(["report", "--db", dbPath])
        XCTAssertNotEqual(ambiguous.status, 0)
        XCTAssertTrue(ambiguous.stderr.contains("choose one with --sweep: empty, broken"), ambiguous.stderr)
        let broken = try cli.run(["report", "--db", dbPath, "--sweep", "broken", "--text"])
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertTrue(broken.stderr.contains("no finished runs (1 failed)"), broken.stderr)
        XCTAssertTrue(broken.stdout.isEmpty, broken.stdout)
        let unknown = try cli.run(["report", "--db", dbPath, "--sweep", "nope"])
        XCTAssertTrue(unknown.stderr.contains("no sweep named 'nope'"), unknown.stderr)
        let noDB = try cli.run(["report", "--db", cli.path("missing.sqlite")])
        XCTAssertNotEqual(noDB.status, 0)
        XCTAssertTrue(noDB.stderr.contains("no results database"), noDB.stderr)
    }
}
