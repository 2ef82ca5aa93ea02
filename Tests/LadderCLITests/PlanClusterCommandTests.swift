import Foundation
import ScalingLaws
import XCTest

final class PlanClusterCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func testPlanWithClusterReportsLayoutMemoryAndTime() throws {
        let text = try cli.ok(["plan", "--flops", "3.6e23", "--params", "30e9", "--law", "chinchilla",
                               "--cluster", "64xh100", "--mfu", "0.4", "--json"])
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let cluster = try XCTUnwrap(out["cluster"] as? [String: Any])
        XCTAssertEqual(cluster["gpus"] as? Int, 64)
        XCTAssertEqual(cluster["fits"] as? Bool, true)
        let flops = try XCTUnwrap(cluster["flops"] as? Double)
        XCTAssertEqual(cluster["wall_clock_seconds"] as? Double ?? 0, flops / (64 * 989e12 * 0.4), accuracy: 1)
        let layout = try XCTUnwrap(cluster["layout"] as? [String: Any])
        let gpus = ["dp", "tp", "pp", "cp"].map { layout[$0] as? Int ?? 0 }.reduce(1, *)
        XCTAssertEqual(gpus, 64)
        let mem = try XCTUnwrap(layout["memory_bytes"] as? [String: Any])
        let parts = ["parameters", "gradients", "optimizer_states", "activations"].map { mem[$0] as? Double ?? .nan }
        XCTAssertEqual(parts.reduce(0, +), mem["total"] as? Double ?? 0, accuracy: 1)
        XCTAssertLessThanOrEqual(mem["total"] as? Double ?? .infinity, 80e9 * 0.9)

        let human = try cli.ok(["plan", "--flops", "3.6e23", "--params", "30e9", "--law", "chinchilla", "--cluster", "64xh100"])
        for needle in ["layout:", "optimizer (fp32 master + Adam)", "GPU-hours", "bubble"] {
            XCTAssertTrue(human.contains(needle), needle)
        }
        let nothing = try cli.ok(["plan", "--flops", "1e25", "--params", "1e12", "--law", "chinchilla", "--cluster", "8xa100-40gb"])
        XCTAssertTrue(nothing.contains("NOTHING FITS"), nothing)

        for (bad, message) in [("h100", "COUNTxGPU"), ("0xh100", "at least one GPU"), ("8xtpu9000", "unknown GPU 'tpu9000'")] {
            let r = try cli.run(["plan", "--flops", "1e21", "--law", "chinchilla", "--cluster", bad])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
    }
}
