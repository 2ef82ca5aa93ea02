#include "CComputeKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CCK_X86 1
#endif

int cck_cpu_has_avx512bf16(void) {
#if CCK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

#if CCK_X86
#define MR CCK_BF16_MR
#define ACC2(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps();
#define STEP(i)                                                                  \
    {                                                                            \
        uint32_t pair;                                                           \
        memcpy(&pair, a + 2 * (i), 4);                                           \
        __m512bh av = (__m512bh)_mm512_set1_epi32((int)pair);                    \
        c##i##_0 = _mm512_dpbf16_ps(c##i##_0, av, b0);                           \
        c##i##_1 = _mm512_dpbf16_ps(c##i##_1, av, b1);                           \
    }
#define STORE(i)                                                                 \
    {                                                                            \
        float *row = c + (i) * ldc;                                              \
        __m512 r0 = _mm512_mul_ps(va, c##i##_0), r1 = _mm512_mul_ps(va, c##i##_1); \
        if (accumulate) {                                                        \
            r0 = _mm512_add_ps(r0, _mm512_loadu_ps(row));                        \
            r1 = _mm512_add_ps(r1, _mm512_loadu_ps(row + 16));                   \
        }                                                                        \
        _mm512_storeu_ps(row, r0);                                               \
        _mm512_storeu_ps(row + 16, r1);                                          \
    }

__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))
void cck_bf16_kernel_avx512(long kc2, const uint16_t *a, const uint16_t *b,
                            float *c, long ldc, float alpha, int accumulate) {
    ACC2(0) ACC2(1) ACC2(2) ACC2(3) ACC2(4) ACC2(5) ACC2(6)
    ACC2(7) ACC2(8) ACC2(9) ACC2(10) ACC2(11) ACC2(12) ACC2(13)
    for (long p = 0; p < kc2; p++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)b);
        __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(b + 32));
        STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6)
        STEP(7) STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13)
        a += 2 * MR;
        b += 2 * CCK_BF16_NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6)
    STORE(7) STORE(8) STORE(9) STORE(10) STORE(11) STORE(12) STORE(13)
}
#undef MR
#else
void cck_bf16_kernel_avx512(long kc2, const uint16_t *a, const uint16_t *b,
                            float *c, long ldc, float alpha, int accumulate) {
    cck_bf16_kernel_portable(kc2, a, b, c, ldc, alpha, accumulate);
}
#endif

static inline float cck_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void cck_bf16_kernel_portable(long kc2, const uint16_t *a, const uint16_t *b,
                              float *c, long ldc, float alpha, int accumulate) {
    enum { M = CCK_BF16_MR, N = CCK_BF16_NR };
    float acc[M][N];
    memset(acc, 0, sizeof acc);
    for (long p = 0; p < kc2; p++) {
        float bl[N], bh[N];
        for (int j = 0; j < N; j++) {
            bl[j] = cck_bf16_to_float(b[2 * j]);
            bh[j] = cck_bf16_to_float(b[2 * j + 1]);
        }
        for (int i = 0; i < M; i++) {
            float al = cck_bf16_to_float(a[2 * i]), ah = cck_bf16_to_float(a[2 * i + 1]);
            for (int j = 0; j < N; j++) acc[i][j] += al * bl[j] + ah * bh[j];
        }
        a += 2 * M;
        b += 2 * N;
    }
    for (int i = 0; i < M; i++) {
        float *row = c + i * ldc;
        for (int j = 0; j < N; j++) row[j] = alpha * acc[i][j] + (accumulate ? row[j] : 0.0f);
    }
}
