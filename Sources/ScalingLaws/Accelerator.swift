/// An accelerator's dense bf16 (or fp16) tensor peak, memory and bandwidths, from the vendors' data
/// sheets (dense, no structured sparsity). Used to turn GPU-hours into FLOPs and, for cluster
/// plans, to check what fits and to estimate a step's time (``StepTimeModel``).
///
/// Bandwidths are per GPU and per direction: `intraNodeBandwidth` is the GPU's NVLink / NVSwitch
/// (or Infinity Fabric, or PCIe) bandwidth to the other GPUs of its node, `interNodeBandwidth` its
/// share of the node's network (one NIC per GPU in the DGX/HGX designs). Rows read from a user's
/// file may leave them out; a cluster plan then says which are missing.
public struct Accelerator: Sendable, Hashable, Codable {
    public var name: String
    /// Peak dense bf16 FLOP/s.
    public var peakFlops: Double
    /// Memory in GB (1e9 bytes).
    public var memoryGB: Double
    /// HBM bandwidth in bytes/s.
    public var memoryBandwidth: Double?
    /// Bytes/s per direction from one GPU to the others of its node.
    public var intraNodeBandwidth: Double?
    /// Bytes/s per direction from one GPU to other nodes (its NIC).
    public var interNodeBandwidth: Double?
    /// GPUs sharing one node's fast links.
    public var gpusPerNode: Int

    public init(name: String, peakFlops: Double, memoryGB: Double, memoryBandwidth: Double? = nil,
                intraNodeBandwidth: Double? = nil, interNodeBandwidth: Double? = nil, gpusPerNode: Int = 8) {
        self.name = name; self.peakFlops = peakFlops; self.memoryGB = memoryGB
        self.memoryBandwidth = memoryBandwidth; self.intraNodeBandwidth = intraNodeBandwidth
        self.interNodeBandwidth = interNodeBandwidth; self.gpusPerNode = gpusPerNode
    }

    /// The built-in table. Names are matched case-insensitively. Links: NVLink 2/3/4/5 carry
    /// 300/600/900/1800 GB/s per GPU both directions together (150/300/450/900 each way) through
    /// NVSwitch; MI300X has 7 Infinity Fabric links of 64 GB/s each way; L40S and H100 PCIe talk over
    /// PCIe 4.0 / 5.0 x16 (32 / 64 GB/s each way). Network: one NIC per GPU, 100 Gb/s (V100 era),
    /// 200 Gb/s HDR InfiniBand (DGX A100; also assumed for L40S servers), 400 Gb/s NDR / ConnectX-7
    /// (DGX H100, H200, B200, MI300X platforms).
    public static let known: [Accelerator] = [
        Accelerator(name: "v100", peakFlops: 125e12, memoryGB: 32, memoryBandwidth: 0.9e12,
                    intraNodeBandwidth: 150e9, interNodeBandwidth: 12.5e9),
        Accelerator(name: "a100-40gb", peakFlops: 312e12, memoryGB: 40, memoryBandwidth: 1.555e12,
                    intraNodeBandwidth: 300e9, interNodeBandwidth: 25e9),
        Accelerator(name: "a100-80gb", peakFlops: 312e12, memoryGB: 80, memoryBandwidth: 2.039e12,
                    intraNodeBandwidth: 300e9, interNodeBandwidth: 25e9),
        Accelerator(name: "l40s", peakFlops: 362e12, memoryGB: 48, memoryBandwidth: 0.864e12,
                    intraNodeBandwidth: 32e9, interNodeBandwidth: 25e9),
        Accelerator(name: "h100-pcie", peakFlops: 756e12, memoryGB: 80, memoryBandwidth: 2.0e12,
                    intraNodeBandwidth: 64e9, interNodeBandwidth: 50e9),
        Accelerator(name: "h100", peakFlops: 989e12, memoryGB: 80, memoryBandwidth: 3.35e12,
                    intraNodeBandwidth: 450e9, interNodeBandwidth: 50e9),
        Accelerator(name: "h200", peakFlops: 989e12, memoryGB: 141, memoryBandwidth: 4.8e12,
                    intraNodeBandwidth: 450e9, interNodeBandwidth: 50e9),
        Accelerator(name: "b200", peakFlops: 2250e12, memoryGB: 192, memoryBandwidth: 8.0e12,
                    intraNodeBandwidth: 900e9, interNodeBandwidth: 50e9),
        Accelerator(name: "mi300x", peakFlops: 1307e12, memoryGB: 192, memoryBandwidth: 5.3e12,
                    intraNodeBandwidth: 448e9, interNodeBandwidth: 50e9),
    ]

