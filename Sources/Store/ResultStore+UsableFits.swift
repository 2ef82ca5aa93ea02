import Foundation
import GRDB

/// Parametric laws a planner cannot use (an exponent or coefficient that is not a positive finite
/// number) are never "the latest law": `ladder fit` refuses to store them, and any an older
/// Ladder stored are skipped by `latestFit(kind: .parametric)`.
extension FitRecord {
    /// Why this parametric fit's law cannot plan (nil when it can, or when it is not parametric).
    public var unusableReason: String? {
        guard kind == .parametric else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(parameters.utf8)) as? [String: Any] else {
            return "its parameters are not readable"
        }
        for key in ["E", "A", "B", "alpha", "beta"] {
            guard let value = (object[key] as? NSNumber)?.doubleValue else { return "it has no \(key)" }
            if !(value.isFinite && value > 0) { return "\(key) = \(value) is not a positive finite number" }
        }
        return nil
    }
}

extension ResultStore {
    /// The newest parametric fit whose law can plan, with the newer ones skipped and why.
    public func latestUsableParametricFit() throws -> (fit: FitRecord?, skipped: [(FitRecord, String)]) {
        let fits = try read { db in
            try FitRecord.filter(Column("kind") == FitKind.parametric.rawValue).order(Column("id").desc).fetchAll(db)
        }
        var skipped: [(FitRecord, String)] = []
        for fit in fits {
            guard let reason = fit.unusableReason else { return (fit, skipped) }
            skipped.append((fit, reason))
        }
        return (nil, skipped)
    }
}
