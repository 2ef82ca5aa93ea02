/// Byte-level BPE trainer (the algorithm of Hugging Face's `BpeTrainer`, incremental):
///
/// 1. `add` pre-tokenizes text and counts each distinct pre-token ("word") once per occurrence.
/// 2. `train` stores every word as a symbol array, counts each adjacent pair (weighted by word count)
///    and records which words contain it, and puts all pairs in a max-heap keyed by count
///    (ties: smaller (left, right) first).
/// 3. Each step pops the most frequent pair (a stale entry, whose count has since dropped, is pushed
///    back with its current count), gives it a new id, and rewrites only the words that contain it,
///    updating the counts of the neighbouring pairs: (x, A) -> (x, AB) and (B, y) -> (AB, y).
///    New pairs are pushed once the step ends. Stops at the vocabulary size or when the best pair
///    occurs fewer than `minFrequency` times.
///
/// Cost per merge is proportional to the occurrences of the merged pair, not the corpus size.
public struct BPETrainer {
    private var words = ByteSliceTable(capacity: 1 << 16)
    private var counts: [Int64] = []
    /// Total bytes and pre-tokens seen.
    public private(set) var bytesSeen = 0
    public private(set) var pretokensSeen = 0

    public init() {}

    /// Number of distinct pre-tokens counted so far.
    public var distinctWords: Int { words.count }

    public mutating func add(_ text: String) {
        var t = text
        t.withUTF8 { add(bytes: $0) }
    }

    /// Counts the pre-tokens of one document (UTF-8).
    public mutating func add(bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        bytesSeen += bytes.count
        Pretokenizer.split(bytes) { a, e in
            let (i, ins) = words.findOrInsert(base + a, e - a)
            if ins { counts.append(1) } else { counts[i] += 1 }
            pretokensSeen += 1
        }
    }

    private struct HeapEntry {
        var count: Int64
        var key: UInt64
        var pid: Int32
        /// true if `self` should be popped before `o`.
        @inline(__always) func before(_ o: HeapEntry) -> Bool {
            count != o.count ? count > o.count : key < o.key
        }
    }

