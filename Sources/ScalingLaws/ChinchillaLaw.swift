import Foundation

/// A Chinchilla-style scaling law
///
///     L(N, D) = E + A / N^alpha + B / D^beta
///
/// where `N` is the parameter count and `D` the number of training tokens. `E` is the irreducible
/// loss (nats per token), `A / N^alpha` the finite-model term and `B / D^beta` the finite-data term.
///
/// The fit works in log space with `a = log A`, `b = log B`, `e = log E` (see ``logParameters``).
public struct ChinchillaLaw: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Irreducible loss.
    public var E: Double
    /// Coefficient of the parameter term.
    public var A: Double
    /// Coefficient of the data term.
    public var B: Double
    /// Exponent of the parameter term.
    public var alpha: Double
    /// Exponent of the data term.
    public var beta: Double

    public init(E: Double, A: Double, B: Double, alpha: Double, beta: Double) {
        self.E = E
        self.A = A
        self.B = B
        self.alpha = alpha
        self.beta = beta
    }

    /// Builds a law from the log-space parameters used by the fit: `A = exp(a)`, `B = exp(b)`,
    /// `E = exp(e)`.
    public init(a: Double, b: Double, e: Double, alpha: Double, beta: Double) {
        self.init(E: Foundation.exp(e), A: Foundation.exp(a), B: Foundation.exp(b), alpha: alpha, beta: beta)
    }

    /// Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models"), Approach 3:
    /// E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28.
    public static let chinchilla = ChinchillaLaw(E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28)

    /// Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt"), refit of Hoffmann's data:
    /// E = 1.8172, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658.
    public static let epoch = ChinchillaLaw(E: 1.8172, A: 482.01, B: 2085.43, alpha: 0.3478, beta: 0.3658)

    /// Predicted loss `E + A / N^alpha + B / D^beta`.
    @inlinable
    public func loss(params: Double, tokens: Double) -> Double {
        E + A * Foundation.pow(params, -alpha) + B * Foundation.pow(tokens, -beta)
    }

    /// Compute-optimal exponent of parameters, `a = beta / (alpha + beta)` (N_opt ∝ C^a).
    public var paramsExponent: Double { beta / (alpha + beta) }

    /// Compute-optimal exponent of tokens, `b = alpha / (alpha + beta)` (D_opt ∝ C^b).
    public var tokensExponent: Double { alpha / (alpha + beta) }

    /// `G = (alpha A / (beta B))^(1 / (alpha + beta))`: with `C = 6 N D`,
    /// `N_opt = G (C/6)^a` and `D_opt = (C/6)^b / G`.
    public var allocationScale: Double {
        Foundation.pow(alpha * A / (beta * B), 1 / (alpha + beta))
    }

    /// `(a, b, e, alpha, beta)` with `a = log A`, `b = log B`, `e = log E`: the fit's coordinates.
    public var logParameters: [Double] {
        [Foundation.log(A), Foundation.log(B), Foundation.log(E), alpha, beta]
    }

    /// Whether every parameter is finite and positive (required by the planner).
    public var isValid: Bool {
        [E, A, B, alpha, beta].allSatisfy { $0.isFinite && $0 > 0 }
    }

    public var description: String {
        "L(N, D) = \(E) + \(A) / N^\(alpha) + \(B) / D^\(beta)"
    }
}
