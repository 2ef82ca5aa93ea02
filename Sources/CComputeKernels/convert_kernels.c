#include "CComputeKernels.h"
#include "bf16_bits.h"

#if defined(__x86_64__)
#include <immintrin.h>

/// 16 lanes of round-to-nearest-even fp32 -> bf16, NaN made quiet (as BFloat16.round).
__attribute__((target("avx512f,avx512bw")))
static void f32_to_bf16_avx512(const float *src, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i r = cck_bf16_lanes_avx512(_mm512_loadu_si512((const void *)(src + i)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++) dst[i] = cck_float_to_bf16(src[i]);
}

/// 16 lanes of IEEE round-to-nearest-even fp32 -> fp16 (vcvtps2ph).
__attribute__((target("avx512f")))
static void f32_to_f16_avx512(const float *src, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_si256((__m256i *)(dst + i), h);
    }
    if (i < n) {
        float tail[16] = {0};
        uint16_t out[16];
        for (long j = i; j < n; j++) tail[j - i] = src[j];
        _mm256_storeu_si256((__m256i *)out, _mm512_cvtps_ph(_mm512_loadu_ps(tail), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        for (long j = i; j < n; j++) dst[j] = out[j - i];
    }
}

int cck_f32_to_bf16(const float *src, uint16_t *dst, long n) {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) return 0;
    f32_to_bf16_avx512(src, dst, n);
    return 1;
}

int cck_f32_to_f16(const float *src, uint16_t *dst, long n) {
    if (!__builtin_cpu_supports("avx512f")) return 0;
    f32_to_f16_avx512(src, dst, n);
    return 1;
}
#else
int cck_f32_to_bf16(const float *src, uint16_t *dst, long n) { (void)src; (void)dst; (void)n; return 0; }
int cck_f32_to_f16(const float *src, uint16_t *dst, long n) { (void)src; (void)dst; (void)n; return 0; }
#endif
