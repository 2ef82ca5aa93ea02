import Foundation

/// Number and table formatting for terminal output.
public enum Format {
    /// 1.23e+18 style.
    public static func scientific(_ x: Double, _ digits: Int = 3) -> String {
        String(format: "%.\(digits - 1)e", x)
    }

    public static func fixed(_ x: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", x)
    }

    /// 125M, 2.1B, 35.0K style for counts of parameters and tokens.
    public static func si(_ x: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        for (scale, unit) in units where abs(x) >= scale {
            let v = x / scale
            return (v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)) + unit
        }
        return String(format: "%.0f", x)
    }

    /// A left-aligned text table with a header rule.
    public static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var out = line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }
}
