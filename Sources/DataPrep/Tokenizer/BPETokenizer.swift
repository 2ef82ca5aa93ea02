import Foundation

/// Errors from tokenizer loading, training and decoding, with messages a user can act on.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unknownTokenId(UInt32, vocabSize: Int)
    case invalidFormat(String)
    case unsupported(String)
    case vocabTooSmall(Int, minimum: Int)

    public var description: String {
        switch self {
        case let .unknownTokenId(id, v): return "token id \(id) is outside the vocabulary (size \(v)); was the data encoded with another tokenizer?"
        case let .invalidFormat(m): return "tokenizer file is not valid Hugging Face BPE JSON: \(m)"
        case let .unsupported(m): return "unsupported tokenizer: \(m)"
        case let .vocabTooSmall(v, m): return "vocabulary size \(v) is too small: byte-level BPE needs at least \(m) (256 bytes + special tokens)"
        }
    }
}

/// One BPE merge: tokens `left` and `right` become `result`. Its rank is its index in `merges`.
public struct BPEMerge: Equatable, Sendable {
    public var left: UInt32
    public var right: UInt32
    public var result: UInt32
    public init(left: UInt32, right: UInt32, result: UInt32) {
        self.left = left
        self.right = right
        self.result = result
    }
}

/// Byte-level BPE model (GPT-2 style): text is split by `Pretokenizer`, each pre-token's UTF-8 bytes
/// start as one token per byte, and adjacent pairs are merged by lowest merge rank until none applies.
/// Immutable and Sendable; use a `BPEEncoder` (one per thread) for fast encoding with a word cache.
public struct BPETokenizer: Sendable {
    /// Byte string of every token id (special tokens: their UTF-8 text).
    public let tokenBytes: [[UInt8]]
    /// Merges in rank order.
    public let merges: [BPEMerge]
    /// Special tokens (e.g. `<|endoftext|>`) by content. Never produced by `encode`; insert them yourself.
    public let specialTokens: [String: UInt32]
    /// Token id of each byte value 0...255.
    let byteToId: [UInt32]
    /// (left << 32 | right) -> rank.
    let pairRank: UInt64Map

    public var vocabSize: Int { tokenBytes.count }
    /// The `<|endoftext|>` id if present (document separator in shards).
    public var endOfText: UInt32? { specialTokens[BPETokenizer.endOfTextToken] }
    public static let endOfTextToken = "<|endoftext|>"

    /// Builds a model. `byteToId` maps each of the 256 byte values to its single-byte token.
    public init(tokenBytes: [[UInt8]], byteToId: [UInt32], merges: [BPEMerge], specialTokens: [String: UInt32]) throws {
        guard byteToId.count == 256 else { throw TokenizerError.invalidFormat("the vocabulary must contain all 256 byte tokens") }
        for (b, id) in byteToId.enumerated() {
            guard Int(id) < tokenBytes.count, tokenBytes[Int(id)] == [UInt8(b)] else {
                throw TokenizerError.invalidFormat("byte \(b) has no single-byte token")
            }
        }
        var map = UInt64Map(capacity: merges.count + 16)
        for (r, m) in merges.enumerated() {
            guard Int(m.left) < tokenBytes.count, Int(m.right) < tokenBytes.count, Int(m.result) < tokenBytes.count else {
                throw TokenizerError.invalidFormat("merge \(r) refers to a token outside the vocabulary")
            }
            guard tokenBytes[Int(m.result)] == tokenBytes[Int(m.left)] + tokenBytes[Int(m.right)] else {
                throw TokenizerError.invalidFormat("merge \(r) result is not the concatenation of its parts")
            }
            let key = UInt64(m.left) << 32 | UInt64(m.right)
            if map.get(key) == nil { map.set(key, Int32(r)) }
        }
        self.tokenBytes = tokenBytes
        self.byteToId = byteToId
        self.merges = merges
        self.specialTokens = specialTokens
        self.pairRank = map
    }

    @inline(__always) func rank(_ a: UInt32, _ b: UInt32) -> Int32? {
        pairRank.get(UInt64(a) << 32 | UInt64(b))
    }

