import Foundation
import ScalingLaws
import Store

/// A parametric fit as the store keeps it, read back through typed records (not string keys):
/// the law, and the bootstrap laws and level its intervals came from.
public struct StoredLaw {
    public var law: ChinchillaLaw
    /// "fit 7".
    public var name: String
    public var bootstrap: [ChinchillaLaw]
    public var level: Double?

    /// The `parameters` column of a parametric fit (other keys it holds are ignored here).
    struct Parameters: Decodable {
        var E, A, B, alpha, beta: Double
    }

    /// The `intervals` column: the level and every bootstrap law as [E, A, B, alpha, beta].
    struct Intervals: Decodable {
        var level: Double?
        var laws: [[Double]]?
    }

    public enum DecodingError: Error, CustomStringConvertible {
        case unreadable(fit: Int64, column: String, reason: String)
        public var description: String {
            switch self {
            case let .unreadable(fit, column, reason): return "fit \(fit) has unreadable \(column): \(reason)"
            }
        }
    }

    public static func decode(_ record: FitRecord) throws -> StoredLaw {
        let id = record.id ?? 0
        let p: Parameters
        do { p = try JSONDecoder().decode(Parameters.self, from: Data(record.parameters.utf8)) } catch {
            throw DecodingError.unreadable(fit: id, column: "parameters", reason: "\(error)")
        }
        var laws: [ChinchillaLaw] = []
        var level: Double?
        if let text = record.intervals {
            let iv: Intervals
            do { iv = try JSONDecoder().decode(Intervals.self, from: Data(text.utf8)) } catch {
                throw DecodingError.unreadable(fit: id, column: "intervals", reason: "\(error)")
            }
            level = iv.level
            laws = (iv.laws ?? []).filter { $0.count == 5 }
                .map { ChinchillaLaw(E: $0[0], A: $0[1], B: $0[2], alpha: $0[3], beta: $0[4]) }
        }
        return StoredLaw(law: ChinchillaLaw(E: p.E, A: p.A, B: p.B, alpha: p.alpha, beta: p.beta), name: "fit \(id)",
                         bootstrap: laws, level: level)
    }
}

/// A percentile interval over bootstrap laws of a planned quantity, as [lower, upper].
public func interval(_ laws: [ChinchillaLaw], level: Double?, _ quantity: (ChinchillaLaw) throws -> Double) -> [Double]? {
    guard !laws.isEmpty, let level else { return nil }
    return Bootstrap(laws: laws, level: level).interval(quantity).map { [$0.lower, $0.upper] }
}
