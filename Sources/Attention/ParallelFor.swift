import Dispatch

// MERGE NOTE: the single place where this module touches threads. At merge, route this function
// to the `Compute` module's thread pool; callers only rely on the contract below.

/// Runs `body(item, worker)` for every `item` in `0..<n` on `threads` workers.
///
/// Static cyclic partition: worker `w` runs items `w, w + threads, w + 2 threads, ...` in increasing
/// order. Every item runs exactly once, on exactly one worker; `worker` indexes per-worker scratch.
/// Callers make each item's result independent of which worker runs it, so results do not depend
/// on `threads`.
func parallelFor(_ n: Int, threads: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
    let workers = max(1, min(threads, n))
    if workers == 1 {
        for item in 0..<n { body(item, 0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var item = w
            while item < n {
                body(item, w)
                item += workers
            }
        }
    }
}
