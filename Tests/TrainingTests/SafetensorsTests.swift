import ScalingLaws
import Foundation
import Training
import XCTest
import Randomness

final class SafetensorsTests: XCTestCase {
    func testRoundTripAndPythonReader() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-st-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SplitMix64(seed: 21)
        let a = (0..<12).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<5).map { _ in Float(rng.nextGaussian()) }
        let url = folder.appendingPathComponent("t.safetensors")
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try Safetensors.write([.init(name: "w.weight", shape: [3, 4], data: pa), .init(name: "b", shape: [5], data: pb)],
                                      metadata: ["step": "7"], to: url)
            }
        }
        let file = try Safetensors.read(url)
        XCTAssertEqual(file.metadata["step"], "7")
        XCTAssertEqual(file.tensors["w.weight"]?.shape, [3, 4])
        XCTAssertEqual(file.tensors["w.weight"]?.values, a)
        XCTAssertEqual(file.tensors["b"]?.values, b)

        // An independent reader: Hugging Face's safetensors package, when Python has it.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import safetensors.numpy"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        try XCTSkipIf(probe.terminationStatus != 0, "python3 with the safetensors package is not installed (pip install safetensors numpy); .ci/setup installs it")
        let script = """
            import sys, json
            from safetensors.numpy import load_file
            from safetensors import safe_open
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="np") as f:
                meta = f.metadata()
            print(json.dumps({"w": t["w.weight"].astype(float).ravel().tolist(), "shape": list(t["w.weight"].shape),
                              "b": t["b"].astype(float).tolist(), "step": meta["step"]}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["shape"] as? [Int], [3, 4])
        XCTAssertEqual((json["w"] as? [Double])?.map(Float.init), a)
        XCTAssertEqual((json["b"] as? [Double])?.map(Float.init), b)
        XCTAssertEqual(json["step"] as? String, "7")
    }

    func testMalformedFilesAreRejected() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not a tensor file".utf8).write(to: url)
        XCTAssertThrowsError(try Safetensors.read(url)) { XCTAssertTrue("\($0)".contains("safetensors"), "\($0)") }
    }
}
