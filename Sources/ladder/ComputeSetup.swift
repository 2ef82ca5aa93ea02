import Compute
import Training

/// The process-wide compute pool, sized by the executable (libraries never read the environment).
enum ComputeSetup {
    static func threads(_ n: Int) { ThreadPool.setDefaultThreadCount(n) }
    static var kernels: FastKernels { FastKernels(pool: .default) }
}

/// The peak MFU is stated against: `--peak-gflops` per thread, by default the fp32 FMA peak
/// measured on this project's machine kind (a register-only SIMD16 FMA loop: ~175 GFLOP/s per core).
enum PeakFlops {
    static let defaultPerThread = 175.0

    /// Model FLOPs utilization of `gflops` on `threads` threads.
    static func mfu(gflops: Double, threads: Int, perThread: Double) -> Double {
        gflops / (perThread * Double(threads))
    }
}
