import Foundation

/// Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.5) with a
/// line search that enforces the strong Wolfe conditions (Algorithms 3.5 and 3.6):
///
///     f(x + t p) <= f(x) + c1 t ∇f(x)ᵀp          (sufficient decrease)
///     |∇f(x + t p)ᵀp| <= c2 |∇f(x)ᵀp|             (curvature)
///
/// The search direction is `-H ∇f` from the two-loop recursion over the last `memory` pairs
/// `(s, y) = (x_{k+1} - x_k, ∇f_{k+1} - ∇f_k)`, with `H0 = (sᵀy / yᵀy) I`. Pairs with
/// `sᵀy <= 1e-12 ‖s‖‖y‖` are skipped so `H` stays positive definite.
///
/// Stops when `‖∇f‖∞ <= gradientTolerance`, when one iteration lowers `f` by at most
/// `relativeDecreaseTolerance · |f|`, when the step is below `stepTolerance` (relative to
/// `1 + ‖x‖∞`), at `maxIterations`, or when the line search fails twice in a row (once with the
/// memory cleared, i.e. along steepest descent). In every case it returns the best point seen.
public struct LBFGS: Sendable {
    public struct Options: Sendable, Hashable {
        /// Number of correction pairs kept.
        public var memory: Int = 10
        public var maxIterations: Int = 1_000
        /// Absolute tolerance on the largest gradient component.
        public var gradientTolerance: Double = 1e-12
        /// Stop when `f_k - f_{k+1} <= relativeDecreaseTolerance · max(|f_k|, |f_{k+1}|)`.
        public var relativeDecreaseTolerance: Double = 1e-14
        /// Stop when `‖x_{k+1} - x_k‖∞ <= stepTolerance · (1 + ‖x_k‖∞)`.
        public var stepTolerance: Double = 1e-15
        /// Wolfe constants, `0 < c1 < c2 < 1`.
        public var c1: Double = 1e-4
        public var c2: Double = 0.9
        /// Maximum function evaluations in one line search.
        public var maxLineSearchEvaluations: Int = 40

        public init() {}
    }

