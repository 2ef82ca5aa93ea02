/// Whether a GEMM operand is used as stored or transposed: `op(X) = X` or `op(X) = Xᵀ`.
public enum Transpose: Sendable, Hashable {
    case none
    case transposed
}
