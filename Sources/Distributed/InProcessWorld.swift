import Foundation

/// Ranks as threads of one process, communicating through shared memory.
///
/// `InProcessWorld.run(size:)` starts one thread per rank and hands each its world communicator.
/// Collectives read the peers' buffers directly (no staging copies): all-reduce is a
/// reduce-scatter in place (rank r sums segment r over all buffers into its own buffer, in rank
/// order, so every rank ends with bit-identical sums) followed by an all-gather of the segments.
/// Point-to-point messages are buffered (a send copies once and returns).
///
/// Failure: a rank whose body throws marks the world failed; peers blocked in any call wake and
/// throw `.peerFailed` naming the rank and its error. A rank that just stops calling makes its
/// peers throw `.timeout` after `timeout` seconds (and the world is then failed as well).
public final class InProcessWorld: @unchecked Sendable {
    public let size: Int
    public let timeout: Double
    private let lock = NSLock()
    private var failureReason: String?
    private var groups: [InProcessGroup] = []
    private var worldGroup: InProcessGroup!

    /// A world of `size` ranks whose calls wait at most `timeout` seconds for peers.
    public init(size: Int, timeout: Double = 300) {
        precondition(size >= 1, "a world needs at least one rank")
        self.size = size
        self.timeout = timeout
        worldGroup = InProcessGroup(size: size, world: self)
        register(worldGroup)
    }

    /// The world communicator of `rank`.
    public func communicator(rank: Int) -> InProcessCommunicator {
        precondition(rank >= 0 && rank < size, "rank \(rank) outside 0..<\(size)")
        return InProcessCommunicator(group: worldGroup, rank: rank)
    }

    /// Why the world failed, if it did.
    public var failure: String? {
        lock.lock(); defer { lock.unlock() }
        return failureReason
    }

    func register(_ g: InProcessGroup) {
        lock.lock(); groups.append(g); lock.unlock()
    }

    /// Records the first failure and wakes every waiting rank.
    public func fail(_ reason: String) {
        lock.lock()
        if failureReason == nil { failureReason = reason }
        let all = groups
        lock.unlock()
        for g in all { g.wakeAll() }
    }

    /// Runs `body` on `size` threads, rank r on thread r, and returns the results in rank order.
    /// When ranks throw, rethrows the first error that is not a consequence of another rank's
    /// failure (the root cause).
    public static func run<T>(size: Int, timeout: Double = 300,
                              _ body: @escaping (InProcessCommunicator) throws -> T) throws -> [T] {
        let world = InProcessWorld(size: size, timeout: timeout)
        return try world.run(body)
    }

    /// Runs `body` on one thread per rank of this world (see `run(size:timeout:_:)`).
    public func run<T>(_ body: @escaping (InProcessCommunicator) throws -> T) throws -> [T] {
        let results = ResultBox<T>(count: size)
        let rankBody = RankBody(body)
        let done = DispatchGroup()
        for r in 0..<size {
            done.enter()
            let comm = communicator(rank: r)
            let thread = Thread { [self] in
                do {
                    results.set(r, .success(try rankBody.body(comm)))
                } catch {
                    results.set(r, .failure(error))
                    fail("rank \(r) of \(size) failed: \(error)")
                }
                done.leave()
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
        done.wait()
        let all = results.values()
        var firstError: Error?
        for case let .failure(e) in all {
            if case DistributedError.peerFailed = e {
                if firstError == nil { firstError = e }
            } else {
                throw e
            }
        }
        if let firstError { throw firstError }
        return all.map { if case let .success(v) = $0 { return v } else { fatalError("unreachable") } }
    }
}

/// The ranks' body, handed to each rank's thread. Unchecked: the body runs concurrently once per
/// rank by this API's contract (as `ParallelLauncher.run` documents); each call gets its own
/// communicator, and what else the ranks share is the caller's to make safe, as with any
/// `Thread` block. Marking `body` `@Sendable` instead would move the check to every caller.
private struct RankBody<T>: @unchecked Sendable {
    let body: (InProcessCommunicator) throws -> T
    init(_ body: @escaping (InProcessCommunicator) throws -> T) { self.body = body }
}

private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<T, Error>?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); items[i] = r; lock.unlock() }
    func values() -> [Result<T, Error>] { lock.lock(); defer { lock.unlock() }; return items.map { $0! } }
}

