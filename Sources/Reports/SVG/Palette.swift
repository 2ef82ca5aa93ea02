import Foundation

/// Colours of series: a categorical palette for budgets and a sequential one for model sizes.
public enum Palette {
    /// Okabe & Ito's colour-blind-safe palette (black left out), then darker extras.
    public static let categorical = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
                                     "#F0E442", "#332288", "#882255", "#117733", "#999933", "#44AA99"]

    public static func category(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }

    /// The colour of series `i` of `count` ordered series (budgets, by compute): the categorical
    /// palette while it has a colour for each, else viridis from dark to light green (its pale
    /// yellow end left out), so no two series share a colour and the order reads from the colour.
    public static func ordered(_ i: Int, of count: Int) -> String {
        if count <= categorical.count { return category(i) }
        return sequential(0.88 * Double(i) / Double(max(1, count - 1)))
    }

    /// Viridis at nine evenly spaced stops.
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// Viridis at `t` in [0, 1] (clamped), linearly interpolated between stops; `#rrggbb`.
    public static func sequential(_ t: Double) -> String {
        let x = min(1, max(0, t.isFinite ? t : 0)) * Double(viridis.count - 1)
        let i = min(viridis.count - 2, Int(x.rounded(.down)))
        let f = x - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        func c(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
        return String(format: "#%02x%02x%02x", c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
    }

    public static let reference = "#555555"
    public static let grid = "#e6e6e6"
    public static let axis = "#444444"
}