    /// The accelerator called `name` in `table` (default: the built-in one; aliases: a100 =
    /// a100-80gb, h100-sxm = h100).
    public static func named(_ name: String, in table: [Accelerator] = known) -> Accelerator? {
        let key = name.lowercased()
        if let exact = table.first(where: { $0.name.lowercased() == key }) { return exact }
        let aliases = ["a100": "a100-80gb", "h100-sxm": "h100", "h100sxm": "h100"]
        return table.first { $0.name.lowercased() == aliases[key] }
    }

    /// The built-in table extended by `entries` (a user's file): an entry whose name is already in
    /// the table replaces that row; bandwidths it leaves out (nil) are kept from the built-in row.
    /// Refuses non-positive figures and duplicate names in `entries`.
    public static func table(extending base: [Accelerator] = known, with entries: [Accelerator]) throws -> [Accelerator] {
        var table = base
        var seen = Set<String>()
        for (i, e) in entries.enumerated() {
            let key = e.name.lowercased()
            let label = "gpu[\(i + 1)] '\(e.name)'"
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw ScalingLawError.invalidArgument("gpu[\(i + 1)]: name must be a non-empty word, got '\(e.name)'")
            }
            guard seen.insert(key).inserted else { throw ScalingLawError.invalidArgument("gpu[\(i + 1)]: '\(e.name)' is listed twice") }
            guard e.peakFlops.isFinite && e.peakFlops > 0 else {
                throw ScalingLawError.invalidArgument("\(label): peak FLOP/s must be positive, got \(e.peakFlops)")
            }
            guard e.memoryGB.isFinite && e.memoryGB > 0 else {
                throw ScalingLawError.invalidArgument("\(label): memory must be positive, got \(e.memoryGB) GB")
            }
            for (field, value) in [("memory bandwidth", e.memoryBandwidth), ("intra-node bandwidth", e.intraNodeBandwidth),
                                   ("inter-node bandwidth", e.interNodeBandwidth)] {
                if let v = value, !(v.isFinite && v > 0) {
                    throw ScalingLawError.invalidArgument("\(label): \(field) must be positive, got \(v)")
                }
            }
            guard e.gpusPerNode >= 1 else {
                throw ScalingLawError.invalidArgument("\(label): GPUs per node must be at least 1, got \(e.gpusPerNode)")
            }
            if let j = table.firstIndex(where: { $0.name.lowercased() == key }) {
                var row = e
                row.memoryBandwidth = e.memoryBandwidth ?? table[j].memoryBandwidth
                row.intraNodeBandwidth = e.intraNodeBandwidth ?? table[j].intraNodeBandwidth
                row.interNodeBandwidth = e.interNodeBandwidth ?? table[j].interNodeBandwidth
                table[j] = row
            } else {
                table.append(e)
            }
        }
        return table
    }

    /// The bandwidths the step-time model needs, or an error naming the missing ones.
    public func bandwidths() throws -> (memory: Double, intraNode: Double, interNode: Double) {
        guard let m = memoryBandwidth, let a = intraNodeBandwidth, let b = interNodeBandwidth else {
            let missing = [("memory bandwidth", memoryBandwidth), ("intra-node bandwidth", intraNodeBandwidth),
                           ("inter-node bandwidth", interNodeBandwidth)].filter { $0.1 == nil }.map(\.0)
            throw ScalingLawError.invalidArgument("GPU '\(name)' has no \(missing.joined(separator: ", ")): the step-time estimate of a cluster plan needs them (add them to its --gpu-table row).")
        }
        return (m, a, b)
    }
}
