import Compute

/// The attention kernels' bf16 input type: Compute's `BFloat16` (UInt16 storage,
/// round-to-nearest-even from Float, NaN kept NaN).
public typealias BF16 = BFloat16
