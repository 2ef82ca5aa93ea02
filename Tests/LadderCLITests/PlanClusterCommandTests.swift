import Foundation
import ScalingLaws
import XCTest

final class PlanClusterCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    /// A user's GPU table adds a GPU and replaces a built-in row; a bad file names its key.
    func testGPUTableFromAFile() throws {
        try cli.write("gpus.toml", "[[gpu]]\nname = \"h20\"\npeak_tflops = 148\nmemory_gb = 96\nmemory_bandwidth_tb_s = 4.0\nintra_node_gb_s = 450\ninter_node_gb_s = 50\n[[gpu]]\nname = \"h100\"\npeak_tflops = 500\nmemory_gb = 80\n[[gpu]]\nname = \"bare\"\npeak_tflops = 100\nmemory_gb = 40\n")
        func cluster(_ spec: String) throws -> [String: Any] {
            let text = try cli.ok(["plan", "--flops", "1e22", "--law", "chinchilla", "--cluster", spec, "--gpu-table", "gpus.toml", "--json"])
            let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return try XCTUnwrap(out["cluster"] as? [String: Any])
        }
        let h20 = try cluster("16xh20")
        XCTAssertEqual(h20["gpu_memory_gb"] as? Double, 96)
        XCTAssertEqual(h20["peak_flops"] as? Double, 148e12)
        XCTAssertEqual(h20["memory_bandwidth"] as? Double, 4e12)
        XCTAssertEqual(h20["inter_node_bandwidth"] as? Double, 50e9)
        XCTAssertEqual(try cluster("16xH100")["intra_node_bandwidth"] as? Double, 450e9, "bandwidths left out keep the built-in row's")
        let bare = try cli.run(["plan", "--flops", "1e22", "--law", "chinchilla", "--cluster", "8xbare", "--gpu-table", "gpus.toml"])
        XCTAssertNotEqual(bare.status, 0)
        XCTAssertTrue(bare.stderr.contains("GPU 'bare' has no memory bandwidth, intra-node bandwidth, inter-node bandwidth"), bare.stderr)
        XCTAssertEqual(try cluster("16xH100")["peak_flops"] as? Double, 500e12, "the file's row replaces the built-in one")
        XCTAssertEqual(try cluster("16xa100-40gb")["peak_flops"] as? Double, 312e12, "built-in rows stay")
        let hours = try cli.ok(["plan", "--gpu-hours", "1000", "--gpu", "h20", "--gpu-table", "gpus.toml", "--law", "chinchilla", "--json"])
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(hours.utf8)) as? [String: Any])
        XCTAssertEqual(out["flops"] as? Double ?? 0, 1000 * 3600 * 148e12 * 0.4, accuracy: 1e9)

        let unknown = try cli.run(["plan", "--flops", "1e22", "--law", "chinchilla", "--cluster", "16xh20"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown GPU 'h20'"), unknown.stderr)
        try cli.write("typo.toml", "[[gpu]]\nname = \"x\"\npeak_tflop = 3\nmemory_gb = 1\n")
        let typo = try cli.run(["plan", "--flops", "1e22", "--law", "chinchilla", "--cluster", "8xx", "--gpu-table", "typo.toml"])
        XCTAssertTrue(typo.stderr.contains("typo.toml:3") && typo.stderr.contains("gpu.peak_tflop"), typo.stderr)
        try cli.write("zero.toml", "[[gpu]]\nname = \"x\"\npeak_tflops = 0\nmemory_gb = 1\n")
        let zero = try cli.run(["plan", "--flops", "1e22", "--law", "chinchilla", "--cluster", "8xx", "--gpu-table", "zero.toml"])
        XCTAssertTrue(zero.stderr.contains("peak FLOP/s must be positive"), zero.stderr)
    }

    func testPlanWithClusterReportsLayoutMemoryAndTime() throws {
        let text = try cli.ok(["plan", "--flops", "3.6e23", "--params", "30e9", "--law", "chinchilla",
                               "--cluster", "64xh100", "--mfu", "0.4", "--json"])
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let cluster = try XCTUnwrap(out["cluster"] as? [String: Any])
        XCTAssertEqual(cluster["gpus"] as? Int, 64)
        XCTAssertEqual(cluster["fits"] as? Bool, true)
        let flops = try XCTUnwrap(cluster["flops"] as? Double)
        XCTAssertEqual(cluster["wall_clock_seconds"] as? Double ?? 0, flops / (64 * 989e12 * 0.4), accuracy: 1)
        XCTAssertEqual(cluster["mfu_source"] as? String, "--mfu")
        let layout = try XCTUnwrap(cluster["layout"] as? [String: Any])
        let gpus = ["dp", "tp", "pp", "cp"].map { layout[$0] as? Int ?? 0 }.reduce(1, *)
        XCTAssertEqual(gpus, 64)
        let mem = try XCTUnwrap(layout["memory_bytes"] as? [String: Any])
        let parts = ["parameters", "gradients", "optimizer_states", "activations"].map { mem[$0] as? Double ?? .nan }
        XCTAssertEqual(parts.reduce(0, +), mem["total"] as? Double ?? 0, accuracy: 1)
        XCTAssertLessThanOrEqual(mem["total"] as? Double ?? .infinity, 80e9 * 0.9)

        let human = try cli.ok(["plan", "--flops", "3.6e23", "--params", "30e9", "--law", "chinchilla", "--cluster", "64xh100"])
        for needle in ["layout:", "optimizer (fp32 master + Adam)", "GPU-hours", "bubble", "step:", "estimated MFU:", "parallel-friendly:"] {
            XCTAssertTrue(human.contains(needle), needle)
        }
        let nothing = try cli.ok(["plan", "--flops", "1e25", "--params", "1e12", "--law", "chinchilla", "--cluster", "8xa100-40gb"])
        XCTAssertTrue(nothing.contains("NOTHING FITS"), nothing)
        XCTAssertTrue(nothing.contains("fits on:") && nothing.contains("largest that fits:"), nothing)

        for (bad, message) in [("h100", "COUNTxGPU"), ("0xh100", "at least one GPU"), ("8xtpu9000", "unknown GPU 'tpu9000'")] {
            let r = try cli.run(["plan", "--flops", "1e21", "--law", "chinchilla", "--cluster", bad])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
    }

    /// The first case: 405B on the Llama 3 405B cluster at 8k context gets a shape tp and pp divide
    /// and a layout with tp inside a node; time follows from the estimated MFU.
    func testFrontierModelOnItsClusterFits() throws {
        let text = try cli.ok(["plan", "--law", "epoch", "--flops", "3.8e25", "--params", "405e9", "--cluster", "16384xH100",
                               "--seq-len", "8192", "--kv-heads", "8", "--vocab", "128256", "--json"])
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let shape = try XCTUnwrap(out["shape"] as? [String: Any])
        XCTAssertEqual((shape["n_head"] as? Int ?? 1) % 8, 0)
        XCTAssertEqual(shape["kv_heads"] as? Int, 8)
        XCTAssertEqual(shape["tp_degrees_dividing"] as? [Int], [1, 2, 4, 8])
        let cluster = try XCTUnwrap(out["cluster"] as? [String: Any])
        XCTAssertEqual(cluster["fits"] as? Bool, true)
        let layout = try XCTUnwrap(cluster["layout"] as? [String: Any])
        XCTAssertLessThanOrEqual(layout["tp"] as? Int ?? 99, 8)
        XCTAssertEqual(cluster["mfu_source"] as? String, "estimated")
        let mfu = try XCTUnwrap(cluster["mfu"] as? Double)
        XCTAssertEqual(mfu, layout["mfu"] as? Double)
        let flops = try XCTUnwrap(cluster["flops"] as? Double)
        XCTAssertEqual(cluster["wall_clock_seconds"] as? Double ?? 0, flops / (16384 * 989e12 * mfu), accuracy: 1)

        let noCluster = try cli.run(["plan", "--flops", "1e22", "--law", "chinchilla", "--kv-heads", "8"])
        XCTAssertNotEqual(noCluster.status, 0)
        XCTAssertTrue(noCluster.stderr.contains("--kv-heads and --tp-across-nodes need --cluster"), noCluster.stderr)
    }
}
