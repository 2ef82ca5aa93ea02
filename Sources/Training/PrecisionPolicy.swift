/// How one tensor is stored.
public enum StorageFormat: String, Sendable, CaseIterable {
    /// IEEE binary32.
    case fp32
    /// bfloat16 (8-bit exponent, 7-bit mantissa; round to nearest even).
    case bf16
    /// IEEE binary16 (5-bit exponent, 10-bit mantissa; overflows to infinity past 65504).
    case fp16
    /// fp8 E4M3 with one power-of-two scale per tensor (saturating at 448; see `FP8E4M3`).
    case e4m3

    public var bytesPerElement: Int {
        switch self {
        case .fp32: return 4
        case .bf16, .fp16: return 2
        case .e4m3: return 1
        }
    }
}

/// The 16-bit format the mixed-precision matmuls and attention read (always fp32 accumulation).
public enum HalfFormat: String, Sendable {
    case bf16, fp16

    public var storage: StorageFormat { self == .bf16 ? .bf16 : .fp16 }
}

/// Which tensor lives in which precision: the one place the GPT's forward and backward passes
/// and the trainer look this up (no other code decides a cast).
///
/// | tensor                                              | fp32 | bf16 | fp16 | fp8 (experimental) |
/// |-----------------------------------------------------|------|------|------|--------------------|
/// | master weights, gradient accumulation, AdamW m, v   | fp32 | fp32 | fp32 | fp32               |
/// | residual stream (block inputs/outputs, saved)       | fp32 | fp32 | fp32 | fp32               |
/// | norm statistics (mean, rstd), attention logsumexp   | fp32 | fp32 | fp32 | fp32               |
/// | softmax and cross-entropy loss                      | fp32 | fp32 | fp32 | fp32               |
/// | matmul weights as read by the matmuls (a copy of    | fp32 | bf16 | fp16 | e4m3 per-tensor    |
/// |   the master weights, refreshed every forward)      |      |      |      |   scale, read as bf16 |
/// | saved matmul inputs: norm outputs, attention output | fp32 | bf16 | fp16 | e4m3 per-tensor    |
/// |   (merged heads), GELU output                       |      |      |      |   scale, read as bf16 |
/// | saved attention inputs q, k, v                      | fp32 | bf16 | fp16 | bf16               |
/// | saved GELU input (MLP pre-activation)               | fp32 | bf16 | fp16 | bf16               |
/// | output gradients fed to matmuls (incl. dlogits)     | fp32 | bf16 | fp16 | bf16               |
/// | gradients between layers (dx), bias gradients       | fp32 | fp32 | fp32 | fp32               |
/// | dynamic loss scaling                                | no   | no   | yes  | no                 |
///
/// Matmuls of the low-precision policies multiply two operands of `compute` format with fp32
/// accumulation and fp32 output (bias added in fp32). e4m3 tensors are quantized with a
/// power-of-two scale (`FP8E4M3.scale(forAbsMax:)`) and dequantized exactly to bf16 before the
/// matmul, so fp8 changes the values (rounding, saturation) but computes through the bf16 path.
/// Gradients stay out of e4m3: its 2^-9...448 range is too narrow for them (e5m2 is not built).
/// Under `.fp32` every entry is fp32 and the model runs its original fp32 code path.
public struct PrecisionPolicy: Sendable, Equatable {
    public let precision: TrainConfig.Precision

    public init(_ precision: TrainConfig.Precision) { self.precision = precision }

    /// false only for fp32.
    public var isMixed: Bool { precision != .fp32 }

    /// Format the matmul and attention kernels read; nil under fp32.
    public var compute: HalfFormat? {
        switch precision {
        case .fp32: return nil
        case .bf16, .fp8: return .bf16
        case .fp16: return .fp16
        }
    }

    /// Master weights, gradient accumulation, optimizer moments, residual stream, norm statistics,
    /// softmax, loss: always fp32.
    public var master: StorageFormat { .fp32 }

    /// The copy of the matmul weights that the matmuls read.
    public var matmulWeights: StorageFormat {
        precision == .fp8 ? .e4m3 : (compute?.storage ?? .fp32)
    }

    /// Saved inputs of linear layers (norm outputs, merged attention output, GELU output).
    public var matmulActivations: StorageFormat { matmulWeights }

    /// Saved attention inputs q, k, v.
    public var attentionInputs: StorageFormat { compute?.storage ?? .fp32 }

    /// Saved MLP pre-activation (GELU input).
    public var preActivations: StorageFormat { compute?.storage ?? .fp32 }

    /// Output gradients as matmul operands in backward, including the saved dlogits.
    public var outputGradients: StorageFormat { compute?.storage ?? .fp32 }

    /// Whether the trainer scales the loss dynamically (fp16's 5-bit exponent underflows
    /// small gradients otherwise).
    public var usesLossScaling: Bool { precision == .fp16 }
}

extension TrainConfig.Precision {
    /// The tensor-by-tensor policy of this precision.
    public var policy: PrecisionPolicy { PrecisionPolicy(self) }

    /// fp8 is experimental: it studies e4m3 rounding's effect on the loss, computing through bf16.
    public var isExperimental: Bool { self == .fp8 }
}
