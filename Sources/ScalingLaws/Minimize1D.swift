import Foundation

/// One-dimensional minimization used by the planner: a scan of `scan` evenly spaced points of
/// `[lo, hi]` finds the best bracket, then golden-section search shrinks it to `tolerance`
/// (absolute, in the argument). Robust for the smooth, unimodal-in-practice objectives of the
/// planner (losses and costs as functions of log N); non-finite values count as +∞.
func minimize1D(_ lo: Double, _ hi: Double, scan: Int = 400, tolerance: Double = 1e-12,
                _ f: (Double) -> Double) -> (x: Double, value: Double) {
    precondition(hi > lo && scan >= 3)
    func g(_ x: Double) -> Double { let v = f(x); return v.isNaN ? .infinity : v }
    let h = (hi - lo) / Double(scan - 1)
    var bestI = 0, bestV = Double.infinity
    for i in 0..<scan {
        let v = g(lo + Double(i) * h)
        if v < bestV { bestV = v; bestI = i }
    }
    var a = lo + Double(max(0, bestI - 1)) * h
    var b = lo + Double(min(scan - 1, bestI + 1)) * h
    let invPhi = (5.0.squareRoot() - 1) / 2
    var c = b - invPhi * (b - a), d = a + invPhi * (b - a)
    var fc = g(c), fd = g(d)
    while b - a > tolerance * max(1, abs(a) + abs(b)) {
        if fc < fd {
            b = d; d = c; fd = fc
            c = b - invPhi * (b - a); fc = g(c)
        } else {
            a = c; c = d; fc = fd
            d = a + invPhi * (b - a); fd = g(d)
        }
    }
    let x = (a + b) / 2
    let v = g(x)
    if v <= bestV { return (x, v) }
    return (lo + Double(bestI) * h, bestV)
}
