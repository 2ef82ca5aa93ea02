/// The group of one rank: collectives leave buffers as they are (the sum over one rank is the
/// buffer), point-to-point calls have no peer. Stands for an axis of the grid that is not split.
public final class SingleRankCommunicator: Communicator {
    public let timeout: Double
    public init(timeout: Double = 300) { self.timeout = timeout }
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduce(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {}
    public func reduceScatter(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {}
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int]) throws {}
    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {}
    public func send(_ buffer: UnsafePointer<Float>, count: Int, to destination: Int, tag: Int) throws {
        throw DistributedError.backend("send to rank \(destination) in a group of one rank")
    }
    public func receive(_ buffer: UnsafeMutablePointer<Float>, count: Int, from source: Int, tag: Int) throws {
        throw DistributedError.backend("receive from rank \(source) in a group of one rank")
    }
    public func barrier() throws {}
    public func split(color: Int, key: Int) throws -> Communicator { SingleRankCommunicator(timeout: timeout) }
    public func abort(reason: String) {}
}
