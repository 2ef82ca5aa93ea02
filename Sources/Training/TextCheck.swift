/// A corpus given as text must look like text: a binary file (a checkpoint, an archive, a
/// database) trained on as bytes gives a meaningless law without any error.
enum TextCheck {
    /// Share of a sample that may be invalid UTF-8 before the file counts as binary.
    static let maxInvalidShare = 0.01
    /// Bytes examined (the start of the file).
    static let sampleBytes = 1 << 20

    /// Why `bytes` do not look like text (NUL bytes, or more than 1% invalid UTF-8), or nil.
    static func problem<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        let sample = Array(bytes.prefix(sampleBytes))
        if let nul = sample.firstIndex(of: 0) { return "it has a NUL byte at offset \(nul)" }
        var invalid = 0
        var iterator = sample.makeIterator()
        var decoder = UTF8()
        decode: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break decode
            case .error: invalid += 1
            }
        }
        if sample.count > 0, Double(invalid) / Double(sample.count) > maxInvalidShare {
            return "\(invalid) of its first \(sample.count) bytes are not valid UTF-8"
        }
        return nil
    }
}
