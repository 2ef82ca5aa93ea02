#!/usr/bin/env python3
"""numpy/OpenBLAS fp32 GEMM timed on the calling thread's CPU clock (one thread only), the same
measurement as `ladder bench gemm --threads 1 --cpu-time`: on a machine shared with other work,
time spent descheduled is not counted on either side. Shapes and data as ../shared/bench/gemm_numpy.py.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Tools/gemm_numpy_cputime.py   # best kernels
  OPENBLAS_CORETYPE=Haswell python3 Tools/gemm_numpy_cputime.py                       # AVX2 kernels
"""
import argparse, json, os, time

SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
          (4096, 768, 256), (4096, 256, 256), (4096, 256, 1024)]  # (M, N, K)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=1.0, help="CPU-time budget per shape")
    a = p.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import numpy as np
    kernel = "unknown"
    try:
        import threadpoolctl
        kernel = next((i.get("architecture") for i in threadpoolctl.threadpool_info()
                       if i["internal_api"] == "openblas"), "unknown")
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    for M, N, K in SHAPES:
        A = rng.uniform(-1, 1, (M, K)).astype(np.float32)
        B = rng.uniform(-1, 1, (K, N)).astype(np.float32)
        A @ B; A @ B
        times = []
        t_end = time.thread_time() + a.seconds
        while time.thread_time() < t_end or len(times) < 5:
            t0 = time.thread_time(); A @ B; times.append(time.thread_time() - t0)
        times.sort()
        med = times[len(times) // 2]
        print(json.dumps({"system": "numpy-openblas", "kernel": kernel, "M": M, "N": N, "K": K,
                          "threads": 1, "clock": "thread_cpu", "gflops": round(2 * M * N * K / med / 1e9, 1)}))

if __name__ == "__main__":
    main()