    /// Why the iteration stopped.
    public enum Status: String, Sendable, Hashable, Codable {
        case gradientTolerance, relativeDecrease, stepTolerance, maxIterations, lineSearchFailed
    }

    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var gradient: [Double]
        public var iterations: Int
        public var evaluations: Int
        public var status: Status
        /// Line searches that did not satisfy the strong Wolfe conditions (the best point of the
        /// failed search is still used when it lowered `f`).
        public var lineSearchFailures: Int
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Minimizes `f` from `x0`. `evaluate(x, &g)` returns `f(x)` and writes `∇f(x)` into `g`
    /// (same count as `x`).
    public func minimize(from x0: [Double], evaluate: (_ x: [Double], _ gradient: inout [Double]) -> Double) -> Result {
        let n = x0.count
        precondition(n > 0, "LBFGS needs at least one variable")
        let m = max(1, options.memory)
        var x = x0
        var g = [Double](repeating: 0, count: n)
        var f = evaluate(x, &g)
        var evaluations = 1
        // Correction pairs in a ring: pair j (0 = oldest) lives in slot (head + j) % m.
        var sRing = [Double](repeating: 0, count: m * n)
        var yRing = [Double](repeating: 0, count: m * n)
        var rhoRing = [Double](repeating: 0, count: m)
        var head = 0, pairs = 0
        var alphaBuffer = [Double](repeating: 0, count: m)
        var direction = [Double](repeating: 0, count: n)
        var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
        var work = LineSearchWorkspace(n: n)
        var failures = 0
        var status = Status.maxIterations
        var iteration = 0

        if !f.isFinite {
            return Result(x: x, value: f, gradient: g, iterations: 0, evaluations: 1,
                          status: .lineSearchFailed, lineSearchFailures: 0)
        }

        while iteration < options.maxIterations {
            if Self.maxAbs(g) <= options.gradientTolerance { status = .gradientTolerance; break }

            // Two-loop recursion: direction = -H g.
            for i in 0..<n { direction[i] = -g[i] }
            if pairs > 0 {
                for j in stride(from: pairs - 1, through: 0, by: -1) {
                    let slot = (head + j) % m
                    var sd = 0.0
                    for i in 0..<n { sd += sRing[slot * n + i] * direction[i] }
                    let a = rhoRing[slot] * sd
                    alphaBuffer[j] = a
                    for i in 0..<n { direction[i] -= a * yRing[slot * n + i] }
                }
                let last = (head + pairs - 1) % m
                var yy = 0.0
                for i in 0..<n { yy += yRing[last * n + i] * yRing[last * n + i] }
                let gamma = (1 / rhoRing[last]) / yy
                for i in 0..<n { direction[i] *= gamma }
                for j in 0..<pairs {
                    let slot = (head + j) % m
                    var yd = 0.0
                    for i in 0..<n { yd += yRing[slot * n + i] * direction[i] }
                    let b = rhoRing[slot] * yd
                    let c = alphaBuffer[j] - b
                    for i in 0..<n { direction[i] += c * sRing[slot * n + i] }
                }
            }
            var slope = Self.dot(g, direction)
            if !(slope < 0) {
                // Not a descent direction (numerical trouble): restart along steepest descent.
                pairs = 0
                for i in 0..<n { direction[i] = -g[i] }
                slope = Self.dot(g, direction)
            }
            let initialStep = pairs == 0 ? min(1, 1 / max(Self.maxAbs(direction), 1e-300)) : 1

            let search = lineSearch(x: x, f: f, g: g, direction: direction, slope: slope,
                                    initialStep: initialStep, work: &work, evaluate: evaluate)
            evaluations += search.evaluations
            iteration += 1

            if !search.wolfe { failures += 1 }
            guard search.f < f else {
                // No decrease at all. Retry once along steepest descent with the memory cleared.
                if pairs == 0 { status = .lineSearchFailed; break }
                pairs = 0
                continue
            }

            let newX = search.fromTrial ? work.trial : work.bestX
            let newG = search.fromTrial ? work.trialG : work.bestG
            var stepNorm = 0.0, xNorm = 0.0
            for i in 0..<n {
                s[i] = newX[i] - x[i]
                y[i] = newG[i] - g[i]
                stepNorm = max(stepNorm, abs(s[i]))
                xNorm = max(xNorm, abs(x[i]))
                x[i] = newX[i]
                g[i] = newG[i]
            }
            let previousF = f
            f = search.f

            let sy = Self.dot(s, y)
            if sy > 1e-12 * (Self.norm(s) * Self.norm(y)) && sy > 0 {
                let slot: Int
                if pairs == m {
                    slot = head
                    head = (head + 1) % m
                } else {
                    slot = (head + pairs) % m
                    pairs += 1
                }
                for i in 0..<n {
                    sRing[slot * n + i] = s[i]
                    yRing[slot * n + i] = y[i]
                }
                rhoRing[slot] = 1 / sy
            }

            if previousF - f <= options.relativeDecreaseTolerance * max(abs(previousF), abs(f)) {
                status = .relativeDecrease; break
            }
            if stepNorm <= options.stepTolerance * (1 + xNorm) { status = .stepTolerance; break }
        }
        if status == .maxIterations, Self.maxAbs(g) <= options.gradientTolerance { status = .gradientTolerance }
        return Result(x: x, value: f, gradient: g, iterations: iteration, evaluations: evaluations,
                      status: status, lineSearchFailures: failures)
    }

    /// Buffers reused by every line search of one minimization (no allocation per step).
    private struct LineSearchWorkspace {
        var trial: [Double]
        var trialG: [Double]
        var bestX: [Double]
        var bestG: [Double]
        init(n: Int) {
            trial = [Double](repeating: 0, count: n)
            trialG = trial
            bestX = trial
            bestG = trial
        }
    }

    private struct LineSearchResult {
        /// Objective at the returned point (`f0` when nothing better was found).
        var f: Double
        /// The point is the last trial (`work.trial`, `work.trialG`), else the best
        /// sufficient-decrease point seen (`work.bestX`, `work.bestG`).
        var fromTrial: Bool
        var wolfe: Bool
        var evaluations: Int
    }

