#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, 64-byte aligned (cache line and zmm register) heap buffer of trivial elements.
///
/// Allocate once outside hot loops and reuse; the memory is zero-initialized and freed on deinit.
/// `pointer` stays valid as long as the buffer is alive. Typed views (`view(as:)`) reinterpret the
/// same bytes as another trivial type, e.g. a `Float` buffer as `UInt32` bit patterns.
public final class AlignedBuffer<Element: BitwiseCopyable> {
    /// Alignment of `pointer` in bytes.
    public static var alignment: Int { 64 }

    /// Number of elements.
    public let count: Int
    /// First element; 64-byte aligned.
    public let pointer: UnsafeMutablePointer<Element>

    /// Allocates `count` zeroed elements (`count` may be 0).
    public init(count: Int) {
        precondition(count >= 0, "AlignedBuffer count must be non-negative, got \(count)")
        self.count = count
        let bytes = max(count * MemoryLayout<Element>.stride, 1)
        let rounded = (bytes + Self.alignment - 1) / Self.alignment * Self.alignment
        guard let raw = aligned_alloc(Self.alignment, rounded) else {
            preconditionFailure("aligned_alloc of \(rounded) bytes failed")
        }
        memset(raw, 0, rounded)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        allocatedBytes = rounded
        AlignedMemory.allocated(rounded)
    }

    /// Bytes allocated (rounded up to the alignment).
    let allocatedBytes: Int

    /// Allocates a buffer holding a copy of `elements`.
    public convenience init<C: Collection>(_ elements: C) where C.Element == Element {
        self.init(count: elements.count)
        var i = 0
        for e in elements { pointer[i] = e; i += 1 }
    }

    deinit {
        free(pointer)
        AlignedMemory.freed(allocatedBytes)
    }

    /// Element `i` (unchecked in `-Ounchecked` builds; checked otherwise).
    @inlinable public subscript(i: Int) -> Element {
        get { assert(i >= 0 && i < count); return pointer[i] }
        set { assert(i >= 0 && i < count); pointer[i] = newValue }
    }

    /// The whole buffer as a mutable typed buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// Elements `offset ..< offset + count` as a buffer pointer (a sub-view; no copy).
    public func slice(_ offset: Int, _ count: Int) -> UnsafeMutableBufferPointer<Element> {
        precondition(offset >= 0 && count >= 0 && offset + count <= self.count,
                     "slice \(offset)..<\(offset + count) outside buffer of \(self.count)")
        return UnsafeMutableBufferPointer(start: pointer + offset, count: count)
    }

    /// The same bytes viewed as `T` (count = byteCount / stride of `T`). `T` must not need
    /// more than 64-byte alignment.
    public func view<T: BitwiseCopyable>(as type: T.Type) -> UnsafeMutableBufferPointer<T> {
        let bytes = count * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer(pointer)
        return UnsafeMutableBufferPointer(
            start: raw.assumingMemoryBound(to: T.self), count: bytes / MemoryLayout<T>.stride)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Element) {
        pointer.update(repeating: value, count: count)
    }

    /// Copies the elements into an array (for tests and printing; allocates).
    public func toArray() -> [Element] { Array(buffer) }
}