    /// Trains the merges. `vocabSize` counts the 256 byte tokens, the merges and `specialTokens`
    /// (appended after the merges, e.g. `<|endoftext|>`).
    public func train(vocabSize: Int, minFrequency: Int = 2, specialTokens: [String] = [BPETokenizer.endOfTextToken]) throws -> BPETokenizer {
        let minimum = 256 + specialTokens.count
        guard vocabSize >= minimum else { throw TokenizerError.vocabTooSmall(vocabSize, minimum: minimum) }
        let maxMerges = vocabSize - minimum
        var tokenBytes: [[UInt8]] = (0 ..< 256).map { [UInt8($0)] }

        // Words as symbol arrays in one buffer.
        let nw = words.count
        var wStart = [Int](repeating: 0, count: nw)
        var wLen = [Int32](repeating: 0, count: nw)
        var sym: [UInt32] = []
        sym.reserveCapacity(words.arena.count)
        for w in 0 ..< nw {
            let k = words.key(w)
            wStart[w] = sym.count
            wLen[w] = Int32(k.count)
            for b in k { sym.append(UInt32(b)) }
        }

        // Pair statistics.
        var pairIndex = UInt64Map(capacity: 1 << 16)
        var pairCount: [Int64] = []
        var pairKey: [UInt64] = []
        var pairWords: [[Int32]] = []
        @inline(__always) func pid(_ key: UInt64) -> Int {
            let (v, ins) = pairIndex.getOrInsert(key) { Int32(pairCount.count) }
            if ins {
                pairCount.append(0)
                pairKey.append(key)
                pairWords.append([])
            }
            return Int(v)
        }
        for w in 0 ..< nw {
            let s = wStart[w]
            let c = counts[w]
            for i in s ..< s + Int(wLen[w]) - 1 {
                let p = pid(UInt64(sym[i]) << 32 | UInt64(sym[i + 1]))
                pairCount[p] += c
                if pairWords[p].last != Int32(w) { pairWords[p].append(Int32(w)) }
            }
        }

        var heap: [HeapEntry] = []
        heap.reserveCapacity(pairCount.count)
        func push(_ e: HeapEntry) {
            heap.append(e)
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) >> 1
                if !heap[c].before(heap[p]) { break }
                heap.swapAt(p, c)
                c = p
            }
        }
        func pop() -> HeapEntry {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var c = 0
                let n = heap.count
                while true {
                    let l = 2 * c + 1
                    if l >= n { break }
                    var m = l
                    if l + 1 < n && heap[l + 1].before(heap[l]) { m = l + 1 }
                    if !heap[m].before(heap[c]) { break }
                    heap.swapAt(c, m)
                    c = m
                }
            }
            return top
        }
        for p in 0 ..< pairCount.count where pairCount[p] > 0 {
            push(HeapEntry(count: pairCount[p], key: pairKey[p], pid: Int32(p)))
        }

        var merges: [BPEMerge] = []
        merges.reserveCapacity(maxMerges)
        var touchedMark: [Int32] = []
        var touched: [Int] = []
        while merges.count < maxMerges, !heap.isEmpty {
            let top = pop()
            let p = Int(top.pid)
            let cur = pairCount[p]
            if cur != top.count {
                if cur > 0 { push(HeapEntry(count: cur, key: top.key, pid: top.pid)) }
                continue
            }
            if cur < Int64(minFrequency) { break }
            let a = UInt32(top.key >> 32), b = UInt32(top.key & 0xFFFF_FFFF)
            let cNew = UInt32(tokenBytes.count)
            tokenBytes.append(tokenBytes[Int(a)] + tokenBytes[Int(b)])
            merges.append(BPEMerge(left: a, right: b, result: cNew))
            pairCount[p] = 0
            let target = top.key
            let affected = pairWords[p]
            pairWords[p] = []
            touched.removeAll(keepingCapacity: true)
            let epoch = Int32(merges.count)

            @inline(__always) func change(_ key: UInt64, _ delta: Int64, _ w: Int32) {
                if key == target { return }
                let q = pid(key)
                pairCount[q] += delta
                if delta > 0 {
                    if pairWords[q].last != w { pairWords[q].append(w) }
                    if touchedMark.count <= q { touchedMark.append(contentsOf: repeatElement(0, count: q + 1 - touchedMark.count + 1024)) }
                    if touchedMark[q] != epoch { touchedMark[q] = epoch; touched.append(q) }
                }
            }

            for w32 in affected {
                let w = Int(w32)
                let s = wStart[w]
                let end = s + Int(wLen[w])
                let c = counts[w]
                var r = s
                var o = s
                while r < end {
                    if r + 1 < end && sym[r] == a && sym[r + 1] == b {
                        if o > s {
                            let x = UInt64(sym[o - 1])
                            change(x << 32 | UInt64(a), -c, w32)
                            change(x << 32 | UInt64(cNew), c, w32)
                        }
                        if r + 2 < end {
                            let y = UInt64(sym[r + 2])
                            change(UInt64(b) << 32 | y, -c, w32)
                            change(UInt64(cNew) << 32 | y, c, w32)
                        }
                        sym[o] = cNew
                        r += 2
                    } else {
                        sym[o] = sym[r]
                        r += 1
                    }
                    o += 1
                }
                wLen[w] = Int32(o - s)
            }
            for q in touched where pairCount[q] > 0 {
                push(HeapEntry(count: pairCount[q], key: pairKey[q], pid: Int32(q)))
            }
        }

        var specials: [String: UInt32] = [:]
        for t in specialTokens where specials[t] == nil {
            specials[t] = UInt32(tokenBytes.count)
            tokenBytes.append(Array(t.utf8))
        }
        return try BPETokenizer(tokenBytes: tokenBytes, byteToId: (0 ..< 256).map { UInt32($0) }, merges: merges, specialTokens: specials)
    }
}
