import ArgumentParser
import Foundation
import ScalingLaws

/// A user's accelerators, added to (or replacing rows of) the built-in table:
///
///     [[gpu]]
///     name = "h20"
///     peak_tflops = 148      # dense bf16 TFLOP/s
///     memory_gb = 96
enum GPUTable {
    struct File: Decodable {
        struct Entry: Decodable {
            var name: String
            var peakTFLOPs: Double
            var memoryGB: Double
            enum CodingKeys: String, CodingKey { case name, peakTFLOPs = "peak_tflops", memoryGB = "memory_gb" }
        }
        var gpu: [Entry]
    }

    static let fileKeys: [String: [String]] = ["": ["gpu"], "gpu": ["name", "peak_tflops", "memory_gb"]]

    /// The built-in table, extended by `path` when given.
    static func load(_ path: String?) throws -> [Accelerator] {
        guard let path else { return Accelerator.known }
        let file = try ConfigFile(path: path)
        try file.checkKeys(schema: fileKeys, required: ["gpu"])
        let entries = try file.decode(File.self).gpu.map {
            Accelerator(name: $0.name, peakFlops: $0.peakTFLOPs * 1e12, memoryGB: $0.memoryGB)
        }
        do { return try Accelerator.table(with: entries) } catch { throw ValidationError("\(path): \(error)") }
    }
}
