import Foundation
import ScalingLaws
import XCTest

/// `ladder fit`'s rollout (leave the largest budgets out) and poorly-determined flags.
final class FitChecksCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// An IsoFLOP table of 5 budgets x 7 sizes as CSV (no budget labels: binned by log C).
    func isoflopCSV(noise: Double, seed: UInt64) -> String {
        let runs = SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e18, 3e18, 1e19, 3e19, 1e20], noise: noise, seed: seed)
        return "name,params,tokens,loss,flops\n" + runs.map { "\($0.name!),\($0.params),\($0.tokens),\($0.loss),\($0.flops!)" }.joined(separator: "\n") + "\n"
    }

    func testFitReportsRolloutAndQualityInTextAndJSON() throws {
        try cli.write("iso.csv", isoflopCSV(noise: 0.005, seed: 3))
        let object = try json(try cli.ok(["fit", "--from", "iso.csv", "--no-store", "--bootstrap", "40", "--rollout", "2", "--json"]))
        let rollout = try XCTUnwrap(object["rollout"] as? [String: Any])
        XCTAssertEqual(rollout["axis"] as? String, "compute")
        XCTAssertEqual(rollout["bin_width_decades"] as? Double, 0.25)
        let windows = try XCTUnwrap(rollout["windows"] as? [[String: Any]])
        XCTAssertEqual(windows.count, 2)
        XCTAssertEqual(windows[0]["training_runs"] as? Int, 28)
        let top = try XCTUnwrap((windows[0]["groups"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["runs"] as? Int, 7)
        // 0.5% noise: the top budget is predicted within 2%.
        XCTAssertLessThan(abs(top["mean_error"] as? Double ?? 1), 0.02)
        let quality = try XCTUnwrap(object["quality"] as? [String: Any])
        XCTAssertEqual(quality["level"] as? Double, 0.8)
        XCTAssertNotNil(quality["poorly_determined"] as? Bool)

        let text = try cli.ok(["fit", "--from", "iso.csv", "--no-store", "--bootstrap", "20", "--rollout", "1"])
        XCTAssertTrue(text.contains("fit quality:"), text)
        XCTAssertTrue(text.contains("rollout: refit without the largest budgets"), text)
        XCTAssertTrue(text.contains("groups: 5 bins of log10 C, 0.25 decades wide"), text)

        let bad = try cli.run(["fit", "--from", "iso.csv", "--no-store", "--bin-width", "0"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--bin-width"), bad.stderr)
    }
}

extension FitChecksCommandTests {
    /// `--law auto` names its choice and criterion; `--law compute` fits the frontier and is not
    /// stored; `--law fixed-e` needs `--e`; `compare` reports a multiplier; `--target` feeds `plan`.
    func testLawsCompareAndTaskTarget() throws {
        try cli.write("iso.csv", isoflopCSV(noise: 0.005, seed: 3))
        let auto = try json(try cli.ok(["fit", "--from", "iso.csv", "--no-store", "--bootstrap", "0", "--rollout", "0", "--law", "auto", "--json"]))
        let selection = try XCTUnwrap(auto["selection"] as? [String: Any])
        XCTAssertTrue((selection["reason"] as? String ?? "").contains("lowest AIC"))
        XCTAssertEqual((selection["candidates"] as? [Any])?.count, 3)
        let compute = try cli.ok(["fit", "--from", "iso.csv", "--bootstrap", "0", "--law", "compute"])
        XCTAssertTrue(compute.contains("L(C) ="), compute)
        XCTAssertTrue(compute.contains("not stored"), compute)
        let missing = try cli.run(["fit", "--from", "iso.csv", "--law", "fixed-e"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--e"), missing.stderr)

        let variant = SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e18, 3e18, 1e19, 3e19, 1e20], noise: 0.005,
                                            computeMultiplier: 3, seed: 4)
        try cli.write("variant.csv", "name,params,tokens,loss,flops\n" + variant.map { "\($0.name!),\($0.params),\($0.tokens),\($0.loss),\($0.flops!)" }.joined(separator: "\n") + "\n")
        let cmp = try json(try cli.ok(["compare", "--baseline", "iso.csv", "--variant", "variant.csv", "--bootstrap", "20",
                                       "--plan-flops", "1e22", "--figure", cli.path("compare.svg"), "--json"]))
        let m = try XCTUnwrap((cmp["multipliers"] as? [[String: Any]])?.first?["multiplier"] as? Double)
        XCTAssertEqual(m / 3, 1, accuracy: 0.15)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("compare.svg")))

        var csv = "name,params,tokens,loss,task:acc\n"
        for r in SyntheticRuns.isoFLOP(law: .epoch, budgets: [1e18, 1e19, 1e20], noise: 0.005, seed: 5) {
            csv += "\(r.name!),\(r.params),\(r.tokens),\(r.loss),\(0.7 / (1 + exp(5 * (r.loss - 2.9))) + 0.25)\n"
        }
        try cli.write("task.csv", csv)
        let fit = try json(try cli.ok(["fit", "--from", "task.csv", "--target", "task:acc", "--bootstrap", "20", "--json"]))
        XCTAssertNotNil(fit["task"] as? [String: Any])
        let plan = try json(try cli.ok(["plan", "--flops", "1e21", "--json"]))
        let task = try XCTUnwrap(plan["task"] as? [String: Any])
        XCTAssertEqual(task["name"] as? String, "task:acc")
        XCTAssertEqual((task["interval"] as? [Double])?.count, 2)
    }
}
