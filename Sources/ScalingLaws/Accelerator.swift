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

    /// The accelerator called `name` in `table` (default: the built-in one; aliases: a100 =
    /// a100-80gb, h100-sxm = h100).
    public static func named(_ name: String, in table: [Accelerator] = known) -> Accelerator? {
        let key = name.lowercased()
        if let exact = table.first(where: { $0.name.lowercased() == key }) { return exact }
        let aliases = ["a100": "a100-80gb", "h100-sxm": "h100", "h100sxm": "h100"]
        return table.first { $0.name.lowercased() == aliases[key] }
    }

    /// The built-in table extended by `entries` (a user's file): an entry whose name is already in
    /// the table replaces that row. Refuses non-positive figures and duplicate names in `entries`.
    public static func table(extending base: [Accelerator] = known, with entries: [Accelerator]) throws -> [Accelerator] {
        var table = base
        var seen = Set<String>()
        for (i, e) in entries.enumerated() {
            let key = e.name.lowercased()
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw ScalingLawError.invalidArgument("gpu[\(i + 1)]: name must be a non-empty word, got '\(e.name)'")
            }
            guard seen.insert(key).inserted else { throw ScalingLawError.invalidArgument("gpu[\(i + 1)]: '\(e.name)' is listed twice") }
            guard e.peakFlops.isFinite && e.peakFlops > 0 else {
                throw ScalingLawError.invalidArgument("gpu[\(i + 1)] '\(e.name)': peak FLOP/s must be positive, got \(e.peakFlops)")
            }
            guard e.memoryGB.isFinite && e.memoryGB > 0 else {
                throw ScalingLawError.invalidArgument("gpu[\(i + 1)] '\(e.name)': memory must be positive, got \(e.memoryGB) GB")
            }
            if let j = table.firstIndex(where: { $0.name.lowercased() == key }) { table[j] = e } else { table.append(e) }
        }
        return table
    }
}
