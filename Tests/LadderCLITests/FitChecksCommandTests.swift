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
