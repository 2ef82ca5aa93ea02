/// Fast 64-bit hash of a byte slice (8 bytes per step, multiply-xorshift mixing).
/// Not cryptographic; used for hash tables and exact-dedup fingerprints.
@inline(__always)
public func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
    var h = seed ^ (UInt64(truncatingIfNeeded: n) &* 0xff51_afd7_ed55_8ccd)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ v) &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 31
        i += 8
    }
    if i < n {
        var v: UInt64 = 0
        var s: UInt64 = 0
        while i < n {
            v |= UInt64(p[i]) << s
            s += 8
            i += 1
        }
        h = (h ^ v) &* 0x94d0_49bb_1331_11eb
        h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* 0xd6e8_feb8_6659_fd93
    h ^= h >> 32
    return h
}

/// Open-addressing hash table from byte strings to dense indices 0, 1, 2, ... (insertion order).
/// Keys are copied into one arena, so inserting a key costs no allocation per key.
/// Used for pre-token counting (BPE training) and the encoder's word cache.
struct ByteSliceTable {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 12) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [Int32](repeating: -1, count: c)
        mask = c - 1
    }

    var count: Int { starts.count }

    /// Returns the index of the key, inserting it if absent.
    @inline(__always)
    mutating func findOrInsert(_ p: UnsafePointer<UInt8>, _ n: Int) -> (index: Int, inserted: Bool) {
        let h = hashBytes(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = slots[s]
            if e < 0 { break }
            let ei = Int(e)
            if hashes[ei] == h && Int(lengths[ei]) == n && equalsKey(ei, p, n) { return (ei, false) }
            s = (s + 1) & mask
        }
        let idx = starts.count
        starts.append(arena.count)
        lengths.append(Int32(n))
        hashes.append(h)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        slots[s] = Int32(idx)
        if starts.count * 2 > slots.count { grow() }
        return (idx, true)
    }

    /// Index of the key or nil.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        let h = hashBytes(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = slots[s]
            if e < 0 { return nil }
            let ei = Int(e)
            if hashes[ei] == h && Int(lengths[ei]) == n && equalsKey(ei, p, n) { return ei }
            s = (s + 1) & mask
        }
    }

    @inline(__always)
    private func equalsKey(_ i: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let st = starts[i]
        return arena.withUnsafeBufferPointer { a in
            var j = 0
            while j < n {
                if a[st + j] != p[j] { return false }
                j += 1
            }
            return true
        }
    }

    func key(_ i: Int) -> ArraySlice<UInt8> {
        arena[starts[i] ..< starts[i] + Int(lengths[i])]
    }

    private mutating func grow() {
        let c = slots.count * 2
        var ns = [Int32](repeating: -1, count: c)
        let m = c - 1
        for i in 0 ..< hashes.count {
            var s = Int(truncatingIfNeeded: hashes[i]) & m
            while ns[s] >= 0 { s = (s + 1) & m }
            ns[s] = Int32(i)
        }
        slots = ns
        mask = m
    }
}

/// Open-addressing map from UInt64 keys to Int32 values (no deletion). Key `UInt64.max` is reserved.
struct UInt64Map {
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int = 1 << 10) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: c)
        values = [Int32](repeating: 0, count: c)
        mask = c - 1
    }

    @inline(__always)
    static func mix(_ k: UInt64) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    @inline(__always)
    func get(_ k: UInt64) -> Int32? {
        var s = Self.mix(k) & mask
        while true {
            let e = keys[s]
            if e == k { return values[s] }
            if e == Self.empty { return nil }
            s = (s + 1) & mask
        }
    }

    /// Returns the existing value, or inserts `make()` and returns it.
    @inline(__always)
    mutating func getOrInsert(_ k: UInt64, _ make: () -> Int32) -> (value: Int32, inserted: Bool) {
        var s = Self.mix(k) & mask
        while true {
            let e = keys[s]
            if e == k { return (values[s], false) }
            if e == Self.empty { break }
            s = (s + 1) & mask
        }
        let v = make()
        keys[s] = k
        values[s] = v
        count += 1
        if count * 2 > keys.count { grow() }
        return (v, true)
    }

    mutating func set(_ k: UInt64, _ v: Int32) {
        var s = Self.mix(k) & mask
        while true {
            let e = keys[s]
            if e == k { values[s] = v; return }
            if e == Self.empty { break }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = v
        count += 1
        if count * 2 > keys.count { grow() }
    }

    private mutating func grow() {
        let c = keys.count * 2
        var nk = [UInt64](repeating: Self.empty, count: c)
        var nv = [Int32](repeating: 0, count: c)
        let m = c - 1
        for i in 0 ..< keys.count where keys[i] != Self.empty {
            var s = Self.mix(keys[i]) & m
            while nk[s] != Self.empty { s = (s + 1) & m }
            nk[s] = keys[i]
            nv[s] = values[i]
        }
        keys = nk
        values = nv
        mask = m
    }
}
