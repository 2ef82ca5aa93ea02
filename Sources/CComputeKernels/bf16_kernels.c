#include "CComputeKernels.h"
#include "bf16_bits.h"

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

#include <time.h>

static double cck_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define CCK_CHAINS(OP)                                                           \
    for (long i = 0; i < n; i++) {                                               \
        __asm__ volatile("" : "+v"(x));                                          \
        OP(a0) OP(a1) OP(a2) OP(a3) OP(a4) OP(a5)                                \
        OP(a6) OP(a7) OP(a8) OP(a9) OP(a10) OP(a11)                              \
    }                                                                            \
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), \
               _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));     \
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))); \
    return _mm512_reduce_add_ps(s);

#define CCK_ZERO12 __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, \
    a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;

__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw"), noinline))
static float cck_dot_loop(long n) {
    CCK_ZERO12
    __m512bh x = (__m512bh)_mm512_set1_epi16(0x3F80), y = (__m512bh)_mm512_set1_epi16(0x3A00);
#define DOT(acc) acc = _mm512_dpbf16_ps(acc, x, y);
    CCK_CHAINS(DOT)
#undef DOT
}

__attribute__((target("avx512f,fma"), noinline))
static float cck_fma_loop(long n) {
    CCK_ZERO12
    __m512 x = _mm512_set1_ps(1e-3f), y = _mm512_set1_ps(0.5f);
#define FMA(acc) acc = _mm512_fmadd_ps(x, y, acc);
    CCK_CHAINS(FMA)
#undef FMA
}

double cck_bf16_dot_speedup(void) {
    if (!cck_cpu_has_avx512bf16()) return 0;
    const long n = 2000;
    volatile float sink = 0;
    double best_dot = 1e30, best_fma = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = cck_now();
        sink += cck_dot_loop(n);
        double t1 = cck_now();
        sink += cck_fma_loop(n);
        double t2 = cck_now();
        if (t1 - t0 < best_dot) best_dot = t1 - t0;
        if (t2 - t1 < best_fma) best_fma = t2 - t1;
    }
    (void)sink;
    /* 64 flops per vdpbf16ps (16 lanes x 2 products x 2), 32 per vfmadd231ps. */
    return (64.0 / best_dot) / (32.0 / best_fma);
}
#else
double cck_bf16_dot_speedup(void) { return 0; }

void cck_bf16_kernel_avx512(long kc2, const uint16_t *a, const uint16_t *b,
                            float *c, long ldc, float alpha, int accumulate) {
    cck_bf16_kernel_portable(kc2, a, b, c, ldc, alpha, accumulate);
}
#endif

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
