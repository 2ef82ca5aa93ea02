import Foundation

/// Groups runs by a positive quantity (compute, model size) on a log10 grid: bin `k` holds the
/// values with `round(log10 x / width) = k`, so bin centres are `10^(k · width)` and a sweep's exact
/// budgets (1e18, 3e18 with width <= 0.1, ...) sit at or near a centre. Used for IsoFLOP groups of
/// imported tables, whose runs do not share exact budgets, and for rollout windows.
public struct LogBinning: Sendable, Hashable, Codable {
    /// Bin width in decades (log10 units).
    public var widthDecades: Double

    /// Default width: a quarter of a decade (bins of a factor 1.78 in compute).
    public static let defaultWidthDecades = 0.25

    public init(widthDecades: Double = LogBinning.defaultWidthDecades) {
        self.widthDecades = widthDecades
    }

    /// Throws when the width is not finite and positive.
    public func validate() throws {
        guard widthDecades.isFinite && widthDecades > 0 else {
            throw ScalingLawError.invalidArgument("Bin width must be a positive number of decades (got \(widthDecades)); e.g. 0.25.")
        }
    }

    /// The bin index of `x` (> 0).
    public func index(of x: Double) -> Int {
        Int((Foundation.log10(x) / widthDecades).rounded())
    }

    /// The centre `10^(k · width)` of bin `k`.
    public func centre(of index: Int) -> Double {
        Foundation.pow(10, Double(index) * widthDecades)
    }

    /// Indices of `values` grouped by bin, bins ascending; indices inside a bin in input order.
    public func bins(_ values: [Double]) -> [(index: Int, members: [Int])] {
        var byBin: [Int: [Int]] = [:]
        for (i, v) in values.enumerated() { byBin[index(of: v), default: []].append(i) }
        return byBin.keys.sorted().map { ($0, byBin[$0]!) }
    }
}
