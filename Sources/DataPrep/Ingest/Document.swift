/// One document flowing through the pipeline.
public struct Document: Sendable {
    /// Where it came from: "path", "path#3" (3rd piece of a split file) or "path:line"/JSON id.
    public var id: String
    public var text: String
    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// Decodes UTF-8, reporting whether the bytes were valid (invalid sequences become U+FFFD).
func decodeUTF8(_ b: UnsafeBufferPointer<UInt8>) -> (text: String, valid: Bool) {
    var ascii = true
    var i = 0
    let n = b.count
    if let p = b.baseAddress {
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { ascii = false; break }
            i += 8
        }
        if ascii { while i < n { if p[i] >= 0x80 { ascii = false; break }; i += 1 } }
    }
    let s = String(decoding: b, as: UTF8.self)
    if ascii { return (s, true) }
    return (s, s.utf8.count == n && s.utf8.elementsEqual(b))
}