    /// Nocedal & Wright Algorithm 3.5 (bracketing) and 3.6 (zoom, with safeguarded cubic
    /// interpolation). Returns the best sufficient-decrease point seen when the strong Wolfe
    /// conditions could not be met within the evaluation budget.
    private func lineSearch(x: [Double], f f0: Double, g g0: [Double], direction p: [Double], slope d0: Double,
                            initialStep: Double, work: inout LineSearchWorkspace,
                            evaluate: (_ x: [Double], _ gradient: inout [Double]) -> Double) -> LineSearchResult {
        let n = x.count
        let c1 = options.c1, c2 = options.c2
        var evaluations = 0
        var bestF = f0

        // φ(t) and φ'(t) at step t; remembers the best sufficient-decrease point.
        func phi(_ t: Double) -> (Double, Double) {
            for i in 0..<n { work.trial[i] = x[i] + t * p[i] }
            let v = evaluate(work.trial, &work.trialG)
            evaluations += 1
            let d = Self.dot(work.trialG, p)
            if v.isFinite && v < bestF && v <= f0 + c1 * t * d0 {
                bestF = v
                for i in 0..<n {
                    work.bestX[i] = work.trial[i]
                    work.bestG[i] = work.trialG[i]
                }
            }
            return (v.isFinite ? v : .infinity, d.isFinite ? d : .nan)
        }
        func accept(_ v: Double) -> LineSearchResult {
            LineSearchResult(f: v, fromTrial: true, wolfe: true, evaluations: evaluations)
        }
        func fallback() -> LineSearchResult {
            LineSearchResult(f: bestF, fromTrial: false, wolfe: false, evaluations: evaluations)
        }

        var tPrev = 0.0, fPrev = f0, dPrev = d0
        var t = initialStep
        var first = true
        let budget = options.maxLineSearchEvaluations

        // Zoom between tLo (satisfies sufficient decrease, lowest f so far) and tHi.
        func zoom(_ tLoIn: Double, _ fLoIn: Double, _ dLoIn: Double,
                  _ tHiIn: Double, _ fHiIn: Double, _ dHiIn: Double) -> LineSearchResult {
            var tLo = tLoIn, fLo = fLoIn, dLo = dLoIn
            var tHi = tHiIn, fHi = fHiIn, dHi = dHiIn
            while evaluations < budget {
                let lo = min(tLo, tHi), hi = max(tLo, tHi)
                let width = hi - lo
                if width <= 1e-16 * max(1, hi) { break }
                var tj = Self.cubicMinimizer(tLo, fLo, dLo, tHi, fHi, dHi)
                if !tj.isFinite || tj < lo + 0.1 * width || tj > hi - 0.1 * width {
                    tj = 0.5 * (tLo + tHi)
                }
                let (fj, dj) = phi(tj)
                if fj > f0 + c1 * tj * d0 || fj >= fLo {
                    tHi = tj; fHi = fj; dHi = dj
                } else {
                    if abs(dj) <= -c2 * d0 { return accept(fj) }
                    if dj * (tHi - tLo) >= 0 {
                        tHi = tLo; fHi = fLo; dHi = dLo
                    }
                    tLo = tj; fLo = fj; dLo = dj
                }
            }
            return fallback()
        }

        while evaluations < budget {
            let (ft, dt) = phi(t)
            if ft > f0 + c1 * t * d0 || (!first && ft >= fPrev) || !dt.isFinite {
                return zoom(tPrev, fPrev, dPrev, t, ft, dt)
            }
            if abs(dt) <= -c2 * d0 { return accept(ft) }
            if dt >= 0 { return zoom(t, ft, dt, tPrev, fPrev, dPrev) }
            tPrev = t; fPrev = ft; dPrev = dt
            t *= 4
            first = false
        }
        return fallback()
    }

    /// Minimizer of the cubic interpolating (t1, f1, d1) and (t2, f2, d2) (N&W eq. 3.59); NaN when
    /// the cubic has no interior minimizer.
    static func cubicMinimizer(_ t1: Double, _ f1: Double, _ d1: Double,
                               _ t2: Double, _ f2: Double, _ d2: Double) -> Double {
        guard f1.isFinite, f2.isFinite, d1.isFinite, d2.isFinite, t1 != t2 else { return .nan }
        let e1 = d1 + d2 - 3 * (f1 - f2) / (t1 - t2)
        let disc = e1 * e1 - d1 * d2
        guard disc >= 0 else { return .nan }
        let e2 = (t2 > t1 ? 1.0 : -1.0) * disc.squareRoot()
        let denom = d2 - d1 + 2 * e2
        guard denom != 0 else { return .nan }
        return t2 - (t2 - t1) * (d2 + e2 - e1) / denom
    }

    @inline(__always) static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    @inline(__always) static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    @inline(__always) static func maxAbs(_ a: [Double]) -> Double {
        var m = 0.0
        for v in a { m = max(m, abs(v)) }
        return m
    }
}