    /// Tokens of one pre-token (naive reference: rescan for the lowest-rank pair, merge all its
    /// occurrences left to right, repeat). O(n^2) in the pre-token length.
    public func encodeWordNaive(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var s = bytes.map { byteToId[Int($0)] }
        while s.count > 1 {
            var best = Int32.max
            for i in 0 ..< s.count - 1 {
                if let r = rank(s[i], s[i + 1]), r < best { best = r }
            }
            if best == Int32.max { break }
            let m = merges[Int(best)]
            var out: [UInt32] = []
            out.reserveCapacity(s.count)
            var i = 0
            while i < s.count {
                if i + 1 < s.count && s[i] == m.left && s[i + 1] == m.right {
                    out.append(m.result)
                    i += 2
                } else {
                    out.append(s[i])
                    i += 1
                }
            }
            s = out
        }
        return s
    }

    /// Tokens of one pre-token with a min-heap of (rank, position) over a linked list of symbols:
    /// O(n log n). Same result as `encodeWordNaive`.
    public func encodeWordHeap(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        let n = bytes.count
        if n == 0 { return }
        var sym = bytes.map { byteToId[Int($0)] }
        var prev = [Int32](repeating: -1, count: n)
        var next = [Int32](repeating: -1, count: n)
        var alive = [Bool](repeating: true, count: n)
        for i in 0 ..< n {
            prev[i] = Int32(i - 1)
            next[i] = i + 1 < n ? Int32(i + 1) : -1
        }
        // heap entries: rank << 32 | pos (min-heap)
        var heap: [UInt64] = []
        heap.reserveCapacity(n)
        func push(_ v: UInt64) {
            heap.append(v)
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) >> 1
                if heap[p] <= heap[c] { break }
                heap.swapAt(p, c)
                c = p
            }
        }
        func pop() -> UInt64 {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var c = 0
                while true {
                    let l = 2 * c + 1
                    if l >= heap.count { break }
                    var m = l
                    if l + 1 < heap.count && heap[l + 1] < heap[l] { m = l + 1 }
                    if heap[c] <= heap[m] { break }
                    heap.swapAt(c, m)
                    c = m
                }
            }
            return top
        }
        for i in 0 ..< n - 1 {
            if let r = rank(sym[i], sym[i + 1]) { push(UInt64(r) << 32 | UInt64(i)) }
        }
        while !heap.isEmpty {
            let e = pop()
            let r = Int32(e >> 32)
            let i = Int(e & 0xFFFF_FFFF)
            guard alive[i] else { continue }
            let j = Int(next[i])
            guard j >= 0 else { continue }
            let m = merges[Int(r)]
            guard sym[i] == m.left && sym[j] == m.right else { continue }
            sym[i] = m.result
            alive[j] = false
            let k = Int(next[j])
            next[i] = Int32(k)
            if k >= 0 { prev[k] = Int32(i) }
            let p = Int(prev[i])
            if p >= 0, let rp = rank(sym[p], sym[i]) { push(UInt64(rp) << 32 | UInt64(p)) }
            if k >= 0, let rk = rank(sym[i], sym[k]) { push(UInt64(rk) << 32 | UInt64(i)) }
        }
        var i = 0
        while i >= 0 && i < n {
            out.append(sym[i])
            i = Int(next[i])
        }
    }

    /// Tokens of `text` (no cache; for repeated use prefer `BPEEncoder`).
    public func encode(_ text: String) -> [UInt32] {
        BPEEncoder(self).encode(text)
    }

    /// The bytes of a token sequence; throws on ids outside the vocabulary.
    public func decodeBytes<S: Sequence>(_ ids: S) throws -> [UInt8] where S.Element == UInt32 {
        var out: [UInt8] = []
        for id in ids {
            guard Int(id) < tokenBytes.count else { throw TokenizerError.unknownTokenId(id, vocabSize: tokenBytes.count) }
            out.append(contentsOf: tokenBytes[Int(id)])
        }
        return out
    }

    /// Text of a token sequence. `decode(encode(x)) == x` for every string `x`. Invalid UTF-8 (from a
    /// sequence cut inside a character) is replaced by U+FFFD.
    public func decode<S: Sequence>(_ ids: S) throws -> String where S.Element == UInt32 {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
