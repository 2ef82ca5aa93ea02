/// 16-float vectors as the SIMD16 kernels (AVX-512 attention tiles, the softmax tiles) load and
/// store them: unaligned, one zmm (or two ymm) each.
public typealias V16 = SIMD16<Float>

@inlinable @inline(__always) public func load16(_ p: UnsafePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

@inlinable @inline(__always) public func load16(_ p: UnsafeMutablePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

@inlinable @inline(__always) public func store16(_ v: V16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V16.self)
}
