import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors reading or writing token shards.
public enum ShardError: Error, CustomStringConvertible {
    case io(String)
    case badHeader(URL, String)
    case truncated(URL, expectedBytes: Int, actualBytes: Int)
    case tokenTooLarge(UInt32, width: Int)

    public var description: String {
        switch self {
        case let .io(m): return m
        case let .badHeader(u, m): return "\(u.path) is not a ladder token shard: \(m)"
        case let .truncated(u, e, a): return "\(u.path) is truncated: header promises \(e) bytes, file has \(a); re-run `ladder data prepare`"
        case let .tokenTooLarge(t, w): return "token \(t) does not fit in a \(w)-byte shard; the shard width must come from the vocabulary size"
        }
    }
}

/// On-disk layout of a token shard (little-endian):
///
///     offset 0   8 bytes  magic "LDRTOKEN"
///     offset 8   UInt32   version (1)
///     offset 12  UInt32   token width in bytes: 2 (UInt16 tokens, vocab <= 65536) or 4 (UInt32)
///     offset 16  UInt64   number of tokens N
///     offset 24  UInt64   number of documents in the shard
///     offset 32  N tokens of `width` bytes
///
/// Each document's tokens are followed by the end-of-text token (when the tokenizer has one), so a
/// shard is a flat stream ready for next-token training.
public enum TokenShardFormat {
    public static let magic: [UInt8] = Array("LDRTOKEN".utf8)
    public static let version: UInt32 = 1
    public static let headerBytes = 32

    /// Token width for a vocabulary: 2 bytes when every id fits in UInt16.
    public static func width(forVocabSize v: Int) -> Int { v <= 65536 ? 2 : 4 }
}

/// A read-only, memory-mapped token shard. Thread-safe for reads (immutable after open).
public final class TokenShard: @unchecked Sendable {
    public let url: URL
    /// Bytes per token: 2 or 4.
    public let tokenWidth: Int
    /// Number of tokens.
    public let count: Int
    /// Number of documents written to the shard.
    public let documentCount: Int
    private let base: UnsafeRawPointer?
    private let mappedBytes: Int

    /// Opens and memory-maps a shard; validates magic, version, width and file length.
    public init(contentsOf url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw ShardError.io("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ShardError.io("cannot stat \(url.path)") }
        let size = Int(st.st_size)
        guard size >= TokenShardFormat.headerBytes else { throw ShardError.badHeader(url, "file is \(size) bytes, shorter than the 32-byte header") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ShardError.io("cannot memory-map \(url.path): \(String(cString: strerror(errno)))")
        }
        let p = UnsafeRawPointer(m)
        func fail(_ e: ShardError) -> ShardError { munmap(m, size); return e }
        for i in 0 ..< 8 where p.load(fromByteOffset: i, as: UInt8.self) != TokenShardFormat.magic[i] {
            throw fail(.badHeader(url, "wrong magic"))
        }
        let version = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == TokenShardFormat.version else { throw fail(.badHeader(url, "version \(version), expected \(TokenShardFormat.version)")) }
        let width = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard width == 2 || width == 4 else { throw fail(.badHeader(url, "token width \(width), expected 2 or 4")) }
        let n = Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        let docs = Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        let expected = TokenShardFormat.headerBytes + n * width
        guard expected == size else { throw fail(.truncated(url, expectedBytes: expected, actualBytes: size)) }
        tokenWidth = width
        count = n
        documentCount = docs
        base = p
        mappedBytes = size
    }

    deinit {
        if let b = base { munmap(UnsafeMutableRawPointer(mutating: b), mappedBytes) }
    }

    /// Token `i` (0 ..< count).
    @inline(__always)
    public subscript(i: Int) -> UInt32 {
        precondition(i >= 0 && i < count, "token index \(i) out of range 0..<\(count)")
        let off = TokenShardFormat.headerBytes + i * tokenWidth
        if tokenWidth == 2 { return UInt32(UInt16(littleEndian: base!.loadUnaligned(fromByteOffset: off, as: UInt16.self))) }
        return UInt32(littleEndian: base!.loadUnaligned(fromByteOffset: off, as: UInt32.self))
    }

    /// Copies tokens `range` into `out` (which must hold `range.count` values), widening to Int32.
    public func read(_ range: Range<Int>, into out: UnsafeMutablePointer<Int32>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of 0..<\(count)")
        let start = base! + TokenShardFormat.headerBytes + range.lowerBound * tokenWidth
        if tokenWidth == 2 {
            for i in 0 ..< range.count { out[i] = Int32(UInt16(littleEndian: start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        } else {
            for i in 0 ..< range.count { out[i] = Int32(bitPattern: UInt32(littleEndian: start.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        }
    }

    /// Tokens in `range` as an array.
    public func tokens(_ range: Range<Int>) -> [UInt32] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of 0..<\(count)")
        return range.map { self[$0] }
    }

    /// All tokens.
    public func allTokens() -> [UInt32] { tokens(0 ..< count) }
}
