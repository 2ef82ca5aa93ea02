import Foundation

func geometricMean(_ v: [Double]) -> Double {
    Foundation.exp(v.reduce(0) { $0 + Foundation.log($1) } / Double(v.count))
}

/// Shared input checks.
enum Validation {
    /// Every value finite and positive.
    static func checkValues(_ observations: [Observation]) throws {
        for (i, o) in observations.enumerated() {
            for (field, v) in [("params", o.params), ("tokens", o.tokens), ("loss", o.loss)] {
                if !(v.isFinite && v > 0) { throw ScalingLawError.invalidValue(run: i, field: field, value: v) }
            }
            if let f = o.flops, !(f.isFinite && f > 0) {
                throw ScalingLawError.invalidValue(run: i, field: "flops", value: f)
            }
        }
    }
}
