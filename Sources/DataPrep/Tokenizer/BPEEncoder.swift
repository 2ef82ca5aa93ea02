/// Fast BPE encoding with a cache of pre-token -> tokens (frequent words are merged once).
/// Not thread-safe: use one encoder per thread (the `BPETokenizer` itself is shared freely).
public final class BPEEncoder {
    public let tokenizer: BPETokenizer
    private var cache: ByteSliceTable
    private var cacheStart: [Int32] = []
    private var cacheCount: [UInt8] = []
    private var cacheTokens: [UInt32] = []
    private var scratch: [UInt32] = []
    /// Maximum number of cached words; beyond it new words are merged without caching.
    public let maxCacheEntries: Int
    /// Pre-tokens longer than this are never cached.
    public let maxCachedWordBytes = 48
    /// Pre-tokens up to this length use the rescan merge; longer ones the heap merge.
    static let naiveLimit = 24

    public init(_ tokenizer: BPETokenizer, maxCacheEntries: Int = 1 << 20) {
        self.tokenizer = tokenizer
        self.maxCacheEntries = maxCacheEntries
        cache = ByteSliceTable(capacity: 1 << 14)
    }

    public func encode(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        var t = text
        t.withUTF8 { encode($0, into: &out) }
        return out
    }

    /// Appends the tokens of the UTF-8 text `bytes` to `out`.
    public func encode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        guard let base = bytes.baseAddress else { return }
        Pretokenizer.split(bytes) { a, e in
            encodeWord(base + a, e - a, into: &out)
        }
    }

    @inline(__always)
    private func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        if n == 1 { out.append(tokenizer.byteToId[Int(p[0])]); return }
        if n <= maxCachedWordBytes {
            if let i = cache.find(p, n) {
                let s = Int(cacheStart[i])
                let c = Int(cacheCount[i])
                cacheTokens.withUnsafeBufferPointer { ct in
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: ct[s ..< s + c]))
                }
                return
            }
            scratch.removeAll(keepingCapacity: true)
            mergeWord(p, n, into: &scratch)
            if cache.count < maxCacheEntries {
                _ = cache.findOrInsert(p, n)
                cacheStart.append(Int32(cacheTokens.count))
                cacheCount.append(UInt8(scratch.count))
                cacheTokens.append(contentsOf: scratch)
            }
            out.append(contentsOf: scratch)
            return
        }
        mergeWord(p, n, into: &out)
    }

    /// Merge one pre-token: rescan merge for short words (few symbols, no allocation beyond a
    /// small buffer), heap merge for long ones.
    private func mergeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        let buf = UnsafeBufferPointer(start: p, count: n)
        if n > Self.naiveLimit {
            tokenizer.encodeWordHeap(buf, into: &out)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { s in
            var len = n
            for i in 0 ..< n { s[i] = tokenizer.byteToId[Int(p[i])] }
            while len > 1 {
                var best = Int32.max
                var at = -1
                for i in 0 ..< len - 1 {
                    if let r = tokenizer.rank(s[i], s[i + 1]), r < best { best = r; at = i }
                }
                if at < 0 { break }
                let m = tokenizer.merges[Int(best)]
                var w = at
                var i = at
                while i < len {
                    if i + 1 < len && s[i] == m.left && s[i + 1] == m.right {
                        s[w] = m.result
                        i += 2
                    } else {
                        s[w] = s[i]
                        i += 1
                    }
                    w += 1
                }
                len = w
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: s[0 ..< len]))
        }
    }
}
