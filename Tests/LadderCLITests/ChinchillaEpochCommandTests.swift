import Foundation
import XCTest

/// The committed reconstruction of Chinchilla's 245 runs (Sweeps/data/chinchilla-epoch.csv, Epoch
/// AI): it imports whole, the parametric fit lands where it was measured (README, "Epoch's
/// reconstruction of Chinchilla's runs"), and `--law auto` names its law.
final class ChinchillaEpochCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sweeps/data/chinchilla-epoch.csv").path

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testImportFitAndLawChoiceOnTheReconstructedRuns() throws {
        let out = try cli.ok(["import", Self.file, "--sweep", "chinchilla"])
        XCTAssertTrue(out.contains("imported 245 run(s) into sweep 'chinchilla'"), out)

        // Epoch's procedure: the 5 highest-loss runs left out. Every parameter within 0.1% of
        // Epoch's notebook (Besiroglu et al. 2024's code at 9225883: E 1.8172, A 477.84, B 2143.86,
        // alpha 0.3473, beta 0.3672); measured 1.81722, 477.826, 2143.42, 0.347310, 0.367172.
        let epoch = try json(try cli.ok(["fit", "--sweep", "chinchilla", "--exclude-outliers", "5", "--bootstrap", "0", "--rollout", "1", "--json"]))
        for (key, published) in [("E", 1.8172), ("A", 477.84), ("B", 2143.86), ("alpha", 0.3473), ("beta", 0.3672)] {
            let fitted = try XCTUnwrap(epoch[key] as? Double, key)
            XCTAssertEqual(fitted / published, 1, accuracy: 1e-3, "\(key): \(fitted) against Epoch's \(published)")
        }
        XCTAssertEqual(epoch["runs"] as? Int, 240)
        // Leave-top-budget-out: the 1e22 bin (one run) predicted within 3% (measured -2.41%).
        let window = try XCTUnwrap(((epoch["rollout"] as? [String: Any])?["windows"] as? [[String: Any]])?.first)
        let top = try XCTUnwrap((window["groups"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["runs"] as? Int, 1)
        XCTAssertLessThan(abs(try XCTUnwrap(top["mean_error"] as? Double)), 0.03)

        // All 245 runs (measured: E 1.891, alpha 0.349, beta 0.453) and the law choice.
        let all = try json(try cli.ok(["fit", "--sweep", "chinchilla", "--law", "auto", "--bootstrap", "0", "--rollout", "0", "--json"]))
        for key in ["alpha", "beta"] {
            let x = try XCTUnwrap(all[key] as? Double)
            XCTAssertTrue(x > 0.25 && x < 0.48, "\(key) \(x)")
        }
        let e = try XCTUnwrap(all["E"] as? Double)
        XCTAssertTrue(e > 1.6 && e < 2.0, "E \(e)")
        XCTAssertEqual(all["runs"] as? Int, 245)
        let law = try XCTUnwrap(all["law"] as? String)
        XCTAssertTrue(["chinchilla", "bounded-e"].contains(law), law)
        XCTAssertNotNil(all["selection"], "--law auto says why")
    }
}
