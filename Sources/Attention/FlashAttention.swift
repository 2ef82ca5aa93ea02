import Compute
/// Exact scaled-dot-product attention without a T x T matrix (FlashAttention-2 on the CPU).
///
/// Notation: B batch, NH heads, T sequence length, d head dim (1...128). Every (B, NH, T, d) tensor
/// is contiguous row-major: element (b, h, t, c) at `((b * NH + h) * T + t) * d + c`; `lse` is
/// (B, NH, T) at `(b * NH + h) * T + t`.
///
/// Forward, per (b, h), with s_ij = q_i . k_j / sqrt(d) and the causal mask j <= i:
///
///     O_i = sum_j P_ij v_j,   P_ij = exp(s_ij - lse_i),   lse_i = log sum_j exp(s_ij)
///
/// computed over 64 x 64 tiles of (queries, keys) with an online softmax (running max m_i and sum
/// l_i, rescaling the partial O_i when m_i grows). Causal tiles above the diagonal are skipped;
/// diagonal tiles are masked. Backward recomputes P tile by tile from `lse`:
///
///     D_i = sum_c dO_ic O_ic
///     dV_j = sum_i P_ij dO_i,   dP_ij = dO_i . v_j,   dS_ij = P_ij (dP_ij - D_i)
///     dQ_i = sum_j dS_ij k_j / sqrt(d),   dK_j = sum_i dS_ij q_i / sqrt(d)
///
/// Tiles are held transposed (key rows, 64 query lanes), so the per-query max, sum, logsumexp and
/// D are lane-wise vector operations; the tile products are register-blocked SIMD16 FMA loops
/// (`TileKernels.swift`). Work split: forward over (b, h, query tile); backward over (b, h, key
/// chunk), each unit owning its key tiles' dK, dV and summing dQ in a fixed order (`BackwardPlan`).
///
/// q, k, v are fp32 or bf16; accumulation, `out`, `lse` and all gradients are fp32. bf16 inputs
/// are widened to fp32 tiles, or, where bf16 GEMMs run on `vdpbf16ps`, multiplied as bf16 by the
/// dot-product tiles (`FlashAttention+BF16Dot.swift`: P, dS and dO rounded to bf16 where they enter
/// a product, as FlashAttention-2 does). Extra memory is O(threads * T * d) (per-worker head
/// buffers of the backward pass) plus O(T * d) dQ partials when B * NH < 8, and on the bf16 dot
/// path a bf16 V^T of every head in the forward (the size of v; see `scratchBytes`), never O(T^2).
/// Results are bit-identical for every `threads` value.
public enum FlashAttention {
    /// Forward pass: writes `out` (B, NH, T, d) and the natural-log row logsumexp `lse` (B, NH, T),
    /// which `backward` needs.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int,
                               pool: ThreadPool? = nil) throws {
        let shape = try AttentionShape(B: B, NH: NH, T: T, d: d, threads: threads)
        forwardImpl(q: q, k: k, v: v, out: out, lse: lse, shape: shape, causal: causal, threads: threads, pool: pool)
    }

    /// Forward pass with bf16 q, k, v (fp32 accumulation, fp32 `out` and `lse`). `kernel` as in
    /// `GEMM.multiply`: `.automatic` runs the `vdpbf16ps` tiles where bf16 GEMMs do (see
    /// `usesBF16DotProduct`), `.widening` widens q, k, v to fp32 tiles (exact products),
    /// `.dotProduct` / `.portable` force the dot path's tiles in AVX-512 / portable C.
    public static func forward(q: UnsafePointer<BF16>, k: UnsafePointer<BF16>, v: UnsafePointer<BF16>,
                               out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int,
                               pool: ThreadPool? = nil, kernel: BF16Kernel = .automatic) throws {
        let shape = try AttentionShape(B: B, NH: NH, T: T, d: d, threads: threads)
        if let tiles = bf16Tiles(kernel, d: d) {
            dotForward(q: q, k: k, v: v, out: out, lse: lse, shape: shape, causal: causal, threads: threads,
                       pool: pool, kernel: tiles)
            return
        }
        forwardImpl(q: q, k: k, v: v, out: out, lse: lse, shape: shape, causal: causal, threads: threads, pool: pool)
    }

    /// Backward pass: from the forward inputs, its `out` and `lse`, and the output gradient `dOut`,
    /// writes (overwrites, does not accumulate) `dq`, `dk`, `dv`, all (B, NH, T, d).
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>,
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int,
                               pool: ThreadPool? = nil) throws {
        let shape = try AttentionShape(B: B, NH: NH, T: T, d: d, threads: threads)
        backwardImpl(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: dq, dk: dk, dv: dv,
                     shape: shape, causal: causal, threads: threads, pool: pool)
    }

    /// Backward pass with bf16 q, k, v (fp32 everything else; on the dot path dO, P and dS are
    /// rounded to bf16 where they enter a product). `kernel` as in `forward`.
    public static func backward(q: UnsafePointer<BF16>, k: UnsafePointer<BF16>, v: UnsafePointer<BF16>,
                                out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>,
                                B: Int, NH: Int, T: Int, d: Int, causal: Bool, threads: Int,
                                pool: ThreadPool? = nil, kernel: BF16Kernel = .automatic) throws {
        let shape = try AttentionShape(B: B, NH: NH, T: T, d: d, threads: threads)
        if let tiles = bf16Tiles(kernel, d: d) {
            dotBackward(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: dq, dk: dk, dv: dv,
                        shape: shape, causal: causal, threads: threads, pool: pool, kernel: tiles)
            return
        }
        backwardImpl(q: q, k: k, v: v, out: out, lse: lse, dOut: dOut, dq: dq, dk: dk, dv: dv,
                     shape: shape, causal: causal, threads: threads, pool: pool)
    }

    /// Bytes the kernels allocate internally (not counting caller-owned q, k, v, out, lse, dOut and
    /// gradients): forward per-worker tiles; backward per-worker tiles, D (B, NH, T) and, when
    /// B * NH < 8, the per-key-chunk dQ partial sums. `bf16Inputs` selects the bf16 overloads (their
    /// backward keeps widened copies of a head's Q and dO rows).
    public static func scratchBytes(B: Int, NH: Int, T: Int, d: Int, threads: Int, bf16Inputs: Bool = false)
        -> (forward: Int, backward: Int) {
        let shape = AttentionShape(unchecked: B, NH: NH, T: T, d: d)
        if bf16Inputs && bf16Tiles(.automatic, d: d) != nil {
            return (DotForwardPlan(shape: shape, threads: threads).scratchFloats * 4,
                    DotBackwardPlan(shape: shape, threads: threads).scratchFloats * 4)
        }
        let fw = ForwardPlan(shape: shape, threads: threads)
        let bw = BackwardPlan(shape: shape, threads: threads, copiesRows: bf16Inputs)
        return (fw.scratchFloats * 4, bw.scratchFloats * 4)
    }
}

extension AttentionShape {
    /// For size queries only (no validation).
    init(unchecked B: Int, NH: Int, T: Int, d: Int) {
        self.B = B; self.NH = NH; self.T = T; self.d = d
    }
}
