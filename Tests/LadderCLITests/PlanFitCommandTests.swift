import Foundation
import Randomness
import ScalingLaws
import XCTest

final class PlanFitCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testPlanWithPublishedLawsAndVariants() throws {
        let epoch = try json(try cli.ok(["plan", "--flops", "1e18", "--law", "epoch", "--json"]))
        XCTAssertEqual(epoch["params"] as? Double ?? 0, 80e6, accuracy: 3e6)
        XCTAssertEqual(epoch["tokens"] as? Double ?? 0, 2.1e9, accuracy: 0.1e9)
        let shape = try XCTUnwrap(epoch["shape"] as? [String: Any])
        XCTAssertEqual(Double(shape["params_non_embedding"] as? Int ?? 0), epoch["params"] as? Double ?? 0, accuracy: 0.05 * 80e6)
        for key in ["flops", "params", "tokens", "loss"] { XCTAssertNotNil(epoch[key], key) }

        let gpu = try json(try cli.ok(["plan", "--gpu-hours", "1000", "--gpu", "h100", "--mfu", "0.5", "--law", "chinchilla", "--json"]))
        XCTAssertEqual(gpu["flops"] as? Double ?? 0, 1000 * 3600 * 989e12 * 0.5, accuracy: 1e15)

        let fixed = try json(try cli.ok(["plan", "--flops", "1e20", "--params", "1e8", "--law", "chinchilla", "--json"]))
        XCTAssertEqual(fixed["tokens"] as? Double ?? 0, 1e20 / 6e8, accuracy: 1)
        XCTAssertGreaterThan(fixed["loss"] as? Double ?? 0, fixed["optimal_loss"] as? Double ?? 9)

        let inference = try json(try cli.ok(["plan", "--flops", "1e21", "--inference-tokens", "1e13", "--law", "chinchilla", "--json"]))
        let base = try json(try cli.ok(["plan", "--flops", "1e21", "--law", "chinchilla", "--json"]))
        XCTAssertLessThan(inference["params"] as? Double ?? 1e99, base["params"] as? Double ?? 0)

        let target = try cli.run(["plan", "--target-loss", "1.5", "--law", "chinchilla"])
        XCTAssertNotEqual(target.status, 0)
        XCTAssertTrue(target.stderr.contains("irreducible"), target.stderr)
        let missing = try cli.run(["plan", "--law", "chinchilla"])
        XCTAssertTrue(missing.stderr.contains("missing budget"), missing.stderr)
        let gpuName = try cli.run(["plan", "--gpu-hours", "10", "--gpu", "tpu9000"])
        XCTAssertTrue(gpuName.stderr.contains("unknown --gpu 'tpu9000'"), gpuName.stderr)
    }

    func testFitFromCSVRecoversTheLawAndPlanUsesTheStoredFit() throws {
        let truth = ChinchillaLaw(E: 1.8, A: 450, B: 1500, alpha: 0.35, beta: 0.33)
        var rng = SplitMix64(seed: 9)
        var csv = "name,params,tokens,loss\n"
        for (i, n) in [1e7, 3e7, 1e8, 3e8, 1e9].enumerated() {
            for (j, d) in [2e8, 6e8, 2e9, 6e9, 2e10].enumerated() {
                let loss = truth.loss(params: n, tokens: d) * (1 + 0.005 * rng.nextGaussian())
                csv += "r\(i)-\(j),\(n),\(d),\(loss)\n"
            }
        }
        try cli.write("runs.csv", csv)
        let fit = try json(try cli.ok(["fit", "--from", "runs.csv", "--bootstrap", "30", "--json"]))
        XCTAssertEqual(fit["alpha"] as? Double ?? 0, 0.35, accuracy: 0.05)
        XCTAssertEqual(fit["beta"] as? Double ?? 0, 0.33, accuracy: 0.05)
        XCTAssertEqual(fit["runs"] as? Int, 25)
        let intervals = try XCTUnwrap(fit["intervals"] as? [String: Any])
        XCTAssertEqual((intervals["alpha"] as? [Double])?.count, 2)
        let fitId = try XCTUnwrap(fit["fit_id"] as? Int)

        // plan defaults to the latest stored fit and carries its bootstrap intervals
        let plan = try json(try cli.ok(["plan", "--flops", "1e21", "--json"]))
        XCTAssertEqual(plan["law"] as? String, "fit \(fitId)")
        let planIntervals = try XCTUnwrap(plan["intervals"] as? [String: Any])
        let n = try XCTUnwrap(planIntervals["params"] as? [Double])
        XCTAssertLessThan(n[0], plan["params"] as? Double ?? 0)
        XCTAssertGreaterThan(n[1], plan["params"] as? Double ?? 0)
        let curves = try json(try cli.ok(["curves", "--fit", String(fitId), "--flops", "1e19,1e21", "--params", "1e9", "--json"]))
        XCTAssertEqual((curves["frontier"] as? [Any])?.count, 2)

        let none = try cli.ok(["fit", "--from", "runs.csv", "--bootstrap", "0", "--no-store"])
        XCTAssertFalse(none.contains("stored as fit"), none)
    }

    func testFitRefusesUnidentifiableInputs() throws {
        try cli.write("one-size.csv", "params,tokens,loss\n1e8,1e9,3.1\n1e8,2e9,3.0\n1e8,4e9,2.9\n1e8,8e9,2.85\n1e8,1.6e10,2.8\n1e8,3.2e10,2.78\n")
        let oneSize = try cli.run(["fit", "--from", "one-size.csv", "--bootstrap", "0"])
        XCTAssertNotEqual(oneSize.status, 0)
        XCTAssertTrue(oneSize.stderr.lowercased().contains("model size"), oneSize.stderr)
        try cli.write("few.csv", "params,tokens,loss\n1e8,1e9,3.1\n2e8,2e9,3.0\n")
        let few = try cli.run(["fit", "--from", "few.csv", "--bootstrap", "0"])
        XCTAssertNotEqual(few.status, 0)
        XCTAssertTrue(few.stderr.contains("2"), few.stderr)
        let missing = try cli.run(["fit", "--db", "missing.sqlite"])
        XCTAssertTrue(missing.stderr.contains("no results database"), missing.stderr)
        try cli.write("one.csv", "params,tokens,loss\n1e8,1e9,3.1\n")
        _ = try cli.ok(["import", "one.csv", "--db", "empty.sqlite", "--sweep", "other"])
        let empty = try cli.run(["fit", "--db", "empty.sqlite", "--sweep", "other"])
        XCTAssertTrue(empty.stderr.contains("Only 1 run(s)"), empty.stderr)
    }
}
