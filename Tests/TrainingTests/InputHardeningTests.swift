import Foundation
import Training
import XCTest

/// Classes 5 and 10 of issue #19 in the trainer: damaged checkpoint headers, sizes that overflow
/// or exceed the machine, nonsense optimizer settings, and binary files given as text.
final class InputHardeningTests: XCTestCase {
    /// A valid one-tensor file, then its bytes with pieces replaced.
    func file(header: String, body: Int = 16) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: body))
        return data
    }

    func testDamagedSafetensorsHeadersAreErrorsNotTraps() throws {
        XCTAssertNoThrow(try Safetensors.parse(file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#), path: "ok"))
        var cases: [(String, Data)] = []
        var huge = file(header: "{}")
        huge.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))       // length 2^64 - 1
        cases.append(("length 2^64-1", huge))
        var long = file(header: "{}")
        long.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        cases.append(("length past the end", long))
        cases.append(("too short", Data([1, 2, 3])))
        cases.append(("not JSON", file(header: "{{{{")))
        cases.append(("negative dim", file(header: #"{"w":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}"#)))
        cases.append(("overflowing shape", file(header: #"{"w":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,16]}}"#)))
        cases.append(("offsets past the end", file(header: #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#)))
        cases.append(("shape and offsets disagree", file(header: #"{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}}"#)))
        cases.append(("reversed offsets", file(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}"#)))
        for (what, data) in cases {
            XCTAssertThrowsError(try Safetensors.parse(data, path: "ckpt.safetensors"), what) { error in
                XCTAssertTrue("\(error)".contains("ckpt.safetensors"), "\(what): \(error)")
            }
        }
    }

    static func config(_ edit: (inout TrainConfig) -> Void) -> TrainConfig {
        var c = TrainConfig(model: GPTConfig(vocab: 256, seqLen: 32, dModel: 32, nLayer: 1, nHead: 2),
                            data: .init(path: "/tmp/x.txt"), train: .init())
        edit(&c)
        return c
    }

    func testNonsenseOptimizerValuesNameTheKey() throws {
        XCTAssertNoThrow(try Self.config { _ in }.validate())
        let cases: [(String, (inout TrainConfig) -> Void)] = [
            ("train.beta1", { $0.train.beta1 = -0.1 }), ("train.beta1", { $0.train.beta1 = 1 }),
            ("train.beta2", { $0.train.beta2 = 1.5 }), ("train.beta2", { $0.train.beta2 = -0.5 }),
            ("train.eps", { $0.train.eps = 0 }), ("train.eps", { $0.train.eps = -1e-8 }),
            ("train.weight_decay", { $0.train.weightDecay = -0.1 }), ("train.lr", { $0.train.lr = 0 }),
            ("train.lr", { $0.train.lr = .infinity }), ("train.steps", { $0.train.steps = Int.max }),
            ("train.grad_clip", { $0.train.gradClip = .nan }), ("train.max_grad_norm", { $0.train.maxGradNorm = 0 }),
            ("train.steps x train.batch", { $0.train.steps = 1 << 40; $0.train.batch = 1 << 20 }),
        ]
        for (key, edit) in cases {
            XCTAssertThrowsError(try Self.config(edit).validate(), key) { error in
                XCTAssertTrue("\(error)".contains(key), "\(key): \(error)")
            }
        }
    }

    func testModelSizesThatOverflowOrExceedTheMachineAreRefusedBeforeAllocating() throws {
        let overflow = GPTConfig(vocab: 256, seqLen: 32, dModel: 1 << 20, nLayer: 4096, nHead: 1)
        XCTAssertNil(TrainingMemory.parameterCount(overflow))
        XCTAssertThrowsError(try overflow.validate()) { XCTAssertTrue("\($0)".contains("parameters"), "\($0)") }
        // 64 layers of width 32768: ~8e11 parameters, ~13 TB with AdamW
        let huge = GPTConfig(vocab: 256, seqLen: 32, dModel: 32768, nLayer: 64, nHead: 64)
        XCTAssertNoThrow(try huge.validate())
        XCTAssertThrowsError(try GPT(config: huge, batch: 1, seqLen: 32, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("GiB") && "\(error)".contains("this machine has"), "\(error)")
        }
        XCTAssertThrowsError(try GPT(config: GPTConfig(vocab: 256, seqLen: 1 << 20, dModel: 64, nLayer: 1, nHead: 1),
                                     batch: 1 << 24, seqLen: 1 << 20, seed: 1))
        let small = GPTConfig(vocab: 256, seqLen: 32, dModel: 32, nLayer: 1, nHead: 2)
        XCTAssertNoThrow(try GPT(config: small, batch: 2, seqLen: 32, seed: 1))
    }

    /// Ranks that share one process (threads backend) each hold a whole model: one fits, the
    /// world may not.
    func testInProcessRanksAreCheckedTogether() throws {
        // ~1.6e8 parameters: about 1.3 GB of parameters and gradients per rank
        let medium = GPTConfig(vocab: 256, seqLen: 32, dModel: 2048, nLayer: 3, nHead: 16)
        let one = try XCTUnwrap(TrainingMemory.modelBytes(medium, batch: 1, seqLen: 32))
        XCTAssertLessThan(one, try XCTUnwrap(TrainingMemory.trainingBytes(medium, batch: 1, seqLen: 32)))
        XCTAssertGreaterThanOrEqual(one, 8 * TrainingMemory.parameterCount(medium)!)
        let physical = try XCTUnwrap(TrainingMemory.physicalBytes)
        let tooMany = physical / one + 1
        XCTAssertThrowsError(try TrainingMemory.checkRanks(medium, ranks: tooMany, batch: 1, seqLen: 32)) { error in
            XCTAssertTrue("\(error)".contains("\(tooMany) ranks in one process") && "\(error)".contains("this machine has"), "\(error)")
        }
        XCTAssertNoThrow(try TrainingMemory.checkRanks(medium, ranks: 2, batch: 1, seqLen: 32))
        XCTAssertThrowsError(try TrainingMemory.checkRanks(medium, ranks: Int.max / 2, batch: 1, seqLen: 32)) { error in
            XCTAssertTrue("\(error)".contains("too large to count"), "\(error)")
        }
    }

    func testBinaryFileIsRefusedAsATextCorpus() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("model.bin")
        try Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: binary)
        XCTAssertThrowsError(try TokenDataset.bytes(of: binary.path, valFraction: 0.1)) { error in
            XCTAssertTrue("\(error)".contains("does not look like a text corpus"), "\(error)")
        }
        let latin1 = folder.appendingPathComponent("latin1.txt")
        try Data(String(repeating: "caf\u{E9} ", count: 1000).data(using: .isoLatin1)!).write(to: latin1)
        XCTAssertThrowsError(try TokenDataset.bytes(of: latin1.path, valFraction: 0.1))
        let text = folder.appendingPathComponent("text.txt")
        try Data(String(repeating: "caf\u{E9} au lait. ", count: 1000).utf8).write(to: text)
        XCTAssertNoThrow(try TokenDataset.bytes(of: text.path, valFraction: 0.1))
    }
}
