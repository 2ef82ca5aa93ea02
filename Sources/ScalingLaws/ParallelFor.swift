import Dispatch
import Synchronization

/// Runs `body(i)` for every `i` in `0..<count` on `threads` worker threads (work is handed out in
/// chunks from a shared counter). Every index runs exactly once, so results written to slot `i`
/// are the same for any thread count.
func parallelFor(_ count: Int, threads: Int, chunk: Int = 8, _ body: @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let start = next.wrappingAdd(chunk, ordering: .relaxed).oldValue
                if start >= count { break }
                for i in start..<min(start + chunk, count) { body(i) }
            }
        }
    }
}

/// Where `parallelFor` iterations put their results: iteration `i` initializes slot `i` of
/// memory its caller allocated and reads back after `parallelFor` returns.
struct ParallelSlots<Element>: @unchecked Sendable {  // safe: each slot is written by exactly one iteration, read only after all have finished
    let base: UnsafeMutablePointer<Element>

    init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress! }

    func initialize(_ i: Int, to value: Element) { (base + i).initialize(to: value) }
}
