/// Grid of L-BFGS starting points for the parametric fit, in the fit's coordinates
/// `[a, b, e, alpha, beta]` (`a = log A`, `b = log B`, `e = log E`).
public struct StartGrid: Sendable, Hashable, Codable {
    public var a: [Double]
    public var b: [Double]
    public var e: [Double]
    public var alpha: [Double]
    public var beta: [Double]

    public init(a: [Double], b: [Double], e: [Double], alpha: [Double], beta: [Double]) {
        precondition(!a.isEmpty && !b.isEmpty && !e.isEmpty && !alpha.isEmpty && !beta.isEmpty,
                     "every axis of a start grid needs at least one value")
        self.a = a
        self.b = b
        self.e = e
        self.alpha = alpha
        self.beta = beta
    }

    /// Hoffmann et al. 2022's grid: alpha, beta ∈ {0, 0.5, ..., 2}; e ∈ {-1, -0.5, ..., 1};
    /// a, b ∈ {0, 5, ..., 25}. 5 · 5 · 5 · 6 · 6 = 4,500 starts.
    public static let full = StartGrid(
        a: stride(from: 0.0, through: 25, by: 5).map { $0 },
        b: stride(from: 0.0, through: 25, by: 5).map { $0 },
        e: stride(from: -1.0, through: 1, by: 0.5).map { $0 },
        alpha: stride(from: 0.0, through: 2, by: 0.5).map { $0 },
        beta: stride(from: 0.0, through: 2, by: 0.5).map { $0 })

    /// A 3 · 3 · 3 · 3 · 3 = 243-start subset of ``full`` spanning the same box (for quick looks).
    public static let coarse = StartGrid(a: [0, 10, 20], b: [0, 10, 20], e: [-1, 0, 1],
                                         alpha: [0, 1, 2], beta: [0, 1, 2])

    public var count: Int { a.count * b.count * e.count * alpha.count * beta.count }

    /// Start number `index` (row-major over a, b, e, alpha, beta; beta fastest).
    public func start(at index: Int) -> [Double] {
        precondition(index >= 0 && index < count, "start index out of range")
        var i = index
        let iBeta = i % beta.count; i /= beta.count
        let iAlpha = i % alpha.count; i /= alpha.count
        let iE = i % e.count; i /= e.count
        let iB = i % b.count; i /= b.count
        let iA = i
        return [a[iA], b[iB], e[iE], alpha[iAlpha], beta[iBeta]]
    }

    static let coordinateNames = ["a = log A", "b = log B", "e = log E", "alpha", "beta"]

    var axes: [[Double]] { [a, b, e, alpha, beta] }

    /// Names of coordinates of `x` that sit on (within `fraction` of the axis span) or beyond an
    /// edge of the grid's box, with the edge value. Axes with a single value are skipped.
    func edges(of x: [Double], fraction: Double) -> [(name: String, value: Double, edge: Double)] {
        var out: [(String, Double, Double)] = []
        for (k, axis) in axes.enumerated() {
            guard let lo = axis.min(), let hi = axis.max(), hi > lo else { continue }
            let tol = fraction * (hi - lo)
            if x[k] <= lo + tol { out.append((Self.coordinateNames[k], x[k], lo)) }
            else if x[k] >= hi - tol { out.append((Self.coordinateNames[k], x[k], hi)) }
        }
        return out
    }
}
