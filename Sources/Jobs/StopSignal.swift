import Foundation
import Synchronization

/// The process's stop request: set by SIGINT / SIGTERM, polled by the training loop after each
/// step (which then checkpoints and stops) and by the sweep schedulers. An atomic, because the
/// signal handler and the training threads share it.
public enum StopSignal {
    private static let flag = Atomic<Bool>(false)

    /// Whether a stop was asked for.
    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// Asks for a stop (what the signal handlers do; tests call it directly).
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Forgets an earlier request (tests, and commands that run several jobs in one process).
    public static func reset() { flag.store(false, ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to `request()`.
    public static func installHandlers() {
        signal(SIGINT) { _ in StopSignal.request() }
        signal(SIGTERM) { _ in StopSignal.request() }
    }
}
