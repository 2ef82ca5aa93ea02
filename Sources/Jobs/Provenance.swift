import Foundation

/// Facts about this process that the store records with each run.
public enum Provenance {
    public static let codeVersion = "ladder 0.1.0"
    public static var host: String { ProcessInfo.processInfo.hostName }
}

/// The peak MFU is stated against: `--peak-gflops` per thread, by default the fp32 FMA peak
/// measured on this project's first machine kind (Sapphire Rapids: a register-only SIMD16 FMA
/// loop, ~175 GFLOP/s per core; Zen 4 measures ~106).
public enum PeakFlops {
    public static let defaultPerThread = 175.0

    /// Model FLOPs utilization of `gflops` on `threads` threads.
    public static func mfu(gflops: Double, threads: Int, perThread: Double) -> Double {
        gflops / (perThread * Double(threads))
    }
}
