#ifndef CCK_BF16_BITS_H
#define CCK_BF16_BITS_H
/* bf16 <-> fp32 bit conversions shared by the C kernels (private to this target): round to
 * nearest even, NaN kept NaN with the quiet bit set (the same results as Swift's BFloat16). */

#include <stdint.h>
#include <string.h>

static inline float cck_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t cck_float_to_bf16(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((b >> 16) | 0x40);
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* 16 floats (as bits) to bf16 in the low half of each 32-bit lane. */
__attribute__((target("avx512f,avx512bw")))
static inline __m512i cck_bf16_lanes_avx512(__m512i bits) {
    const __m512i magMask = _mm512_set1_epi32(0x7FFFFFFF), inf = _mm512_set1_epi32(0x7F800000);
    const __m512i bias = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
    __m512i high = _mm512_srli_epi32(bits, 16);
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(bits, bias), _mm512_and_si512(high, one)), 16);
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, magMask), inf);
    return _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(high, quiet));
}
#endif

#endif
