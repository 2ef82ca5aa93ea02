#include "CComputeKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* Packing for the vdpbf16ps GEMM (the caller's tier is avx512bf16, so AVX-512 F/BW/VL are present).
 * Reference: the Swift packers in GEMM+BF16.swift, which these replace on that tier. */

__attribute__((target("avx512f,avx512bw,avx512vl")))
void cck_bf16_pack_pair_panels(const uint16_t *src, long ld, long kc, long cols, long width,
                               uint32_t *dst) {
    long kc2 = (kc + 1) / 2, panels = (cols + width - 1) / width;
    /* k-pair outermost: each pair of source rows is read once, left to right, for every panel */
    for (long p = 0; p < kc2; p++) {
        const uint16_t *r0 = src + 2 * p * ld;
        const uint16_t *r1 = r0 + ld;
        int hasHigh = 2 * p + 1 < kc;
        for (long t = 0; t < panels; t++) {
            uint32_t *out = dst + (t * kc2 + p) * width;
            for (long j = 0; j < width; j += 16) {
                long c = t * width + j;
                long live = cols - c < 0 ? 0 : (cols - c > 16 ? 16 : cols - c);
                long lanes = width - j > 16 ? 16 : width - j;
                __mmask16 lm = (__mmask16)((1u << live) - 1u);
                __mmask16 sm = (__mmask16)((1u << lanes) - 1u);
                __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lm, r0 + c));
                if (hasHigh) {
                    __m512i hi = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lm, r1 + c));
                    v = _mm512_or_si512(v, _mm512_slli_epi32(hi, 16));
                }
                _mm512_mask_storeu_epi32(out + j, sm, v);
            }
        }
    }
}

/* 16 x 16 transpose of 32-bit lanes held in r[0..15] (row i in r[i]); on return r[i] is column i. */
__attribute__((target("avx512f"), always_inline))
static inline void cck_transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    /* u[4g + c] holds, in each 128-bit lane L, column (4L + c) of rows 4g..4g+3. */
    for (int c = 0; c < 4; c++) {
        __m512i a01 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88);      /* lanes 0,2 of g0 | 0,2 of g1 */
        __m512i b01 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xdd);      /* lanes 1,3 of g0 | 1,3 of g1 */
        __m512i a23 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);
        __m512i b23 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xdd);
        r[c] = _mm512_shuffle_i32x4(a01, a23, 0x88);        /* lane 0 of g0,g1,g2,g3 */
        r[8 + c] = _mm512_shuffle_i32x4(a01, a23, 0xdd);    /* lane 2 */
        r[4 + c] = _mm512_shuffle_i32x4(b01, b23, 0x88);    /* lane 1 */
        r[12 + c] = _mm512_shuffle_i32x4(b01, b23, 0xdd);   /* lane 3 */
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void cck_bf16_pack_rows(const uint16_t *src, long ld, long kc, long rows, long width,
                        uint32_t *dst) {
    long pairs = kc / 2, kc2 = (kc + 1) / 2;
    for (long r0 = 0; r0 < width; r0 += 16) {
        long live = rows - r0 < 0 ? 0 : (rows - r0 > 16 ? 16 : rows - r0);
        long lanes = width - r0 > 16 ? 16 : width - r0;
        __mmask16 sm = (__mmask16)((1u << lanes) - 1u);
        long p = 0;
        for (; p + 16 <= pairs; p += 16) {
            __m512i r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < live ? _mm512_loadu_si512((const void *)(src + (r0 + i) * ld + 2 * p))
                                : _mm512_setzero_si512();
            cck_transpose16(r);
            for (int q = 0; q < 16; q++) _mm512_mask_storeu_epi32(dst + (p + q) * width + r0, sm, r[q]);
        }
        for (; p < kc2; p++) {
            uint32_t *out = dst + p * width + r0;
            for (long i = 0; i < lanes; i++) {
                uint32_t v = 0;
                if (i < live) {
                    const uint16_t *row = src + (r0 + i) * ld + 2 * p;
                    v = (uint32_t)row[0] | (2 * p + 1 < kc ? (uint32_t)row[1] << 16 : 0u);
                }
                out[i] = v;
            }
        }
    }
}
#else
void cck_bf16_pack_pair_panels(const uint16_t *src, long ld, long kc, long cols, long width,
                               uint32_t *dst) { (void)src; (void)ld; (void)kc; (void)cols; (void)width; (void)dst; }
void cck_bf16_pack_rows(const uint16_t *src, long ld, long kc, long rows, long width,
                        uint32_t *dst) { (void)src; (void)ld; (void)kc; (void)rows; (void)width; (void)dst; }
#endif
