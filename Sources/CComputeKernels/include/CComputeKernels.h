#ifndef CCOMPUTEKERNELS_H
#define CCOMPUTEKERNELS_H

#include <stdint.h>

/// Rows of the bf16 micro-tile (one broadcast k-pair of A per row).
#define CCK_BF16_MR 14
/// Columns of the bf16 micro-tile (two zmm registers of fp32 accumulators per row).
#define CCK_BF16_NR 32

/// Kernel tiers the running CPU (and OS) supports, as a bit set of these flags; 0 off x86-64.
#define CCK_TIER_AVX2 1        /* AVX2, FMA, F16C, BMI2 (the package's x86-64 baseline) */
#define CCK_TIER_AVX512 2      /* AVX512 F, BW, DQ, VL, CD */
#define CCK_TIER_AVX512BF16 4  /* AVX512_BF16 on top of the above */
int cck_cpu_tiers(void);

/// The CPU's brand string with its family and model, e.g. "AMD EPYC (family 25, model 17)",
/// written to `out` (at most `size` bytes, NUL-terminated).
void cck_cpu_model(char *out, long size);

/// 1 when the running CPU executes AVX512F + AVX512_BF16 (`vdpbf16ps`), else 0.
int cck_cpu_has_avx512bf16(void);

/// Measured FLOP-rate ratio of `vdpbf16ps` over fp32 `vfmadd231ps` on this core (zmm, 12
/// independent accumulators each, best of 3 short runs of ~20 us): ~2 where the bf16 dot product
/// runs at full rate, ~1 or below where it does not. 0 when the CPU lacks AVX512_BF16.
double cck_bf16_dot_speedup(void);

/// bf16 micro-kernel: C[MR x NR] (+)= alpha * sum_p A_p B_p with fp32 accumulation.
///
/// Packed formats (k padded with zeros to an even count, `kc2` = number of k pairs):
///   a[(p * MR + i) * 2 + h] = A[i, 2p + h]      (MR rows, k-pairs interleaved per row)
///   b[(p * NR + j) * 2 + h] = B[2p + h, j]      (NR columns, 64-byte aligned)
/// `c` is row-major with row stride `ldc` (in floats); `accumulate` != 0 adds into it.
/// Requires `cck_cpu_has_avx512bf16()`.
void cck_bf16_kernel_avx512(long kc2, const uint16_t *a, const uint16_t *b,
                            float *c, long ldc, float alpha, int accumulate);

/// Same contract as `cck_bf16_kernel_avx512`, in portable C (runs on any CPU).
void cck_bf16_kernel_portable(long kc2, const uint16_t *a, const uint16_t *b,
                              float *c, long ldc, float alpha, int accumulate);

/// fp32 -> bf16 bit patterns, round to nearest even, NaN kept NaN (quiet bit set): the same
/// results as Swift's `BFloat16.round`, 16 lanes at a time with AVX-512. Returns 0 (and writes
/// nothing) when the CPU lacks AVX512F/BW, 1 otherwise.
int cck_f32_to_bf16(const float *src, uint16_t *dst, long n);

/// fp32 -> IEEE fp16 bit patterns (vcvtps2ph, round to nearest even, overflow to infinity).
/// Returns 0 (and writes nothing) when the CPU lacks AVX512F, 1 otherwise.
int cck_f32_to_f16(const float *src, uint16_t *dst, long n);

/// Packs k-pairs of two rows for the bf16 kernel into ceil(cols / width) panels (width <= 32),
/// panel t at dst + t * ceil(kc/2) * width: dst[(t*ceil(kc/2) + p)*width + j] = src[2p*ld + c] |
/// src[(2p+1)*ld + c] << 16 with c = t*width + j < cols (the high half 0 past an odd kc), 0 for
/// c >= cols. A^T's row panels and B's column panels have this form; the source is read one row
/// pair at a time across all panels. AVX-512 F/BW/VL required (x86-64 only; the tier avx512bf16
/// calls it); does nothing elsewhere.
void cck_bf16_pack_pair_panels(const uint16_t *src, long ld, long kc, long cols, long width,
                               uint32_t *dst);

/// Packs rows' k-pairs transposed: dst[p*width + i] = src[i*ld + 2p] | src[i*ld + 2p+1] << 16
/// for i < rows (the high half 0 past an odd kc), 0 for rows <= i < width (width <= 32). A's row
/// panels and B^T's column panels have this form. Same requirements as `cck_bf16_pack_pair_panels`.
void cck_bf16_pack_rows(const uint16_t *src, long ld, long kc, long rows, long width,
                        uint32_t *dst);

/// bf16 attention tile: for i < m and j < 16 * nv (nv in 1...4),
///   C[i, j] = alpha * sum_{p < kp} (A[i, 2p] B_lo[p, j] + A[i, 2p+1] B_hi[p, j])
///             (+ C[i, j] * lane_scale[j] when `accumulate`; lane_scale NULL means 1),
/// A bf16 row-major read in place (row i at a + i * lda, 2 * kp elements), B packed as pairs:
/// b[p * ldb + j] = B[2p, j] | B[2p+1, j] << 16; c row-major fp32 (row stride ldc). fp32
/// accumulation with `vdpbf16ps` (which flushes subnormals); requires `cck_cpu_has_avx512bf16()`.
void cck_bf16_tile_avx512(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc,
                          long m, long kp, long nv, float alpha, const float *lane_scale, int accumulate);

/// Same contract as `cck_bf16_tile_avx512` in portable C (any CPU; the reference and the fallback).
void cck_bf16_tile_portable(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc,
                            long m, long kp, long nv, float alpha, const float *lane_scale, int accumulate);

/// Packs pairs of consecutive fp32 rows as bf16 (round to nearest even, NaN quiet):
/// dst[p * ldd + j] = bf16(src[2p * ld + j]) | bf16(src[(2p+1) * ld + j]) << 16 for 2p < rows,
/// j < cols, the high half 0 past an odd `rows`. AVX-512 where the CPU has it, else portable.
void cck_f32_row_pairs(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd);

/// `cck_f32_row_pairs` in portable C (the reference).
void cck_f32_row_pairs_portable(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd);

#endif
