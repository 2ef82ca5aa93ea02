import Compute

/// What a mixed-precision block saves for backward in narrow formats (`PrecisionPolicy`), per
/// layer, at the rank's local widths: the matmul inputs (norm outputs, merged attention output,
/// GELU output), the attention inputs q, k, v and the GELU input. The fp32 residual stream, norm
/// statistics and attention logsumexp stay in `BlockActivations`' fp32 tensors.
public final class NarrowActivations {
    let ln1, attY, ln2, fcG: [PrecisionTensor]
    let q, k, v, fcH: [PrecisionTensor]

    init(_ policy: PrecisionPolicy, layers n: Int, R: Int, C: Int, Cl: Int, Fl: Int) {
        func many(_ f: StorageFormat, _ count: Int) -> [PrecisionTensor] {
            (0..<n).map { _ in PrecisionTensor(format: f, count: count) }
        }
        ln1 = many(policy.matmulActivations, R * C); attY = many(policy.matmulActivations, R * Cl)
        ln2 = many(policy.matmulActivations, R * C); fcG = many(policy.matmulActivations, R * Fl)
        q = many(policy.attentionInputs, R * Cl); k = many(policy.attentionInputs, R * Cl)
        v = many(policy.attentionInputs, R * Cl); fcH = many(policy.preActivations, R * Fl)
    }

    var bytes: Int { [ln1, attY, ln2, fcG, q, k, v, fcH].flatMap { $0 }.reduce(0) { $0 + $1.bytes } }
}

/// Scratch of the mixed-precision block: one output gradient in the compute format, the bf16
/// dequantization of one e4m3 operand (fp8 only), the rebuilt attention output, and fp32 copies
/// of q, k, v for the fp32 attention kernels (fp16, which has no attention kernel of its own,
/// and ring attention, which passes fp32 blocks between ranks).
public final class NarrowScratch {
    let compute: HalfFormat
    let dout: AlignedBuffer<UInt16>
    let operand: AlignedBuffer<UInt16>
    let attO: FloatBuffer
    let wideQ, wideK, wideV: FloatBuffer

    init(_ policy: PrecisionPolicy, R: Int, C: Int, Cl: Int, Fl: Int, widenAttention: Bool) {
        compute = policy.compute!
        dout = AlignedBuffer(count: R * max(3 * Cl, Fl, C))
        operand = AlignedBuffer(count: policy.matmulActivations == .e4m3 ? R * max(Fl, C) : 0)
        attO = FloatBuffer(count: R * Cl)
        let wide = widenAttention || policy.attentionInputs != .bf16 ? R * Cl : 0
        wideQ = FloatBuffer(count: wide); wideK = FloatBuffer(count: wide); wideV = FloatBuffer(count: wide)
    }

    var bytes: Int { 2 * (dout.count + operand.count) + [attO, wideQ, wideK, wideV].reduce(0) { $0 + $1.bytes } }
}

/// The copy of the matmul weights the mixed-precision matmuls read, in the policy's format
/// (fp8: e4m3 with a per-tensor power-of-two scale, then exactly to bf16), at the same offsets
/// as the fp32 parameters it is refreshed from (other offsets unused).
public final class MatmulWeights {
    let policy: PrecisionPolicy
    let storage: AlignedBuffer<UInt16>
    /// e4m3 staging of one weight tensor (fp8 only).
    let staged: AlignedBuffer<FP8E4M3>
    /// The matmul weight tensors (offset, count) in the parameter buffer.
    let tensors: [(offset: Int, count: Int)]

    /// `count` parameters of which `tensors` are matmul weights.
    public init(_ policy: PrecisionPolicy, count: Int, tensors: [(offset: Int, count: Int)]) {
        precondition(policy.isMixed, "fp32 matmuls read the parameters")
        self.policy = policy
        self.tensors = tensors
        storage = AlignedBuffer(count: count)
        staged = AlignedBuffer(count: policy.matmulWeights == .e4m3 ? tensors.map(\.count).max() ?? 0 : 0)
    }

    /// The matmul weights of `layout`'s blocks and head.
    convenience init(_ policy: PrecisionPolicy, layout: ParameterLayout, config c: GPTConfig) {
        var mats: [(offset: Int, count: Int)] = []
        let C = c.dModel, F = c.dFF
        for b in layout.blocks { mats += [(b.qkvw, 3 * C * C), (b.projw, C * C), (b.fcw, F * C), (b.fc2w, C * F)] }
        mats.append((layout.head, c.vocab * C))
        self.init(policy, count: layout.count, tensors: mats)
    }

    public var bytes: Int { 2 * storage.count + staged.count }

    /// The weight at parameter offset `offset`.
    public func at(_ offset: Int) -> UnsafePointer<UInt16> { UnsafePointer(storage.pointer + offset) }

    /// Rounds the matmul weights of `params` into this copy. Cheap next to the matmuls (one pass
    /// over the weights per forward), so the copy can never be stale.
    public func refresh(from params: UnsafePointer<Float>, kernels: some ModelKernels) {
        for (offset, count) in tensors {
            let src = params + offset, dst = storage.pointer + offset
            switch policy.matmulWeights {
            case .bf16:
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToBFloat16(src + lo, bf16Pointer(dst + lo), count: n)
                }
            case .fp16:
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToFloat16(src + lo, UnsafeMutableRawPointer(dst + lo).assumingMemoryBound(to: Float16.self), count: n)
                }
            case .e4m3:
                let scale = FP8E4M3.scale(forAbsMax: Convert.absMax(src, count: count))
                let stage = staged.pointer
                PrecisionTensor.split(count, kernels) { lo, n in
                    Convert.floatToFP8E4M3(src + lo, stage + lo, count: n, scale: scale)
                    Convert.fp8E4M3ToBFloat16(stage + lo, bf16Pointer(dst + lo), count: n, scale: scale)
                }
            case .fp32:
                preconditionFailure("fp32 weights take the fp32 path")
            }
        }
    }

    /// Block `b`'s four matmul weights in this copy.
    public func block(_ b: ParameterLayout.Block, at offset: (Int) -> Int = { $0 }) -> BlockHalfWeights {
        BlockHalfWeights(qkvw: at(offset(b.qkvw)), projw: at(offset(b.projw)), fcw: at(offset(b.fcw)), fc2w: at(offset(b.fc2w)))
    }
}

/// One block's matmul weights as the mixed-precision matmuls read them.
public struct BlockHalfWeights {
    public var qkvw, projw, fcw, fc2w: UnsafePointer<UInt16>
}

@inline(__always)
func bf16Pointer(_ p: UnsafeMutablePointer<UInt16>) -> UnsafeMutablePointer<BFloat16> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: BFloat16.self)
}

@inline(__always)
func bf16(_ t: PrecisionTensor) -> UnsafePointer<BFloat16> {
    UnsafeRawPointer(t.half()).assumingMemoryBound(to: BFloat16.self)
}
