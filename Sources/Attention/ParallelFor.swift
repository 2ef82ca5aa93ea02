import Compute
import Dispatch

/// Runs `body(item, worker)` for every `item` in `0..<n` on `threads` workers: on `pool` when the
/// caller passes one with at least that many threads (the trainer's kernels pass theirs, so each
/// rank of a parallel run computes on its own pool), else on the process's default pool when it
/// has exactly that many threads, else on Dispatch (benchmarks and tests asking for other counts).
///
/// Static "snake" partition: items go out in rounds of `threads`, round r in worker order
/// 0, 1, ..., threads - 1 when r is even and reversed when r is odd, so a list sorted by decreasing
/// cost is shared out evenly. Each worker runs its items in increasing order. Every item runs exactly
/// once, on exactly one worker; `worker` indexes per-worker scratch. Callers make each item's result
/// independent of which worker runs it, so results do not depend on `threads`.
func parallelFor(_ n: Int, threads: Int, pool given: ThreadPool? = nil, _ body: (_ item: Int, _ worker: Int) -> Void) {
    let workers = max(1, min(threads, n))
    if workers == 1 {
        for item in 0..<n { body(item, 0) }
        return
    }
    func work(_ w: Int) {
        var roundStart = 0, even = true
        while roundStart < n {
            let item = roundStart + (even ? w : workers - 1 - w)
            if item < n { body(item, w) }
            roundStart += workers
            even.toggle()
        }
    }
    if let given, workers <= given.threadCount {
        given.parallelFor(workers) { w in work(w) }
        return
    }
    let pool = ThreadPool.default
    if pool.threadCount == workers {
        pool.parallelFor(workers) { w in work(w) }
        return
    }
    withoutActuallyEscaping(work) { work in
        DispatchQueue.concurrentPerform(iterations: workers) { w in work(w) }
    }
}
