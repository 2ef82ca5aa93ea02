/// An accelerator's dense bf16 (or fp16) tensor peak and memory, from the vendors' data sheets
/// (dense, no structured sparsity). Used to turn GPU-hours into FLOPs and, for cluster plans,
/// to check what fits.
public struct Accelerator: Sendable, Hashable, Codable {
    public var name: String
    /// Peak dense bf16 FLOP/s.
    public var peakFlops: Double
    /// Memory in GB (1e9 bytes).
    public var memoryGB: Double

    public init(name: String, peakFlops: Double, memoryGB: Double) {
        self.name = name; self.peakFlops = peakFlops; self.memoryGB = memoryGB
    }

    /// The built-in table. Names are matched case-insensitively.
    public static let known: [Accelerator] = [
        Accelerator(name: "v100", peakFlops: 125e12, memoryGB: 32),
        Accelerator(name: "a100-40gb", peakFlops: 312e12, memoryGB: 40),
        Accelerator(name: "a100-80gb", peakFlops: 312e12, memoryGB: 80),
        Accelerator(name: "l40s", peakFlops: 362e12, memoryGB: 48),
        Accelerator(name: "h100-pcie", peakFlops: 756e12, memoryGB: 80),
        Accelerator(name: "h100", peakFlops: 989e12, memoryGB: 80),
        Accelerator(name: "h200", peakFlops: 989e12, memoryGB: 141),
        Accelerator(name: "b200", peakFlops: 2250e12, memoryGB: 192),
        Accelerator(name: "mi300x", peakFlops: 1307e12, memoryGB: 192),
    ]

    /// The accelerator called `name` (aliases: a100 = a100-80gb, h100-sxm = h100).
    public static func named(_ name: String) -> Accelerator? {
        let key = name.lowercased()
        let aliases = ["a100": "a100-80gb", "h100-sxm": "h100", "h100sxm": "h100"]
        return known.first { $0.name == (aliases[key] ?? key) }
    }
}
