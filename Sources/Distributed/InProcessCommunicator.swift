/// One rank's handle on an in-process group (see `InProcessWorld`).
public final class InProcessCommunicator: Communicator, @unchecked Sendable {
    let group: InProcessGroup
    public let rank: Int
    public var size: Int { group.size }
    public var timeout: Double { group.world.timeout }
    private var splits = 0

    init(group: InProcessGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    /// Publishes `buffer`, waits for all peers, runs `body`, waits again (so no rank reuses its
    /// buffer while a peer still reads it).
    private func collective(_ what: String, _ buffer: UnsafeMutablePointer<Float>,
                            _ body: (UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Void) throws {
        guard size > 1 else { return }
        group.slots[rank] = buffer
        try group.arrive(rank: rank, what: what)
        body(group.slots)
        try group.arrive(rank: rank, what: what)
    }

    public func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        guard size > 1 else { return }
        let counts = evenCounts(count, parts: size)
        let offsets = Self.offsets(counts)
        group.slots[rank] = buffer
        try group.arrive(rank: rank, what: "allReduce")
        Self.sumSegment(group.slots, size: size, into: buffer, offset: offsets[rank], count: counts[rank])
        try group.arrive(rank: rank, what: "allReduce")
        for j in 0..<size where j != rank {
            (buffer + offsets[j]).update(from: group.slots[j]! + offsets[j], count: counts[j])
        }
        try group.arrive(rank: rank, what: "allReduce")
    }

    public func reduceScatter(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        precondition(counts.count == size, "reduceScatter needs one count per rank")
        let offsets = Self.offsets(counts)
        try collective("reduceScatter", buffer) { slots in
            Self.sumSegment(slots, size: size, into: buffer, offset: offsets[rank], count: counts[rank])
        }
    }

    public func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        precondition(counts.count == size, "allGather needs one count per rank")
        let offsets = Self.offsets(counts)
        try collective("allGather", buffer) { slots in
            for j in 0..<size where j != rank {
                (buffer + offsets[j]).update(from: slots[j]! + offsets[j], count: counts[j])
            }
        }
    }

    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {
        precondition(root >= 0 && root < size, "broadcast root \(root) outside 0..<\(size)")
        try collective("broadcast", buffer) { slots in
            if rank != root { buffer.update(from: slots[root]!, count: count) }
        }
    }

    public func send(_ buffer: UnsafePointer<Float>, count: Int, to destination: Int, tag: Int) throws {
        precondition(destination >= 0 && destination < size && destination != rank, "bad send destination \(destination)")
        if let f = group.world.failure { throw DistributedError.peerFailed("rank \(rank) of \(size) stopped in send: \(f)") }
        group.post(Array(UnsafeBufferPointer(start: buffer, count: count)),
                   key: .init(source: rank, destination: destination, tag: tag))
    }

    public func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from source: Int, tag: Int) throws {
        precondition(source >= 0 && source < size && source != rank, "bad receive source \(source)")
        let message = try group.take(key: .init(source: source, destination: rank, tag: tag), rank: rank,
                                     what: "receive from rank \(source) (tag \(tag))")
        guard message.count == count else {
            throw DistributedError.backend("rank \(rank) expected \(count) floats from rank \(source) (tag \(tag)), got \(message.count)")
        }
        message.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: count) }
    }

    public func barrier() throws {
        try group.arrive(rank: rank, what: "barrier")
    }

    public func split(color: Int, key: Int) throws -> Communicator {
        let sequence = splits
        splits += 1
        group.ints[2 * rank] = color
        group.ints[2 * rank + 1] = key
        try group.arrive(rank: rank, what: "split")
        let members = (0..<size).filter { group.ints[2 * $0] == color }
            .sorted { (group.ints[2 * $0 + 1], $0) < (group.ints[2 * $1 + 1], $1) }
        let child = group.child(sequence: sequence, color: color, size: members.count)
        try group.arrive(rank: rank, what: "split")
        return InProcessCommunicator(group: child, rank: members.firstIndex(of: rank)!)
    }

    public func abort(reason: String) {
        group.world.fail("rank \(rank) of \(size) aborted: \(reason)")
    }

    /// out[offset ..< offset+count] = Σ_j slots[j][offset ...] added in rank order. `out` is one
    /// of the slots, so each chunk is summed into scratch before it is written.
    static func sumSegment(_ slots: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>, size: Int,
                           into out: UnsafeMutablePointer<Float>, offset: Int, count: Int) {
        let chunk = 2048
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { acc.deallocate() }
        var lo = 0
        while lo < count {
            let n = min(chunk, count - lo)
            let a = slots[0]! + offset + lo, b = slots[1]! + offset + lo
            for i in 0..<n { acc[i] = a[i] + b[i] }
            for j in 2..<max(size, 2) {
                let s = slots[j]! + offset + lo
                for i in 0..<n { acc[i] += s[i] }
            }
            (out + offset + lo).update(from: acc, count: n)
            lo += n
        }
    }
}
