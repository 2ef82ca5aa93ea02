#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A persistent pool of worker threads running `parallelFor` over static partitions.
///
/// Workers are created once in `init` and live as long as the pool; a call hands them a job by
/// bumping a generation counter, workers spin briefly then sleep on a condition variable. The
/// calling thread does partition 0 itself, so `threadCount` = 1 runs everything inline.
///
/// Determinism: `parallelFor(count)` splits `0..<count` into `threadCount` contiguous ranges and
/// each range runs in increasing order on one thread; a body whose item `i` writes only its own
/// outputs gives bit-identical results for every thread count.
///
/// Re-entrancy: a `parallelFor` issued from inside a worker body, or while another thread is
/// already using the pool, runs inline on the calling thread (same results, no deadlock).
public final class ThreadPool: @unchecked Sendable {
    /// Number of threads taking part in a `parallelFor`, including the caller.
    public let threadCount: Int

    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let shuttingDown = Atomic<Bool>(false)
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var threads: [pthread_t] = []
    // The job being run: set before the generation bump, read by workers after they see it.
    private var job: ((Int) -> Void)?
    private var jobItems = 0
    private var jobCount = 0

    /// Creates a pool with `threadCount` participating threads (`threadCount - 1` workers).
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "ThreadPool needs at least 1 thread, got \(threadCount)")
        self.threadCount = threadCount
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for worker in 1..<max(threadCount, 1) {
            let context = Unmanaged.passRetained(_WorkerStart(pool: self, index: worker))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<_WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                start.pool.workerLoop(index: start.index)
                return nil
            }, context.toOpaque())
            precondition(rc == 0, "pthread_create failed with \(rc)")
            threads.append(thread)
        }
    }

    deinit {
        shuttingDown.store(true, ordering: .releasing)
        pthread_mutex_lock(&mutex)
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        for t in threads { pthread_join(t, nil) }
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }

    /// The contiguous range of `0..<count` that partition `part` of `parts` owns.
    /// Ranges differ in length by at most one and are in increasing order.
    @inlinable
    public static func partition(_ count: Int, parts: Int, part: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let lo = part * base + min(part, extra)
        return lo ..< lo + base + (part < extra ? 1 : 0)
    }

    /// Runs `body(i)` for every `i` in `0..<count`, split statically into `threadCount` contiguous
    /// ranges (see `partition`); returns when all have finished.
    public func parallelFor(_ count: Int, body: (Int) -> Void) {
        if count <= 0 { return }
        let parts = min(threadCount, count)
        if parts == 1 || _ThreadPoolContext.insideWorker
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // Storing the caller's closure (not a new wrapper) keeps dispatch allocation-free.
            job = escapable
            jobItems = count
            jobCount = parts
            remaining.store(threadCount - 1, ordering: .relaxed)
            pthread_mutex_lock(&mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)

            _ThreadPoolContext.insideWorker = true
            for i in ThreadPool.partition(count, parts: parts, part: 0) { escapable(i) }
            _ThreadPoolContext.insideWorker = false

            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 4096 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop(index: Int) {
        _ThreadPoolContext.insideWorker = true
        var seen = 0
        while true {
            // Spin a little (a new job often follows within microseconds), then sleep.
            var current = generation.load(ordering: .acquiring)
            var spins = 0
            while current == seen && spins < 20_000 {
                spins += 1
                current = generation.load(ordering: .acquiring)
            }
            if current == seen {
                pthread_mutex_lock(&mutex)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wake, &mutex) }
                pthread_mutex_unlock(&mutex)
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if shuttingDown.load(ordering: .acquiring) { return }
            // Every worker acknowledges every job (even with no partition of its own), so no worker
            // can lag behind a generation and pick up a later job twice.
            if index < jobCount, let job {
                for i in ThreadPool.partition(jobItems, parts: jobCount, part: index) { job(i) }
            }
            remaining.subtract(1, ordering: .releasing)
        }
    }
}

private final class _WorkerStart {
    // Unowned: workers must not keep the pool alive; its deinit stops and joins them.
    unowned(unsafe) let pool: ThreadPool
    let index: Int
    init(pool: ThreadPool, index: Int) { self.pool = pool; self.index = index }
}

/// Per-thread flag telling whether the current thread is running a pool partition.
enum _ThreadPoolContext {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var insideWorker: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }
}

extension ThreadPool {
    private static let defaultLock = Mutex<ThreadPool?>(nil)

    /// The process-wide pool used when a kernel is not given one. Sized by
    /// `setDefaultThreadCount(_:)`; 1 thread until set (libraries never read the environment:
    /// the executable decides the count).
    public static var `default`: ThreadPool {
        defaultLock.withLock { pool in
            if let pool { return pool }
            let created = ThreadPool(threadCount: 1)
            pool = created
            return created
        }
    }

    /// Replaces the process-wide default pool with one of `threadCount` threads (no-op when the
    /// current default already has that size). Call from the executable before launching work.
    public static func setDefaultThreadCount(_ threadCount: Int) {
        precondition(threadCount >= 1, "thread count must be >= 1, got \(threadCount)")
        defaultLock.withLock { pool in
            if pool?.threadCount != threadCount { pool = ThreadPool(threadCount: threadCount) }
        }
    }
}
