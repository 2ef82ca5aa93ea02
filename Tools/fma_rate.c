// Register-only throughput: fp32 FMA (zmm, ymm) vs vdpbf16ps (zmm), 12 independent chains.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
#define CH(OP) for(long i=0;i<n;i++){__asm__ volatile("":"+v"(x)); OP(a0)OP(a1)OP(a2)OP(a3)OP(a4)OP(a5)OP(a6)OP(a7)OP(a8)OP(a9)OP(a10)OP(a11)}
__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw"),noinline)) float dot(long n){__m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0,a4=a0,a5=a0,a6=a0,a7=a0,a8=a0,a9=a0,a10=a0,a11=a0;
 __m512bh x=(__m512bh)_mm512_set1_epi16(0x3F80),y=(__m512bh)_mm512_set1_epi16(0x3A00);
#define D(a) a=_mm512_dpbf16_ps(a,x,y);
 CH(D) __m512 s=_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(a6,a7))); s=_mm512_add_ps(s,_mm512_add_ps(_mm512_add_ps(a8,a9),_mm512_add_ps(a10,a11))); return _mm512_reduce_add_ps(s);}
__attribute__((target("avx512f,fma"),noinline)) float fz(long n){__m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0,a4=a0,a5=a0,a6=a0,a7=a0,a8=a0,a9=a0,a10=a0,a11=a0;
 __m512 x=_mm512_set1_ps(1e-3f),y=_mm512_set1_ps(.5f);
#define F(a) a=_mm512_fmadd_ps(x,y,a);
 CH(F) __m512 s=_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(a6,a7))); s=_mm512_add_ps(s,_mm512_add_ps(_mm512_add_ps(a8,a9),_mm512_add_ps(a10,a11))); return _mm512_reduce_add_ps(s);}
__attribute__((target("avx2,fma"),noinline)) float fy(long n){__m256 a0=_mm256_setzero_ps(),a1=a0,a2=a0,a3=a0,a4=a0,a5=a0,a6=a0,a7=a0,a8=a0,a9=a0,a10=a0,a11=a0;
 __m256 x=_mm256_set1_ps(1e-3f),y=_mm256_set1_ps(.5f);
#define G(a) a=_mm256_fmadd_ps(x,y,a);
 CH(G) __m256 s=_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0,a1),_mm256_add_ps(a2,a3)),_mm256_add_ps(_mm256_add_ps(a4,a5),_mm256_add_ps(a6,a7))); s=_mm256_add_ps(s,_mm256_add_ps(_mm256_add_ps(a8,a9),_mm256_add_ps(a10,a11))); float o[8]; _mm256_storeu_ps(o,s); return o[0];}
int main(){long n=20000000; volatile float sink=0; double bd=1e9,bz=1e9,by=1e9;
 for(int r=0;r<5;r++){double t0=now();sink+=dot(n);double t1=now();sink+=fz(n);double t2=now();sink+=fy(n);double t3=now();
  if(t1-t0<bd)bd=t1-t0; if(t2-t1<bz)bz=t2-t1; if(t3-t2<by)by=t3-t2;}
 double fl=12.0*n; printf("vdpbf16ps zmm: %.1f GFLOP/s\nvfmadd231ps zmm: %.1f GFLOP/s\nvfmadd231ps ymm: %.1f GFLOP/s\nbf16/fp32(zmm) ratio: %.2f\n",
  fl*64/bd/1e9, fl*32/bz/1e9, fl*16/by/1e9, (64/bd)/(32/bz)); return 0;}
