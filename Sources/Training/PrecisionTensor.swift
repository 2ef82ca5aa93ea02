import Compute

/// A flat tensor held in one `StorageFormat` (bf16, fp16 or e4m3 with a per-tensor power-of-two
/// scale), written from fp32 and read back as fp32 or as a matmul operand of the policy's
/// compute format. fp32 tensors stay `FloatBuffer`s; this type is only for the narrow ones.
final class PrecisionTensor {
    let format: StorageFormat
    let count: Int
    /// 2-byte storage for bf16 / fp16, 1-byte for e4m3 (the other is empty).
    private let halves: AlignedBuffer<UInt16>
    private let bytes8: AlignedBuffer<FP8E4M3>
    /// e4m3 only: stored = round(value · scale); 1 otherwise.
    private(set) var scale: Float = 1

    init(format: StorageFormat, count: Int) {
        precondition(format != .fp32, "fp32 tensors are FloatBuffers")
        self.format = format
        self.count = count
        halves = AlignedBuffer(count: format == .e4m3 ? 0 : count)
        bytes8 = AlignedBuffer(count: format == .e4m3 ? count : 0)
    }

    var bytes: Int { count * format.bytesPerElement }

    /// Raw 16-bit elements (bf16 / fp16 only), from element `offset`.
    func half(_ offset: Int = 0) -> UnsafeMutablePointer<UInt16> {
        precondition(format != .e4m3)
        return halves.pointer + offset
    }

    /// Writes `count` values from fp32 `source` (rounding to nearest even), split between threads.
    /// e4m3 first picks the tensor's scale from its largest magnitude.
    func store(_ source: UnsafePointer<Float>, kernels: some ModelKernels) {
        store(source, offset: 0, count: count, kernels: kernels)
    }

    /// Writes elements `offset ..< offset + n` (bf16 / fp16; e4m3 only whole tensors).
    func store(_ source: UnsafePointer<Float>, offset: Int, count n: Int, kernels: some ModelKernels) {
        if format == .e4m3 {
            precondition(offset == 0 && n == count, "e4m3 tensors are stored whole (one scale)")
            let parts = max(1, min(kernels.threads, n / 4096))
            var maxima = [Float](repeating: 0, count: parts)
            maxima.withUnsafeMutableBufferPointer { m in
                let mp = m.baseAddress!
                kernels.parallel(parts) { part in
                    let lo = n * part / parts, hi = n * (part + 1) / parts
                    mp[part] = Convert.absMax(source + lo, count: hi - lo)
                }
            }
            let amax = maxima.contains { $0.isNaN } ? Float.nan : maxima.max() ?? 0
            scale = FP8E4M3.scale(forAbsMax: amax)
        }
        let s = scale, fmt = format, h = halves.pointer, b = bytes8.pointer
        Self.split(n, kernels) { lo, len in
            switch fmt {
            case .bf16:
                Convert.floatToBFloat16(source + lo, UnsafeMutableRawPointer(h + offset + lo).assumingMemoryBound(to: BFloat16.self), count: len)
            case .fp16:
                Convert.floatToFloat16(source + lo, UnsafeMutableRawPointer(h + offset + lo).assumingMemoryBound(to: Float16.self), count: len)
            case .e4m3:
                Convert.floatToFP8E4M3(source + lo, b + lo, count: len, scale: s)
            case .fp32:
                preconditionFailure()
            }
        }
    }

    /// Reads all values back as fp32 (exact).
    func widen(into destination: UnsafeMutablePointer<Float>, kernels: some ModelKernels) {
        let s = scale, fmt = format, h = halves.pointer, b = bytes8.pointer
        Self.split(count, kernels) { lo, len in
            switch fmt {
            case .bf16:
                Convert.bfloat16ToFloat(UnsafeRawPointer(h + lo).assumingMemoryBound(to: BFloat16.self), destination + lo, count: len)
            case .fp16:
                Convert.float16ToFloat(UnsafeRawPointer(h + lo).assumingMemoryBound(to: Float16.self), destination + lo, count: len)
            case .e4m3:
                Convert.fp8E4M3ToFloat(b + lo, destination + lo, count: len, scale: s)
            case .fp32:
                preconditionFailure()
            }
        }
    }

    /// The tensor as 16-bit elements of `compute` format for a matmul: its own storage for
    /// bf16 / fp16, or (e4m3, compute bf16) an exact dequantization into `scratch`.
    func operand(_ compute: HalfFormat, scratch: AlignedBuffer<UInt16>, kernels: some ModelKernels) -> UnsafePointer<UInt16> {
        switch format {
        case .bf16, .fp16:
            precondition(format == compute.storage, "a \(format) tensor read as \(compute)")
            return UnsafePointer(halves.pointer)
        case .e4m3:
            precondition(compute == .bf16 && scratch.count >= count, "e4m3 is read through bf16 scratch")
            let s = scale, b = bytes8.pointer
            let dst = UnsafeMutableRawPointer(scratch.pointer).assumingMemoryBound(to: BFloat16.self)
            Self.split(count, kernels) { lo, len in Convert.fp8E4M3ToBFloat16(b + lo, dst + lo, count: len, scale: s) }
            return UnsafePointer(scratch.pointer)
        case .fp32:
            preconditionFailure()
        }
    }

    /// Splits 0..<n into one contiguous chunk per thread (at least 4096 elements each).
    static func split(_ n: Int, _ kernels: some ModelKernels, _ body: (Int, Int) -> Void) {
        let parts = max(1, min(kernels.threads, n / 4096))
        kernels.parallel(parts) { part in
            let lo = n * part / parts, hi = n * (part + 1) / parts
            if hi > lo { body(lo, hi - lo) }
        }
    }
}