/// The shared state of one group of in-process ranks: a generation barrier, the buffer each rank
/// published for the current collective, mailboxes for point-to-point messages, and the groups
/// split from it.
final class InProcessGroup: @unchecked Sendable {
    let size: Int
    unowned let world: InProcessWorld
    let cond = NSCondition()
    private var arrived = 0
    private var generation = 0
    /// Published buffers, one per rank (written before a barrier, read after it).
    let slots: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    /// Published integers (split colors and keys), two per rank.
    let ints: UnsafeMutablePointer<Int>
    private var mailboxes: [MailKey: [[Float]]] = [:]
    private var children: [Int: [Int: InProcessGroup]] = [:]

    struct MailKey: Hashable { var source, destination, tag: Int }

    init(size: Int, world: InProcessWorld) {
        self.size = size
        self.world = world
        slots = .allocate(capacity: size)
        slots.initialize(repeating: nil, count: size)
        ints = .allocate(capacity: 2 * size)
        ints.initialize(repeating: 0, count: 2 * size)
    }

    deinit {
        slots.deallocate()
        ints.deallocate()
    }

    func wakeAll() {
        cond.lock(); cond.broadcast(); cond.unlock()
    }

    /// Waits under `cond` (held) until `done()` or the deadline; throws on failure or timeout.
    private func waitLocked(rank: Int, what: String, until done: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: world.timeout)
        while !done() {
            if let f = world.failure { throw DistributedError.peerFailed("rank \(rank) of \(size) stopped in \(what): \(f)") }
            if !cond.wait(until: deadline) && !done() {
                if let f = world.failure { throw DistributedError.peerFailed("rank \(rank) of \(size) stopped in \(what): \(f)") }
                throw DistributedError.timeout("rank \(rank) of \(size) waited \(world.timeout) s in \(what) for its peers; a peer died or is stuck")
            }
        }
    }

    /// Barrier: returns when all `size` ranks have arrived.
    func arrive(rank: Int, what: String) throws {
        guard size > 1 else { return }
        cond.lock()
        let result: Result<Void, Error>
        if let f = world.failure {
            result = .failure(DistributedError.peerFailed("rank \(rank) of \(size) stopped in \(what): \(f)"))
        } else {
            let gen = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation &+= 1
                cond.broadcast()
                result = .success(())
            } else {
                result = Result { try waitLocked(rank: rank, what: what) { generation != gen } }
            }
        }
        cond.unlock()
        if case let .failure(e) = result {
            if case let DistributedError.timeout(m) = e { world.fail(m) }
            throw e
        }
    }

    func post(_ message: [Float], key: MailKey) {
        cond.lock()
        mailboxes[key, default: []].append(message)
        cond.broadcast()
        cond.unlock()
    }

    func take(key: MailKey, rank: Int, what: String) throws -> [Float] {
        cond.lock()
        let result = Result<[Float], Error> {
            try waitLocked(rank: rank, what: what) { !(mailboxes[key]?.isEmpty ?? true) }
            return mailboxes[key]!.removeFirst()
        }
        cond.unlock()
        if case let .failure(e) = result, case let DistributedError.timeout(m) = e { world.fail(m) }
        return try result.get()
    }

    /// The child group of split number `sequence` for `color`, created by its first caller.
    func child(sequence: Int, color: Int, size: Int) -> InProcessGroup {
        cond.lock()
        defer { cond.unlock() }
        if let g = children[sequence]?[color] { return g }
        let g = InProcessGroup(size: size, world: world)
        children[sequence, default: [:]][color] = g
        world.register(g)
        return g
    }
}
