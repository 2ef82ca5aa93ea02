/// Why a parallel run could not start or could not go on. Messages name the factor, rank or
/// operation involved and what to change.
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The parallel layout does not fit the world or the model (bad factors, indivisible sizes).
    case invalidLayout(String)
    /// A peer did not arrive at a collective or a message did not come within the timeout.
    case timeout(String)
    /// Another rank failed or left; this rank stops instead of waiting forever.
    case peerFailed(String)
    /// The communication backend reported an error (MPI error string, unavailable backend).
    case backend(String)

    public var description: String {
        switch self {
        case let .invalidLayout(m): return "invalid parallel layout: \(m)"
        case let .timeout(m): return "timeout: \(m)"
        case let .peerFailed(m): return "peer failed: \(m)"
        case let .backend(m): return "communication backend: \(m)"
        }
    }
}
