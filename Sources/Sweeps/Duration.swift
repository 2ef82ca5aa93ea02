import Foundation

/// 1h05m / 3m07s style, "-" for a non-finite duration (progress lines, ETAs, estimates).
public func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "-" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
