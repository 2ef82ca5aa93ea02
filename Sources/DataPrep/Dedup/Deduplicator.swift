/// Deduplication settings (FineWeb's MinHash parameters by default).
public struct DedupOptions: Codable, Sendable, Equatable {
    /// Drop documents whose normalized text was already seen (128-bit hash).
    public var exact = true
    /// Drop near-duplicates found by MinHash LSH.
    public var nearDuplicate = true
    /// Word n-gram shingle length.
    public var shingleWords = 5
    /// LSH bands x rows per band = number of MinHash functions. A pair with Jaccard similarity s
    /// becomes a candidate with probability 1 - (1 - s^rows)^bands (14 x 8: 0.92 at s = 0.8,
    /// 0.05 at s = 0.5).
    public var bands = 14
    public var rowsPerBand = 8
    public var seed: UInt64 = 1
    public init() {}
}

/// MinHash of a document's word shingles.
///
/// Words: whitespace-separated, ASCII-lowercased, with punctuation (scalars that are not letters,
/// numbers or spaces) removed; empty words skipped. Shingle = hash of `shingleWords` consecutive
/// words (a shorter document is one shingle). Hash function k: h_k(x) = a_k * x + b_k (mod 2^64)
/// with random odd a_k; the signature is min over shingles of each h_k (8 lanes per SIMD vector).
public struct MinHasher: Sendable {
    public let shingleWords: Int
    public let functions: Int
    private let a: [SIMD8<UInt64>]
    private let b: [SIMD8<UInt64>]

    public init(shingleWords: Int = 5, functions: Int = 112, seed: UInt64 = 1) {
        precondition(shingleWords >= 1 && functions >= 1)
        self.shingleWords = shingleWords
        self.functions = functions
        var s = seed
        func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let vectors = (functions + 7) / 8
        var av: [SIMD8<UInt64>] = [], bv: [SIMD8<UInt64>] = []
        for _ in 0 ..< vectors {
            var x = SIMD8<UInt64>(), y = SIMD8<UInt64>()
            for l in 0 ..< 8 { x[l] = next() | 1; y[l] = next() }
            av.append(x)
            bv.append(y)
        }
        a = av
        b = bv
    }

    /// Hashes of the normalized words of `text` (FNV-1a over the lowercased word bytes, then
    /// a final mix).
    public static func wordHashes(_ text: String) -> [UInt64] {
        var out: [UInt64] = []
        var t = text
        t.withUTF8 { bytes in
            out.reserveCapacity(bytes.count / 5)
            Pretokenizer.bmpClass.withUnsafeBufferPointer { tb in
                let table = tb.baseAddress!
                let basis: UInt64 = 0xCBF2_9CE4_8422_2325
                var h = basis
                var inWord = false
                @inline(__always) func flush() {
                    if inWord {
                        var x = h ^ (h >> 31)
                        x = x &* 0x9E37_79B9_7F4A_7C15
                        out.append(x ^ (x >> 29))
                        h = basis
                        inWord = false
                    }
                }
                var i = 0
                let n = bytes.count
                while i < n {
                    let c0 = bytes[i]
                    if c0 < 0x80 {
                        let c = table[Int(c0)]
                        if c == Pretokenizer.space { flush() } else if c != Pretokenizer.other {
                            h = (h ^ UInt64(c0 >= 0x41 && c0 <= 0x5A ? c0 | 0x20 : c0)) &* 0x100_0000_01B3
                            inWord = true
                        }
                        i += 1
                        continue
                    }
                    let (c, l) = Pretokenizer.classAt(bytes, i, table)
                    if c == Pretokenizer.space {
                        flush()
                    } else if c != Pretokenizer.other {
                        for k in i ..< min(i + l, n) { h = (h ^ UInt64(bytes[k])) &* 0x100_0000_01B3 }
                        inWord = true
                    }
                    i += l
                }
                flush()
            }
        }
        return out
    }

    /// MinHash signature (`functions` values).
    public func signature(_ text: String) -> [UInt64] {
        signature(wordHashes: Self.wordHashes(text))
    }

