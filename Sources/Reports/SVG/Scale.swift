import Foundation

/// How an axis maps values: linearly, or by their base-10 logarithm.
public enum ScaleKind: Sendable, Equatable {
    case linear, log
}

/// How tick labels print values.
public enum TickFormat: Sendable, Equatable {
    /// 0.5, 2, 3.25 (shortest of up to 4 significant digits).
    case plain
    /// 10K, 2M, 1.5B: counts of parameters and tokens.
    case si
    /// 10¹¹, 3×10¹²: FLOPs.
    case powerOfTen
}

/// A map from a data interval `domain` to a pixel interval `range` (which may run backwards, as
/// the y axis does).
public struct Scale: Sendable, Equatable {
    public var kind: ScaleKind
    public var domain: ClosedRange<Double>
    public var range: (Double, Double)

    public static func == (a: Scale, b: Scale) -> Bool {
        a.kind == b.kind && a.domain == b.domain && a.range == b.range
    }

    /// A scale whose domain covers `values` with a margin (6% of the span, in log space for log
    /// scales). Non-finite values, and non-positive values on log scales, are ignored; with
    /// nothing left the domain is [0, 1] (linear) or [1, 10] (log).
    public init(kind: ScaleKind, covering values: [Double], range: (Double, Double), margin: Double = 0.06) {
        self.kind = kind
        self.range = range
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        guard var lo = usable.min(), var hi = usable.max() else {
            domain = kind == .linear ? 0...1 : 1...10
            return
        }
        switch kind {
        case .linear:
            if hi - lo < 1e-12 * max(1, abs(hi)) { lo -= max(abs(lo) * 0.05, 0.5); hi += max(abs(hi) * 0.05, 0.5) }
            let pad = (hi - lo) * margin
            domain = (lo - pad)...(hi + pad)
        case .log:
            var l = Foundation.log10(lo), h = Foundation.log10(hi)
            if h - l < 1e-9 { l -= 0.25; h += 0.25 }
            let pad = (h - l) * margin
            lo = Foundation.pow(10, l - pad); hi = Foundation.pow(10, h + pad)
            domain = lo...hi
        }
    }

    public init(kind: ScaleKind, domain: ClosedRange<Double>, range: (Double, Double)) {
        self.kind = kind
        self.domain = domain
        self.range = range
    }

    func t(_ v: Double) -> Double {
        switch kind {
        case .linear: return (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log:
            guard v > 0 else { return -.infinity }
            return (Foundation.log10(v) - Foundation.log10(domain.lowerBound))
                / (Foundation.log10(domain.upperBound) - Foundation.log10(domain.lowerBound))
        }
    }

    /// The pixel position of `v` (non-finite for values a log scale cannot show).
    public func callAsFunction(_ v: Double) -> Double {
        range.0 + t(v) * (range.1 - range.0)
    }

    public func contains(_ v: Double) -> Bool {
        v.isFinite && v >= domain.lowerBound && v <= domain.upperBound
    }

    /// Major ticks (labelled) and minor ticks (unlabelled) inside the domain.
    public func ticks(target: Int = 6) -> (major: [Double], minor: [Double]) {
        switch kind {
        case .linear:
            let step = Self.niceStep((domain.upperBound - domain.lowerBound) / Double(max(1, target)))
            return (Self.multiples(of: step, in: domain), Self.multiples(of: step / 5, in: domain))
        case .log:
            let l = Foundation.log10(domain.lowerBound), h = Foundation.log10(domain.upperBound)
            let decades = h - l
            if decades < 0.7 {
                // Less than a decade: linear nice ticks read better than 1-2-5.
                let step = Self.niceStep((domain.upperBound - domain.lowerBound) / Double(max(1, target - 1)))
                return (Self.multiples(of: step, in: domain), [])
            }
            let mantissas: [Double] = decades * 3 <= Double(target + 2) ? [1, 2, 5] : [1]
            let every = max(1, Int((decades / Double(target + 2)).rounded(.up)))
            var major: [Double] = [], minor: [Double] = []
            for e in Int(l.rounded(.down))...Int(h.rounded(.up)) {
                let p = Foundation.pow(10, Double(e))
                for m in 1...9 {
                    let v = Double(m) * p
                    guard domain.contains(v) else { continue }
                    if mantissas.contains(Double(m)) && (m != 1 || e % every == 0) { major.append(v) }
                    else if decades <= 8 { minor.append(v) }
                }
            }
            if major.count < 2 {
                let step = Self.niceStep((domain.upperBound - domain.lowerBound) / Double(max(1, target - 1)))
                return (Self.multiples(of: step, in: domain), minor)
            }
            return (major, minor)
        }
    }

    /// 1, 2 or 5 times a power of ten, the nearest to `raw` in log space (so a span divided
    /// by the step gives about the intended number of ticks).
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 && raw.isFinite else { return 1 }
        let p = Foundation.pow(10, Foundation.log10(raw).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * p }.min { abs(Foundation.log($0 / raw)) < abs(Foundation.log($1 / raw)) }!
    }

    static func multiples(of step: Double, in domain: ClosedRange<Double>) -> [Double] {
        let first = (domain.lowerBound / step).rounded(.up), last = (domain.upperBound / step).rounded(.down)
        guard first <= last, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }
}

extension TickFormat {
    /// The label of a tick at `v`.
    public func label(_ v: Double) -> String {
        switch self {
        case .plain: return Self.plain(v)
        case .si: return Self.si(v)
        case .powerOfTen: return Self.powerOfTen(v)
        }
    }

    static func plain(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e5 || abs(v) < 1e-3 { return Self.powerOfTen(v) }
        for digits in 0...6 {
            let s = String(format: "%.\(digits)f", v)
            if let back = Double(s), abs(back - v) <= abs(v) * 1e-9 { return s }
        }
        return String(format: "%.4g", v)
    }

    static func si(_ v: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        for (scale, unit) in units where abs(v) >= scale * (1 - 1e-9) {
            return plain(v / scale) + unit
        }
        return plain(v)
    }

    static let superscripts: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]

    static func powerOfTen(_ v: Double) -> String {
        guard v != 0 && v.isFinite else { return v == 0 ? "0" : "\(v)" }
        let e = Int((Foundation.log10(abs(v)) + 1e-12).rounded(.down))
        let m = v / Foundation.pow(10, Double(e))
        let exponent = String(String(e).map { superscripts[$0] ?? $0 })
        if abs(m - 1) < 1e-9 { return "10" + exponent }
        if abs(m + 1) < 1e-9 { return "-10" + exponent }
        return plain((m * 100).rounded() / 100) + "×10" + exponent
    }
}
