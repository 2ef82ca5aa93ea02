/// Byte-level view of a document shared by the heuristic filters: lines, whitespace-separated
/// words and per-word hashes. Lengths are UTF-8 bytes (equal to characters for ASCII text; the
/// published rules count characters, so non-ASCII text is measured slightly longer).
struct TextStats {
    let bytes: [UInt8]
    /// Lines split on "\n" (possibly empty).
    private(set) var lines: [Range<Int>] = []
    /// Whitespace-separated words.
    private(set) var words: [Range<Int>] = []
    private(set) var wordHashes: [UInt64] = []

    init(_ text: String, hashWords: Bool = true) {
        bytes = Array(text.utf8)
        var ls = 0
        var ws = -1
        bytes.withUnsafeBufferPointer { b in
            for i in 0 ..< b.count {
                let c = b[i]
                let space = c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C
                if space {
                    if ws >= 0 { words.append(ws ..< i); ws = -1 }
                    if c == 0x0A { lines.append(ls ..< i); ls = i + 1 }
                } else if ws < 0 { ws = i }
            }
            if ws >= 0 { words.append(ws ..< b.count) }
            lines.append(ls ..< b.count)
            if hashWords { wordHashes = words.map { hashBytes(b.baseAddress! + $0.lowerBound, $0.count) } }
        }
    }

    var count: Int { bytes.count }

    func hash(_ r: Range<Int>) -> UInt64 {
        bytes.withUnsafeBufferPointer { hashBytes($0.baseAddress! + r.lowerBound, r.count) }
    }

    /// `r` trimmed of spaces and tabs at both ends.
    func trimmed(_ r: Range<Int>) -> Range<Int> {
        var a = r.lowerBound, e = r.upperBound
        while a < e && (bytes[a] == 0x20 || bytes[a] == 0x09 || bytes[a] == 0x0D) { a += 1 }
        while e > a && (bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 || bytes[e - 1] == 0x0D) { e -= 1 }
        return a ..< e
    }

    func hasSuffix(_ r: Range<Int>, _ s: [UInt8]) -> Bool {
        guard r.count >= s.count else { return false }
        let off = r.upperBound - s.count
        for k in 0 ..< s.count where bytes[off + k] != s[k] { return false }
        return true
    }

    func hasPrefix(_ r: Range<Int>, _ s: [UInt8]) -> Bool {
        guard r.count >= s.count else { return false }
        for k in 0 ..< s.count where bytes[r.lowerBound + k] != s[k] { return false }
        return true
    }

    /// Occurrences of `s` in the whole text (non-overlapping).
    func occurrences(of s: [UInt8]) -> Int {
        var n = 0
        var i = 0
        let m = s.count
        while i + m <= bytes.count {
            if bytes[i] == s[0] {
                var ok = true
                for k in 1 ..< m where bytes[i + k] != s[k] { ok = false; break }
                if ok { n += 1; i += m; continue }
            }
            i += 1
        }
        return n
    }
}

/// Set/counter of 64-bit hashes, cleared in O(1) by bumping a generation (reused across documents).
/// One 16-byte slot per entry (key, count, generation) so a probe touches one cache line.
struct HashCounter {
    private struct Slot {
        var key: UInt64
        var count: Int32
        var gen: UInt32
        /// Caller-supplied position of the first occurrence (see `add(_:at:)`).
        var first: Int32
    }
    private var slots: [Slot]
    private var gen: UInt32 = 1
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 12) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [Slot](repeating: Slot(key: 0, count: 0, gen: 0, first: 0), count: c)
        mask = c - 1
    }

    /// Empties the set; makes room for `expected` keys.
    mutating func reset(expected: Int) {
        if expected * 2 > slots.count {
            var c = slots.count
            while c < expected * 2 { c <<= 1 }
            slots = [Slot](repeating: Slot(key: 0, count: 0, gen: 0, first: 0), count: c)
            mask = c - 1
            gen = 1
        } else {
            gen &+= 1
            if gen == 0 {
                for i in 0 ..< slots.count { slots[i].gen = 0 }
                gen = 1
            }
        }
        count = 0
    }

    @inline(__always) private func start(_ k: UInt64) -> Int {
        Int(truncatingIfNeeded: (k ^ (k >> 29)) &* 0x9E37_79B9_7F4A_7C15) & mask
    }

    /// Adds one occurrence; returns the new count (1 = first time seen).
    @inline(__always)
    mutating func add(_ k: UInt64) -> Int32 {
        var s = start(k)
        let g = gen
        return slots.withUnsafeMutableBufferPointer { sl in
            while sl[s].gen == g {
                if sl[s].key == k { sl[s].count += 1; return sl[s].count }
                s = (s + 1) & mask
            }
            sl[s] = Slot(key: k, count: 1, gen: g, first: 0)
            count += 1
            return 1
        }
    }

    /// Adds one occurrence at position `i`; returns the new count and the first position.
    @inline(__always)
    mutating func add(_ k: UInt64, at i: Int32) -> (count: Int32, first: Int32) {
        var s = start(k)
        let g = gen
        return slots.withUnsafeMutableBufferPointer { sl in
            while sl[s].gen == g {
                if sl[s].key == k { sl[s].count += 1; return (sl[s].count, sl[s].first) }
                s = (s + 1) & mask
            }
            sl[s] = Slot(key: k, count: 1, gen: g, first: i)
            count += 1
            return (1, i)
        }
    }

    /// Current count of a key (0 if absent).
    @inline(__always)
    func count(of k: UInt64) -> Int32 {
        var s = start(k)
        let g = gen
        return slots.withUnsafeBufferPointer { sl in
            while sl[s].gen == g {
                if sl[s].key == k { return sl[s].count }
                s = (s + 1) & mask
            }
            return 0
        }
    }
}
