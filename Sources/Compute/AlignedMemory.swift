#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes held by live `AlignedBuffer`s, and the most held at once since the last `resetPeak()`:
/// the trainer allocates its parameters, gradients, optimizer moments, activations and scratch
/// through AlignedBuffer, so this is its own measure of its memory (no allocator slack, no code,
/// no data set), the figure the cluster planner's formulas are checked against.
public enum AlignedMemory {
    private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    nonisolated(unsafe) private static var liveBytes = 0
    nonisolated(unsafe) private static var peakBytes = 0

    /// Bytes held now.
    public static var live: Int { locked { liveBytes } }
    /// Most bytes held at once since the last reset.
    public static var peak: Int { locked { peakBytes } }
    /// Starts a new peak from what is held now.
    public static func resetPeak() { locked { peakBytes = liveBytes } }

    static func allocated(_ bytes: Int) {
        locked {
            liveBytes += bytes
            if liveBytes > peakBytes { peakBytes = liveBytes }
        }
    }

    static func freed(_ bytes: Int) { locked { liveBytes -= bytes } }

    private static func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }
}
