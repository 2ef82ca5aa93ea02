#include "CComputeKernels.h"
#include "bf16_bits.h"

#include <string.h>

/* The bf16 flash-attention tiles: C (+)= A B with A's rows read in place as bf16 pairs along the
 * contraction and B packed as pairs (one uint32 per column and contraction pair), fp32
 * accumulation by `vdpbf16ps`; the converters that pack fp32 tiles into those pairs. */

void cck_bf16_tile_portable(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc,
                            long m, long kp, long nv, float alpha, const float *lane_scale, int accumulate) {
    long cols = 16 * nv;
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        for (long j = 0; j < cols; j++) {
            float s = 0;
            for (long p = 0; p < kp; p++) {
                uint32_t pair = b[p * ldb + j];
                s += cck_bf16_to_float(a[i * lda + 2 * p]) * cck_bf16_to_float((uint16_t)pair)
                   + cck_bf16_to_float(a[i * lda + 2 * p + 1]) * cck_bf16_to_float((uint16_t)(pair >> 16));
            }
            float old = accumulate ? row[j] * (lane_scale ? lane_scale[j] : 1.0f) : 0.0f;
            row[j] = alpha * s + old;
        }
    }
}

void cck_f32_row_pairs_portable(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd) {
    for (long p = 0; 2 * p < rows; p++) {
        const float *lo = src + 2 * p * ld, *hi = lo + ld;
        int has_hi = 2 * p + 1 < rows;
        for (long j = 0; j < cols; j++)
            dst[p * ldd + j] = (uint32_t)cck_float_to_bf16(lo[j]) | (has_hi ? (uint32_t)cck_float_to_bf16(hi[j]) << 16 : 0u);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define CCK_BF16_TARGET __attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))

/* R rows x NV vectors of C (R * NV <= 24 accumulators): constant R and NV after inlining, so the
 * arrays live in zmm registers. */
CCK_BF16_TARGET static inline __attribute__((always_inline))
void tile_block(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc, long kp,
                __m512 va, const float *ls, int accumulate, const int R, const int NV) {
    __m512 s[12][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) s[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < kp; p++) {
        __m512bh bv[4];
        for (int v = 0; v < NV; v++) bv[v] = (__m512bh)_mm512_loadu_si512((const void *)(b + p * ldb + 16 * v));
        for (int r = 0; r < R; r++) {
            uint32_t pair;
            memcpy(&pair, a + r * lda + 2 * p, 4);
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)pair);
            for (int v = 0; v < NV; v++) s[r][v] = _mm512_dpbf16_ps(s[r][v], x, bv[v]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *row = c + r * ldc;
        for (int v = 0; v < NV; v++) {
            __m512 out = _mm512_mul_ps(va, s[r][v]);
            if (accumulate) {
                __m512 old = _mm512_loadu_ps(row + 16 * v);
                out = ls ? _mm512_fmadd_ps(old, _mm512_loadu_ps(ls + 16 * v), out) : _mm512_add_ps(old, out);
            }
            _mm512_storeu_ps(row + 16 * v, out);
        }
    }
}

#define CCK_ROWS(RB, NV)                                                                       \
    for (; i + (RB) <= m; i += (RB))                                                           \
        tile_block(a + i * lda, lda, b, ldb, c + i * ldc, ldc, kp, va, lane_scale, accumulate, (RB), (NV));

CCK_BF16_TARGET
void cck_bf16_tile_avx512(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc,
                          long m, long kp, long nv, float alpha, const float *lane_scale, int accumulate) {
    __m512 va = _mm512_set1_ps(alpha);
    long i = 0;
    switch (nv) {
    case 4: CCK_ROWS(6, 4) CCK_ROWS(4, 4) CCK_ROWS(2, 4) CCK_ROWS(1, 4) break;
    case 3: CCK_ROWS(8, 3) CCK_ROWS(4, 3) CCK_ROWS(2, 3) CCK_ROWS(1, 3) break;
    case 2: CCK_ROWS(12, 2) CCK_ROWS(4, 2) CCK_ROWS(2, 2) CCK_ROWS(1, 2) break;
    case 1: CCK_ROWS(12, 1) CCK_ROWS(4, 1) CCK_ROWS(1, 1) break;
    default:
        cck_bf16_tile_portable(a, lda, b, ldb, c, ldc, m, kp, nv, alpha, lane_scale, accumulate);
    }
}
#undef CCK_ROWS

CCK_BF16_TARGET
static void row_pairs_avx512(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd) {
    for (long p = 0; 2 * p < rows; p++) {
        const float *lo = src + 2 * p * ld, *hi = lo + ld;
        int has_hi = 2 * p + 1 < rows;
        long j = 0;
        for (; j + 16 <= cols; j += 16) {
            __m512i l = cck_bf16_lanes_avx512(_mm512_loadu_si512((const void *)(lo + j)));
            __m512i h = has_hi ? _mm512_slli_epi32(cck_bf16_lanes_avx512(_mm512_loadu_si512((const void *)(hi + j))), 16)
                               : _mm512_setzero_si512();
            _mm512_storeu_si512((void *)(dst + p * ldd + j), _mm512_or_si512(l, h));
        }
        for (; j < cols; j++)
            dst[p * ldd + j] = (uint32_t)cck_float_to_bf16(lo[j]) | (has_hi ? (uint32_t)cck_float_to_bf16(hi[j]) << 16 : 0u);
    }
}

void cck_f32_row_pairs(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd) {
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        row_pairs_avx512(src, ld, rows, cols, dst, ldd);
    else
        cck_f32_row_pairs_portable(src, ld, rows, cols, dst, ldd);
}
#else
void cck_bf16_tile_avx512(const uint16_t *a, long lda, const uint32_t *b, long ldb, float *c, long ldc,
                          long m, long kp, long nv, float alpha, const float *lane_scale, int accumulate) {
    cck_bf16_tile_portable(a, lda, b, ldb, c, ldc, m, kp, nv, alpha, lane_scale, accumulate);
}

void cck_f32_row_pairs(const float *src, long ld, long rows, long cols, uint32_t *dst, long ldd) {
    cck_f32_row_pairs_portable(src, ld, rows, cols, dst, ldd);
}
#endif
