import Foundation

/// All shards of one split ("train" or "val") as one token sequence, for a trainer that samples
/// windows: `read(start ..< start + T + 1, into:)` copies across shard boundaries.
/// Immutable after init; reads are thread-safe.
public final class ShardSet: @unchecked Sendable {
    public let manifest: ShardManifest
    public let split: String
    public let shards: [TokenShard]
    /// Total tokens in the split.
    public let count: Int
    /// Token offset where each shard starts (prefix sums of shard counts).
    public let offsets: [Int]

    /// Opens `directory/manifest.json` and the shards of `split`. Throws if the manifest or a
    /// shard is missing or damaged, or if a shard's token count disagrees with the manifest.
    public init(directory: URL, split: String) throws {
        manifest = try ShardManifest.load(from: directory)
        self.split = split
        shards = try manifest.openShards(split: split, in: directory)
        for (s, info) in zip(shards, manifest.shards.filter { $0.split == split }) where s.count != info.tokens {
            throw ShardError.io("\(info.file) holds \(s.count) tokens but the manifest says \(info.tokens); re-run `ladder data prepare`")
        }
        var o: [Int] = []
        var total = 0
        for s in shards {
            o.append(total)
            total += s.count
        }
        offsets = o
        count = total
    }

    /// Copies tokens `range` (0 ..< count) into `out`, crossing shard boundaries.
    public func read(_ range: Range<Int>, into out: UnsafeMutablePointer<Int32>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of 0..<\(count)")
        var pos = range.lowerBound
        var written = 0
        // binary search for the shard holding `pos`
        var lo = 0, hi = offsets.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid] <= pos { lo = mid } else { hi = mid - 1 }
        }
        var s = lo
        while pos < range.upperBound {
            let local = pos - offsets[s]
            let n = min(shards[s].count - local, range.upperBound - pos)
            if n > 0 {
                shards[s].read(local ..< local + n, into: out + written)
                written += n
                pos += n
            }
            s += 1
        }
    }

    /// Tokens `range` as an array.
    public func tokens(_ range: Range<Int>) -> [Int32] {
        var out = [Int32](repeating: 0, count: range.count)
        out.withUnsafeMutableBufferPointer { read(range, into: $0.baseAddress!) }
        return out
    }
}
