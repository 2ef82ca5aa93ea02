/// What `DispatchQueue.concurrentPerform` iterations share without a lock in `DataPipeline`: an
/// output buffer whose slots they fill, and the per-thread workers (`DocumentProcessor`,
/// `BPEEncoder`) that are not thread-safe. Iteration `t` of `nt` touches slots `t, t + nt, ...` and
/// worker `t` only.

/// Output slots written concurrently, each by one iteration, read after all iterations have finished.
struct DisjointSlots<Element>: @unchecked Sendable {  // safe: no two iterations write the same index
    let buffer: UnsafeMutableBufferPointer<Element>

    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }

    subscript(i: Int) -> Element {
        get { buffer[i] }
        nonmutating set { buffer[i] = newValue }
    }
}

/// One worker per thread: iteration `t` uses `self[t]` and no other.
struct OnePerWorker<Worker: AnyObject>: @unchecked Sendable {  // safe: each worker is used by one iteration at a time
    let workers: [Worker]

    init(_ workers: [Worker]) { self.workers = workers }

    subscript(t: Int) -> Worker { workers[t] }
}
