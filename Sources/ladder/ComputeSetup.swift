import Compute
import Training

/// The process-wide compute pool, sized by the executable (libraries never read the environment).
enum ComputeSetup {
    static func threads(_ n: Int) { ThreadPool.setDefaultThreadCount(n) }
    static var kernels: FastKernels { FastKernels(pool: .default) }
}
