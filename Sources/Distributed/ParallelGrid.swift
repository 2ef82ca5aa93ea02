/// One axis of the rank grid.
public enum ParallelDimension: String, CaseIterable, Sendable, Codable {
    /// Pipeline stages (outermost: neighbours exchange activations once per micro-batch).
    case pp
    /// Data-parallel replicas (gradients all-reduced once per step).
    case dp
    /// Context (sequence) shards (K/V blocks passed around a ring every layer).
    case cp
    /// Tensor shards (innermost: two all-reduces per block).
    case tp
}

/// The rank grid of a parallel run: world = dp x tp x pp x cp, laid out as in torchtitan's
/// ParallelDims with tp fastest-varying, then cp, dp, pp:
///
///     rank = ((pp_i * dp + dp_i) * cp + cp_i) * tp + tp_i
///
/// so the chattiest groups (tp, then cp) are neighbouring ranks. A group along a dimension is the
/// set of ranks that differ only in that coordinate.
public struct ParallelGrid: Equatable, Sendable, CustomStringConvertible {
    public let dp: Int
    public let tp: Int
    public let pp: Int
    public let cp: Int

    /// Checks that every factor is at least 1 and that their product is `worldSize`.
    public init(dp: Int = 1, tp: Int = 1, pp: Int = 1, cp: Int = 1, worldSize: Int) throws {
        for (name, v) in [("dp", dp), ("tp", tp), ("pp", pp), ("cp", cp)] where v < 1 {
            throw DistributedError.invalidLayout("parallel.\(name) must be at least 1, got \(v)")
        }
        let product = dp * tp * pp * cp
        guard product == worldSize else {
            throw DistributedError.invalidLayout(
                "dp (\(dp)) x tp (\(tp)) x pp (\(pp)) x cp (\(cp)) = \(product), but the world has \(worldSize) rank\(worldSize == 1 ? "" : "s"); choose factors whose product is \(worldSize)")
        }
        self.dp = dp; self.tp = tp; self.pp = pp; self.cp = cp
    }

    public var worldSize: Int { dp * tp * pp * cp }

    public func extent(_ d: ParallelDimension) -> Int {
        switch d {
        case .pp: return pp
        case .dp: return dp
        case .cp: return cp
        case .tp: return tp
        }
    }

    /// Coordinates of `rank` along every dimension.
    public func coordinates(of rank: Int) -> [ParallelDimension: Int] {
        precondition(rank >= 0 && rank < worldSize, "rank \(rank) outside 0..<\(worldSize)")
        var r = rank
        var out: [ParallelDimension: Int] = [:]
        for d in ParallelDimension.allCases.reversed() {
            out[d] = r % extent(d)
            r /= extent(d)
        }
        return out
    }

    /// The rank at `coordinates` (missing dimensions are 0).
    public func rank(at coordinates: [ParallelDimension: Int]) -> Int {
        var r = 0
        for d in ParallelDimension.allCases { r = r * extent(d) + (coordinates[d] ?? 0) }
        return r
    }

    /// The ranks of `rank`'s group along `dimension`, in coordinate order.
    public func group(_ dimension: ParallelDimension, containing rank: Int) -> [Int] {
        var c = coordinates(of: rank)
        return (0..<extent(dimension)).map { i in c[dimension] = i; return self.rank(at: c) }
    }

    /// Every group along `dimension` (they partition the world).
    public func groups(_ dimension: ParallelDimension) -> [[Int]] {
        var seen = Set<Int>(), out: [[Int]] = []
        for r in 0..<worldSize where !seen.contains(r) {
            let g = group(dimension, containing: r)
            seen.formUnion(g)
            out.append(g)
        }
        return out
    }

    public var description: String { "dp=\(dp) tp=\(tp) pp=\(pp) cp=\(cp)" }
}

/// A rank's communicators for its world and for each of its groups, split from the world.
public final class ParallelContext {
    public let grid: ParallelGrid
    public let world: Communicator
    public let coordinates: [ParallelDimension: Int]
    private let communicators: [ParallelDimension: Communicator]

    /// Collective over `world`: checks the grid against the world size and splits one group per
    /// dimension (color: the rank with that coordinate zeroed; key: the coordinate).
    public init(grid: ParallelGrid, world: Communicator) throws {
        guard grid.worldSize == world.size else {
            throw DistributedError.invalidLayout("\(grid) needs \(grid.worldSize) ranks, but the world has \(world.size)")
        }
        self.grid = grid
        self.world = world
        coordinates = grid.coordinates(of: world.rank)
        var comms: [ParallelDimension: Communicator] = [:]
        for d in ParallelDimension.allCases {
            var c = coordinates
            c[d] = 0
            comms[d] = try world.split(color: grid.rank(at: c), key: coordinates[d]!)
        }
        communicators = comms
    }

    /// The communicator of this rank's group along `dimension`.
    public func communicator(_ dimension: ParallelDimension) -> Communicator { communicators[dimension]! }
    public func index(_ dimension: ParallelDimension) -> Int { coordinates[dimension]! }
}
