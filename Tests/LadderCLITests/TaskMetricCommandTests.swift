import Foundation
import ScalingLaws
import Store
import XCTest

/// Task metrics in the database: `ladder import` stores a file's `task:NAME` values (CSV or JSON),
/// `ladder fit --sweep NAME --target task:NAME` fits the link from the stored values (imported, or
/// written by a trainer), and a bad file is refused whole with its place.
final class TaskMetricCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Three IsoFLOP budgets from Epoch's law; the metric a known sigmoid of the loss.
    static func runs() -> [Observation] {
        SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e18, 1e19, 1e20], noise: 0.005, seed: 5)
    }
    static func metric(_ loss: Double) -> Double { 0.7 / (1 + exp(5 * (loss - 2.9))) + 0.25 }

    func testImportedTaskMetricsAreStoredAndFittedFromTheSweep() throws {
        var csv = "name,params,tokens,loss,task:acc\n"
        for r in Self.runs() { csv += "\(r.name!),\(r.params),\(r.tokens),\(r.loss),\(Self.metric(r.loss))\n" }
        try cli.write("task.csv", csv)
        let out = try cli.ok(["import", "task.csv", "--sweep", "paper"])
        XCTAssertTrue(out.contains("imported 21 run(s) into sweep 'paper'") && out.contains("21 task metric value(s) (task:acc)"), out)

        let fromStore = try json(try cli.ok(["fit", "--sweep", "paper", "--target", "task:acc", "--bootstrap", "10", "--json"]))
        let fromFile = try json(try cli.ok(["fit", "--from", "task.csv", "--no-store", "--target", "task:acc", "--bootstrap", "10", "--json"]))
        let a = try XCTUnwrap(fromStore["task"] as? [String: Any]), b = try XCTUnwrap(fromFile["task"] as? [String: Any])
        XCTAssertEqual(a["runs"] as? Int, 21)
        for key in ["a", "k", "L0", "b"] {
            XCTAssertEqual(try XCTUnwrap(a[key] as? Double), try XCTUnwrap(b[key] as? Double), accuracy: 1e-9, "stored values fit as the file's: \(key)")
        }
        XCTAssertNotNil(fromStore["fit_id"])
        let plan = try json(try cli.ok(["plan", "--flops", "1e21", "--json"]))
        XCTAssertEqual((plan["task"] as? [String: Any])?["name"] as? String, "task:acc")

        let missing = try cli.run(["fit", "--sweep", "paper", "--target", "task:mmlu"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none of the 21 finished run(s) of sweep 'paper' has a stored task:mmlu value")
                      && missing.stderr.contains("stored task metrics: task:acc"), missing.stderr)
    }

    func testTrainerWrittenTaskMetricsFitFromTheirLastStep() throws {
        let db = cli.path("t.sqlite")
        let store = try ResultStore.open(path: db)
        let records = Self.runs().map { RunRecord(sweepId: 0, name: $0.name, status: .done, params: $0.params, tokens: $0.tokens, flops: $0.flops!, finalValLoss: $0.loss) }
        let stored = try store.insertRuns(records, intoSweep: "trained")
        // A trainer's evaluations along the run: only the last step's value is the run's metric.
        try store.appendTaskMetrics(zip(stored, Self.runs()).flatMap { run, r in
            [TaskMetricRecord(runId: run.id!, step: 100, name: "Acc", value: 0.1),
             TaskMetricRecord(runId: run.id!, step: 500, name: "Acc", value: Self.metric(r.loss))]
        })
        let fit = try json(try cli.ok(["fit", "--db", db, "--sweep", "trained", "--target", "task:acc", "--bootstrap", "0", "--json"]))
        let task = try XCTUnwrap(fit["task"] as? [String: Any])
        XCTAssertEqual(task["runs"] as? Int, 21)
        XCTAssertLessThan(try XCTUnwrap(task["rmse"] as? Double), 0.01, "the link fits the last-step values, not the step-100 ones")
    }

    func testABadTaskValueImportsNothing() throws {
        try cli.write("good.csv", "name,params,tokens,loss\nr0,1e7,2e8,3.5\n")
        _ = try cli.ok(["import", "good.csv"])
        try cli.write("bad.csv", "name,params,tokens,loss,task:acc\nr1,1e7,2e8,3.5,0.3\nr2,2e7,4e8,3.2,NaN\n")
        let r = try cli.run(["import", "bad.csv"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.csv:3:16: task:acc 'NaN' is not a finite number"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing imported"), r.stderr)
        let runs = try JSONDecoder().decode([ExportedRun].self, from: Data(try cli.ok(["runs", "--json"]).utf8))
        XCTAssertEqual(runs.map(\.name), ["r0"])
        let fit = try cli.run(["fit", "--sweep", "imported", "--target", "task:acc"])
        XCTAssertTrue(fit.stderr.contains("no task metrics are stored for them"), fit.stderr)
    }

    func testJSONImportStoresRunsAndRefusesABadFileWhole() throws {
        let rows = Self.runs().map { r in
            "{\"name\": \"\(r.name!)\", \"params\": \(r.params), \"tokens\": \(r.tokens), \"loss\": \(r.loss), \"task:acc\": \(Self.metric(r.loss))}"
        }
        try cli.write("runs.json", "[" + rows.joined(separator: ",\n") + "]\n")
        let out = try cli.ok(["import", "runs.json", "--sweep", "j"])
        XCTAssertTrue(out.contains("imported 21 run(s) into sweep 'j'"), out)
        let fit = try json(try cli.ok(["fit", "--sweep", "j", "--target", "task:acc", "--bootstrap", "0", "--json"]))
        XCTAssertEqual((fit["task"] as? [String: Any])?["runs"] as? Int, 21)

        try cli.write("bad.json", #"[{"params": 1e7, "tokens": 2e8, "loss": 3.5}, {"params": 1e7, "tokens": 2e8, "loss": 1e999, "lr": 0.1}]"#)
        let r = try cli.run(["import", "bad.json", "--sweep", "j2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(#"bad.json: element 1, key "loss": loss must be a positive finite number"#), r.stderr)
        XCTAssertTrue(r.stderr.contains(#"bad.json: element 1, key "lr": 'lr' is not a known key"#), r.stderr)
        XCTAssertEqual(try ResultStore.open(path: cli.path("Results/ladder.sqlite")).runCount(sweep: "j2"), 0)
        let again = try cli.run(["import", "runs.json", "--sweep", "j"])
        XCTAssertTrue(again.stderr.contains(#"runs.json: element 0, key "name": sweep 'j' already has a run named"#), again.stderr)
    }
}
