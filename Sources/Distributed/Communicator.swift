/// Collective and point-to-point communication between the ranks of one group, over Float
/// buffers (parameters, gradients, activations all are fp32).
///
/// Every collective must be called by every rank of the group, in the same order, with the same
/// counts. Buffers are caller-owned; operations are in place. A peer that does not arrive within
/// `timeout` seconds, or that failed, makes the call throw (`DistributedError.timeout` or
/// `.peerFailed`) instead of hanging.
///
/// Sharded operations use `counts`: segment `r` of the buffer is `counts[r]` elements at offset
/// `counts[0..<r].sum()`; the segments cover the buffer.
public protocol Communicator: AnyObject {
    /// This rank's index in the group, 0..<size.
    var rank: Int { get }
    /// Number of ranks in the group.
    var size: Int { get }
    /// Seconds a call waits for its peers before it throws.
    var timeout: Double { get }

    /// buffer[i] = Σ_ranks buffer[i] on every rank.
    func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Segment `rank` of buffer becomes Σ_ranks of that segment; other segments are left undefined.
    func reduceScatter(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws
    /// Every rank's segment `rank` is copied into the same segment on all ranks.
    func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws
    /// buffer on every rank becomes buffer of `root`.
    func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws
    /// Sends `count` floats to rank `destination`; returns once the buffer may be reused.
    func send(_ buffer: UnsafePointer<Float>, count: Int, to destination: Int, tag: Int) throws
    /// Receives exactly `count` floats sent by `source` with `tag`.
    func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from source: Int, tag: Int) throws
    /// Returns when every rank has called it.
    func barrier() throws
    /// Collective: the ranks calling with the same `color` form a new group, ordered by
    /// (`key`, rank). Every rank of this group must call it.
    func split(color: Int, key: Int) throws -> Communicator
    /// Marks the run failed so that peers blocked in a call throw `.peerFailed` with `reason`
    /// (best effort: a backend that cannot tell peers, such as MPI, aborts the job).
    func abort(reason: String)
}

extension Communicator {
    /// buffer = mean over ranks (sum, then divided by size).
    public func allReduceMean(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try allReduce(buffer, count: count)
        if size > 1 {
            let s = 1 / Float(size)
            for i in 0..<count { buffer[i] *= s }
        }
    }

    /// The sum over ranks of one value (a loss, a squared norm), in Float.
    public func sum(_ value: Float) throws -> Float {
        var v = value
        try withUnsafeMutablePointer(to: &v) { try allReduce($0, count: 1) }
        return v
    }

    /// The sum over ranks of one Double, carried as two floats (its Float rounding and the
    /// remainder), so small groups keep about 48 bits of it.
    public func sum(_ value: Double) throws -> Double {
        guard size > 1 else { return value }
        let high = Float(value)
        var parts: [Float] = [high, Float(value - Double(high))]
        try parts.withUnsafeMutableBufferPointer { try allReduce($0.baseAddress!, count: 2) }
        return Double(parts[0]) + Double(parts[1])
    }

    /// `text` as `root` has it, on every rank (its UTF-8 bytes carried as floats).
    public func broadcast(text: String, root: Int = 0) throws -> String {
        var count: [Float] = [Float(text.utf8.count)]
        try count.withUnsafeMutableBufferPointer { try broadcast($0.baseAddress!, count: 1, root: root) }
        let n = Int(count[0])
        var bytes = rank == root ? text.utf8.map(Float.init) : [Float](repeating: 0, count: n)
        if n > 0 { try bytes.withUnsafeMutableBufferPointer { try broadcast($0.baseAddress!, count: n, root: root) } }
        return String(decoding: bytes.map { UInt8($0) }, as: UTF8.self)
    }

    /// Offsets of the segments described by `counts`.
    public static func offsets(_ counts: [Int]) -> [Int] {
        var o = [Int](), acc = 0
        for c in counts { o.append(acc); acc += c }
        return o
    }
}

/// Contiguous split of `count` elements into `parts` segments differing by at most one element
/// (the shard layout of ZeRO and of sharded collectives).
public func evenCounts(_ count: Int, parts: Int) -> [Int] {
    (0..<parts).map { count / parts + ($0 < count % parts ? 1 : 0) }
}
