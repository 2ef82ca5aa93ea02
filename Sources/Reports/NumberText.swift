import Foundation

/// Number formatting shared by the page, the figures and the text tables.
enum NumberText {
    /// 1.23e+18 style.
    static func scientific(_ x: Double, _ digits: Int = 3) -> String {
        x.isFinite ? String(format: "%.\(digits - 1)e", x) : "-"
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : "-"
    }

    /// 125M, 2.1B, 35.0K style for counts of parameters and tokens.
    static func si(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        for (scale, unit) in units where abs(x) >= scale {
            let v = x / scale
            return (v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)) + unit
        }
        return String(format: "%.0f", x)
    }

    static func percent(_ x: Double) -> String { x.isFinite ? String(format: "%+.2f%%", x * 100) : "-" }

    static func signed(_ x: Double, _ digits: Int = 4) -> String { x.isFinite ? String(format: "%+.\(digits)f", x) : "-" }

    static func siInterval(_ r: ClosedRange<Double>?) -> String {
        r.map { "[\(si($0.lowerBound)), \(si($0.upperBound))]" } ?? "-"
    }

    static func fixedInterval(_ r: ClosedRange<Double>?, _ digits: Int) -> String {
        r.map { "[\(fixed($0.lowerBound, digits)), \(fixed($0.upperBound, digits))]" } ?? "-"
    }

    /// A left-aligned text table with a header rule.
    static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i < widths.count ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }
}
