import ArgumentParser
import Foundation
import ScalingLaws

/// A user's accelerators, added to (or replacing rows of) the built-in table:
///
///     [[gpu]]
///     name = "h20"
///     peak_tflops = 148              # dense bf16 TFLOP/s
///     memory_gb = 96
///     memory_bandwidth_tb_s = 4.0    # HBM; the three bandwidths are needed by --cluster's step-time
///     intra_node_gb_s = 450          # per GPU, each way, to the GPUs of its node (NVLink)
///     inter_node_gb_s = 50           # per GPU, each way, to other nodes (its NIC: 400 Gb/s = 50 GB/s)
///     gpus_per_node = 8              # default 8
///
/// A row replacing a built-in GPU keeps the built-in bandwidths it leaves out.
enum GPUTable {
    struct File: Decodable {
        struct Entry: Decodable {
            var name: String
            var peakTFLOPs: Double
            var memoryGB: Double
            var memoryBandwidthTBs: Double?
            var intraNodeGBs: Double?
            var interNodeGBs: Double?
            var gpusPerNode: Int?
            enum CodingKeys: String, CodingKey {
                case name, peakTFLOPs = "peak_tflops", memoryGB = "memory_gb", memoryBandwidthTBs = "memory_bandwidth_tb_s"
                case intraNodeGBs = "intra_node_gb_s", interNodeGBs = "inter_node_gb_s", gpusPerNode = "gpus_per_node"
            }
        }
        var gpu: [Entry]
    }

    static let fileKeys: [String: [String]] = [
        "": ["gpu"],
        "gpu": ["name", "peak_tflops", "memory_gb", "memory_bandwidth_tb_s", "intra_node_gb_s", "inter_node_gb_s", "gpus_per_node"],
    ]

    /// The built-in table, extended by `path` when given.
    static func load(_ path: String?) throws -> [Accelerator] {
        guard let path else { return Accelerator.known }
        let file = try ConfigFile(path: path)
        try file.checkKeys(schema: fileKeys, required: ["gpu"])
        let entries = try file.decode(File.self).gpu.map {
            Accelerator(name: $0.name, peakFlops: $0.peakTFLOPs * 1e12, memoryGB: $0.memoryGB,
                        memoryBandwidth: $0.memoryBandwidthTBs.map { $0 * 1e12 }, intraNodeBandwidth: $0.intraNodeGBs.map { $0 * 1e9 },
                        interNodeBandwidth: $0.interNodeGBs.map { $0 * 1e9 }, gpusPerNode: $0.gpusPerNode ?? 8)
        }
        do { return try Accelerator.table(with: entries) } catch { throw ValidationError("\(path): \(error)") }
    }
}
