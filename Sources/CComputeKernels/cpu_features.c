#include "CComputeKernels.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CCK_X86 1
#endif

int cck_cpu_tiers(void) {
#if CCK_X86
    __builtin_cpu_init();
    int tiers = 0;
    // __builtin_cpu_supports also checks that the OS saves the ymm/zmm state (XCR0).
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
        && __builtin_cpu_supports("bmi2")) {
        tiers |= CCK_TIER_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512cd")) {
            tiers |= CCK_TIER_AVX512;
            if (__builtin_cpu_supports("avx512bf16")) tiers |= CCK_TIER_AVX512BF16;
        }
    }
    return tiers;
#else
    return 0;
#endif
}

void cck_cpu_model(char *out, long size) {
    if (size <= 0) return;
    out[0] = 0;
#if CCK_X86
    unsigned int regs[12];
    unsigned int eax, ebx, ecx, edx;
    char brand[49] = {0};
    if (__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) && eax >= 0x80000004) {
        for (unsigned int i = 0; i < 3; i++) {
            __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
        }
        memcpy(brand, regs, 48);
    }
    // Trim the padding some brand strings carry.
    char *b = brand;
    while (*b == ' ') b++;
    long n = (long)strlen(b);
    while (n > 0 && b[n - 1] == ' ') b[--n] = 0;
    unsigned int family = 0, model = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        unsigned int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
        family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        model = (baseFamily == 0x6 || baseFamily == 0xF) ? (((eax >> 16) & 0xF) << 4) + baseModel : baseModel;
    }
    snprintf(out, (size_t)size, "%s (family %u, model %u)", n > 0 ? b : "unknown x86-64", family, model);
#elif defined(__aarch64__)
    snprintf(out, (size_t)size, "arm64");
#else
    snprintf(out, (size_t)size, "unknown");
#endif
}
