import Foundation
import Store
import XCTest

/// The reference PyTorch trainer against the built-in one on the same config (seed, data,
/// hyperparameters): the same loss at every step and the same final validation loss.
final class TorchParityCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func testBuiltInAndPyTorchTrainersAgreeStepByStep() throws {
        let python = try TorchTrainerCommandTests.torchPython()
        let data = TorchTrainerCommandTests.repository.appendingPathComponent("Sweeps/data/austen.txt.gz").path
        // every option the two trainers must agree on, away from the defaults
        try cli.write("c.toml", """
            [model]
            seq_len = 32
            d_model = 32
            n_layer = 2
            n_head = 4
            position = "rope"
            norm = "rmsnorm"
            tied_head = false
            init = "small"
            [data]
            path = "\(data)"
            val_fraction = 0.05
            split = "interleaved"
            split_block = 4096
            sampling = "shuffled"
            [train]
            batch = 4
            micro_batches = 2
            steps = 40
            lr = 4e-3
            schedule = "wsd"
            cooldown_shape = "1-sqrt"
            warmup = 4
            weight_decay = 0.05
            grad_clip = 0.5
            eval_interval = 20
            eval_tokens = 2048
            final_eval_tokens = 8192
            seed = 7
            threads = 1
            """)
        _ = try cli.ok(["train", "c.toml", "--db", "b.sqlite"])
        let store = try ResultStore.open(path: cli.path("b.sqlite"))
        let run = try XCTUnwrap(try store.runs().first?.run)
        let builtIn = try store.metrics(runId: run.id!)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [TorchTrainerCommandTests.repository.appendingPathComponent("Sweeps/trainers/ladder_torch.py").path,
                       cli.path("c.toml"), "--run-dir", cli.path("torch")]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let data2 = try Data(contentsOf: URL(fileURLWithPath: cli.path("torch/trainer.jsonl")))
        var torchTrain: [Int: Double] = [:], torchVal: [Int: Double] = [:]
        for line in data2.split(separator: UInt8(ascii: "\n")) {
            guard let o = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let step = o["step"] as? Int else { continue }
            if let l = o["train_loss"] as? Double { torchTrain[step] = l }
            if let v = o["val_loss"] as? Double { torchVal[step] = v }
        }
        XCTAssertEqual(torchTrain.count, 40)
        for m in builtIn {
            let t = try XCTUnwrap(m.trainLoss), p = try XCTUnwrap(torchTrain[m.step])
            XCTAssertEqual(p, t, accuracy: 1e-4 * t, "train loss at step \(m.step)")
            if let v = m.valLoss { XCTAssertEqual(try XCTUnwrap(torchVal[m.step]), v, accuracy: 1e-4 * v, "val loss at step \(m.step)") }
        }
        XCTAssertEqual(torchVal.keys.sorted(), [20, 40])
        XCTAssertEqual(try XCTUnwrap(torchVal[40]), try XCTUnwrap(run.finalValLoss), accuracy: 1e-4 * 2)
    }
}
