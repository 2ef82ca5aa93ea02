import Compute

/// The trainer's owned, zero-initialized, 64-byte aligned Float arrays: Compute's `AlignedBuffer`.
public typealias FloatBuffer = AlignedBuffer<Float>

extension AlignedBuffer where Element == Float {
    public func zero() { fill(0) }
    public var bytes: Int { count * MemoryLayout<Float>.stride }
}
