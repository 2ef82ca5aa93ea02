import Dispatch
import Foundation

/// Runs `body(i)` for every `i` in `0..<count` on `threads` worker threads (work is handed out in
/// chunks from a shared counter). Every index runs exactly once, so results written to slot `i`
/// are the same for any thread count.
func parallelFor(_ count: Int, threads: Int, chunk: Int = 8, _ body: (Int) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    let lock = NSLock()
    var next = 0
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let start = next
                next += chunk
                lock.unlock()
                if start >= count { break }
                for i in start..<min(start + chunk, count) { body(i) }
            }
        }
    }
}
