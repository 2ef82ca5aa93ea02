import Foundation

/// Run-to-run noise measured from runs repeated with other seeds: runs with the same N and D
/// (to the parameter and token) are repeats. The spread of their log losses is the noise floor a
/// law's residuals cannot beat, and what a prediction's interval must include.
public struct SeedNoise: Sendable, Equatable {
    /// Standard deviation of ln(loss) between seeds (pooled over the repeated points).
    public var sigmaLog: Double
    /// Points with two or more seeds, and the runs they hold.
    public var points: Int
    public var runs: Int

    /// Pooled within-point standard deviation of ln(loss); nil when no point has two seeds.
    public static func estimate(_ observations: [Observation]) -> SeedNoise? {
        let groups = Dictionary(grouping: observations, by: { Key($0) }).values.filter { $0.count >= 2 }
        guard !groups.isEmpty else { return nil }
        var squares = 0.0, dof = 0
        for g in groups {
            let logs = g.map { Foundation.log($0.loss) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            squares += logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            dof += logs.count - 1
        }
        return SeedNoise(sigmaLog: (squares / Double(dof)).squareRoot(), points: groups.count,
                         runs: groups.map(\.count).reduce(0, +))
    }

    /// One observation per (N, D): repeats merged into their geometric-mean loss, so a point
    /// trained with two seeds weighs as one better-measured point, not two.
    public static func averaged(_ observations: [Observation]) -> [Observation] {
        var order: [Key] = []
        var groups: [Key: [Observation]] = [:]
        for o in observations {
            let k = Key(o)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(o)
        }
        return order.map { k in
            let g = groups[k]!
            var o = g[0]
            if g.count > 1 {
                o.loss = Foundation.exp(g.map { Foundation.log($0.loss) }.reduce(0, +) / Double(g.count))
                o.name = g.compactMap(\.name).joined(separator: "+")
            }
            return o
        }
    }

    struct Key: Hashable {
        let params: Double, tokens: Double
        init(_ o: Observation) { params = o.params.rounded(); tokens = o.tokens.rounded() }
    }
}
