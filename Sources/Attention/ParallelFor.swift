import Dispatch

// MERGE NOTE: the single place where this module touches threads. At merge, route this function
// to the `Compute` module's thread pool; callers only rely on the contract below.

/// Runs `body(item, worker)` for every `item` in `0..<n` on `threads` workers.
///
/// Static "snake" partition: items go out in rounds of `threads`, round r in worker order
/// 0, 1, ..., threads - 1 when r is even and reversed when r is odd, so a list sorted by decreasing
/// cost is shared out evenly. Each worker runs its items in increasing order. Every item runs exactly
/// once, on exactly one worker; `worker` indexes per-worker scratch. Callers make each item's result
/// independent of which worker runs it, so results do not depend on `threads`.
func parallelFor(_ n: Int, threads: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
    let workers = max(1, min(threads, n))
    if workers == 1 {
        for item in 0..<n { body(item, 0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var roundStart = 0, even = true
            while roundStart < n {
                let item = roundStart + (even ? w : workers - 1 - w)
                if item < n { body(item, w) }
                roundStart += workers
                even.toggle()
            }
        }
    }
}