    public func signature(wordHashes w: [UInt64]) -> [UInt64] {
        let vectors = a.count
        var mins = [SIMD8<UInt64>](repeating: SIMD8(repeating: .max), count: vectors)
        let n = shingleWords
        let shingles = max(w.count - n + 1, 1)
        mins.withUnsafeMutableBufferPointer { m in
            a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    for i in 0 ..< shingles {
                        var h: UInt64 = 0x243F_6A88_85A3_08D3
                        for k in i ..< min(i + n, w.count) {
                            h = (h ^ w[k]) &* 0x9E37_79B9_7F4A_7C15
                            h ^= h >> 29
                        }
                        let x = SIMD8<UInt64>(repeating: h)
                        for v in 0 ..< vectors {
                            m[v] = pointwiseMin(m[v], av[v] &* x &+ bv[v])
                        }
                    }
                }
            }
        }
        var out = [UInt64](repeating: 0, count: functions)
        for k in 0 ..< functions { out[k] = mins[k / 8][k % 8] }
        return out
    }

    /// Fraction of equal signature values: an unbiased estimate of the Jaccard similarity.
    public static func estimatedJaccard(_ x: [UInt64], _ y: [UInt64]) -> Double {
        precondition(x.count == y.count && !x.isEmpty)
        return Double(zip(x, y).filter { $0 == $1 }.count) / Double(x.count)
    }
}

/// Streaming deduplicator: the first document of each exact or near-duplicate group is kept.
/// Memory: 16 bytes per distinct document for exact dedup plus `bands` hash-table entries per
/// kept document for LSH (about 250 bytes per document at 14 bands).
public struct Deduplicator {
    public let options: DedupOptions
    public let hasher: MinHasher
    private var exactSeen = Set<SIMD2<UInt64>>()
    private var bandTables: [UInt64Map]
    private var kept = 0

    public init(options: DedupOptions = DedupOptions()) {
        self.options = options
        hasher = MinHasher(shingleWords: options.shingleWords, functions: options.bands * options.rowsPerBand, seed: options.seed)
        bandTables = (0 ..< options.bands).map { _ in UInt64Map(capacity: 1 << 12) }
    }

    /// Exact-dedup key of a text: two independent 64-bit hashes.
    public static func exactKey(_ text: String) -> SIMD2<UInt64> {
        var t = text
        return t.withUTF8 { b -> SIMD2<UInt64> in
            guard let p = b.baseAddress else { return SIMD2(0, 0) }
            return SIMD2(hashBytes(p, b.count), hashBytes(p, b.count, seed: 0x7F4A_7C15_9E37_79B9))
        }
    }

    /// Band keys of a signature (one 64-bit hash per band).
    public func bandKeys(_ sig: [UInt64]) -> [UInt64] { Self.bandKeys(sig, options: options) }

    public static func bandKeys(_ sig: [UInt64], options: DedupOptions) -> [UInt64] {
        let r = options.rowsPerBand
        return (0 ..< options.bands).map { band in
            var h: UInt64 = 0x1234_5678_9ABC_DEF1 &+ UInt64(band)
            for k in band * r ..< (band + 1) * r {
                h = (h ^ sig[k]) &* 0xD6E8_FEB8_6659_FD93
                h ^= h >> 32
            }
            return h == UInt64.max ? 0 : h
        }
    }

    /// Work that can run in parallel before `insert`: exact key and LSH band keys.
    public func fingerprint(_ text: String) -> (exact: SIMD2<UInt64>, bands: [UInt64]) {
        Self.fingerprint(text, options: options, hasher: hasher)
    }

    /// Same as `fingerprint`, usable from worker threads that hold their own `MinHasher`.
    public static func fingerprint(_ text: String, options: DedupOptions, hasher: MinHasher) -> (exact: SIMD2<UInt64>, bands: [UInt64]) {
        (exactKey(text), options.nearDuplicate ? bandKeys(hasher.signature(text), options: options) : [])
    }

    /// Records the document; returns nil if it is new, else "dedup.exact" or "dedup.near".
    public mutating func insert(_ fp: (exact: SIMD2<UInt64>, bands: [UInt64])) -> String? {
        if options.exact && !exactSeen.insert(fp.exact).inserted { return "dedup.exact" }
        if options.nearDuplicate {
            for (band, key) in fp.bands.enumerated() where bandTables[band].get(key) != nil { return "dedup.near" }
            for (band, key) in fp.bands.enumerated() { bandTables[band].set(key, Int32(truncatingIfNeeded: kept)) }
        }
        kept += 1
        return nil
    }

    public mutating func check(_ text: String) -> String? { insert(fingerprint(text)) }
}
