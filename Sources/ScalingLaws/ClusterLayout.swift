/// A cluster: `count` identical accelerators, `gpusPerNode` per node.
public struct Cluster: Sendable, Hashable, Codable {
    public var count: Int
    public var accelerator: Accelerator
    public var gpusPerNode: Int

    public init(count: Int, accelerator: Accelerator, gpusPerNode: Int = 8) {
        self.count = count; self.accelerator = accelerator; self.gpusPerNode = gpusPerNode
    }

    /// Parses `COUNTxNAME` (e.g. `64xh100`, `8xA100-80GB`); names as in ``Accelerator/named(_:)``.
    public static func parse(_ text: String, gpuMemoryGB: Double? = nil, table: [Accelerator] = Accelerator.known) throws -> Cluster {
        let known = table.map(\.name).joined(separator: ", ")
        guard let x = text.firstIndex(where: { $0 == "x" || $0 == "X" }) else {
            throw ScalingLawError.invalidArgument("--cluster must be COUNTxGPU (e.g. 64xh100), got '\(text)'.")
        }
        let countText = text[..<x], name = String(text[text.index(after: x)...])
        guard let count = Int(countText) else {
            throw ScalingLawError.invalidArgument("--cluster must be COUNTxGPU with an integer COUNT (e.g. 64xh100), got '\(text)'.")
        }
        guard count >= 1 else {
            throw ScalingLawError.invalidArgument("--cluster needs at least one GPU, got \(count).")
        }
        guard var acc = Accelerator.named(name, in: table) else {
            throw ScalingLawError.invalidArgument("unknown GPU '\(name)' in --cluster; known: \(known).")
        }
        if let gb = gpuMemoryGB {
            guard gb.isFinite && gb > 0 else { throw ScalingLawError.invalidArgument("--gpu-memory must be positive, got \(gb).") }
            acc.memoryGB = gb
        }
        return Cluster(count: count, accelerator: acc, gpusPerNode: min(acc.gpusPerNode, count))
    }
}
