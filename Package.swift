// swift-tools-version:6.1
import PackageDescription

/// Kernel tiers (issue #18): one binary for every x86-64 CPU from the baseline up.
///
/// - `baseline`: everything outside the tier targets. On x86-64: Haswell's instruction set
///   (x86-64-v3: AVX2, FMA, F16C, BMI2), so SIMD code stays vectorized with real FMAs (without a
///   target CPU, SIMD FMA lowers to library calls at ~1% of the speed); no AVX-512 anywhere
///   (`.ci/check-baseline` disassembles these objects and fails on zmm/AVX-512 instructions).
///   Elsewhere (arm64): the toolchain's default (NEON, FMA).
/// - Tier targets (`Kernels*`): each compiled for its own instruction set; `Compute.Kernels` picks
///   one at run time from CPUID (`LADDER_ISA` / `--isa` force a lower one).
/// - Opt-in: `LADDER_NATIVE=1 swift build ...` compiles the baseline for the building CPU
///   (`-target-cpu native`); such a binary runs only on CPUs like the one that built it.
/// `-Ounchecked` applies only to release builds, and only to kernel targets (`kernelFlags`);
/// `LADDER_CHECKED_KERNELS=1` keeps the checks there too (`.ci/checked-kernels` runs the kernel
/// tests so, in CI: an index that wraps or runs past a buffer traps instead of passing silently).
let native = Context.environment["LADDER_NATIVE"] == "1"
let checkedKernels = Context.environment["LADDER_CHECKED_KERNELS"] == "1"
func cpu(_ name: String) -> [SwiftSetting] {
    #if arch(x86_64)
    return [.unsafeFlags(["-target-cpu", name])]
    #else
    return []
    #endif
}
let unchecked: [SwiftSetting] = checkedKernels ? [] : [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]
let kernelFlags: [SwiftSetting] = cpu(native ? "native" : "haswell") + unchecked
/// Everything that is not a kernel (parsers, config, store, sweeps, fits, reports, the executable)
/// keeps Swift's overflow and bounds checks: a size from a user's file that wraps around must
/// trap or be refused, never silently index past a buffer (issue #19).
let checkedFlags: [SwiftSetting] = cpu(native ? "native" : "haswell")
/// Tier targets: AVX-512 (F, BW, DQ, VL, CD: Skylake-SP and later, Zen 4 and later), AVX2 + FMA
/// (Haswell, Zen 1 and later), and portable (the architecture's base: SSE2 on x86-64, NEON on arm64).
let avx512Flags: [SwiftSetting] = cpu("skylake-avx512") + unchecked
let avx2Flags: [SwiftSetting] = cpu("haswell") + unchecked
let portableFlags: [SwiftSetting] = unchecked

let package = Package(
    name: "Ladder",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ladder", targets: ["ladder"]),
        .executable(name: "ladder-fuzz", targets: ["LadderFuzz"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Multi-process training over OpenMPI (needs libopenmpi-dev; `--traits MPI`)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "ladder",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "Store", "ScalingLaws", "Compute", "Attention", "Training", "Sweeps", "DataPrep", "Reports", "Distributed", "Jobs", "ConfigFiles", "Randomness",
                "Benchmarks",
            ],
            swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "ConfigFiles",
            swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]
        ),
        .testTarget(name: "ConfigFilesTests", dependencies: ["ConfigFiles", "Sweeps", "Training"], exclude: ["toml-test"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(
            name: "Store",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]
        ),
        // What several test targets share (a per-test temporary folder); tests only.
        .target(name: "LadderTestSupport", path: "Tests/LadderTestSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "StoreTests", dependencies: ["LadderTestSupport", "Store"], swiftSettings: [.swiftLanguageMode(.v6)]),
        // the seeded generator every module and test shares (bootstrap, init, data order, inputs)
        .target(name: "Randomness", swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "ScalingLaws", dependencies: ["Randomness"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ScalingLawsTests", dependencies: ["ScalingLaws", "Randomness"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "CComputeKernels"),
        // The kernel targets (KernelCore, the Kernels* tiers, and Compute and Attention over them) stay
        // in Swift 5 language mode (the package default below): unsafe pointer code throughout, and so
        // do their test targets (ComputeTests, AttentionTests). Every other target, tests included,
        // compiles in Swift 6 mode.
        .target(name: "KernelCore", swiftSettings: kernelFlags),
        .target(name: "KernelsAVX512", dependencies: ["KernelCore"], swiftSettings: avx512Flags),
        .target(name: "KernelsAVX2", dependencies: ["KernelCore"], swiftSettings: avx2Flags),
        .target(name: "KernelsPortable", dependencies: ["KernelCore"], swiftSettings: portableFlags),
        .target(name: "Compute", dependencies: ["CComputeKernels", "KernelCore", "KernelsAVX512", "KernelsAVX2", "KernelsPortable"],
                swiftSettings: kernelFlags),
        .testTarget(name: "ComputeTests", dependencies: ["Compute", "CComputeKernels", "Randomness"], swiftSettings: kernelFlags),
        .target(name: "Attention", dependencies: ["Compute", "CComputeKernels"], swiftSettings: kernelFlags),
        .testTarget(name: "AttentionTests", dependencies: ["Attention", "Compute", "Randomness"], swiftSettings: kernelFlags),
        .target(name: "Training", dependencies: ["Randomness", "Compute", "Attention", "DataPrep"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "TrainingTests", dependencies: ["LadderTestSupport", "Training", "DataPrep", "Randomness", "Compute", "Attention"], exclude: ["Resources"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "MixedPrecisionTests", dependencies: ["LadderTestSupport", "Training", "Compute", "DataPrep", "Randomness"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "Sweeps", dependencies: ["ScalingLaws", "Training", "Store"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "SweepsTests", dependencies: ["LadderTestSupport", "Sweeps", "Training"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "DataPrep", dependencies: ["Randomness"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "DataPrepTests", dependencies: ["LadderTestSupport", "DataPrep", "Randomness"], resources: [.copy("Resources")], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "Reports", dependencies: ["Store", "ScalingLaws"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ReportsTests", dependencies: ["LadderTestSupport", "Reports", "Store", "ScalingLaws", "Randomness"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "Distributed", dependencies: ["Training", "Randomness", .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
                swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "DistributedTests", dependencies: ["LadderTestSupport", "Distributed", "Training", "Randomness", "Attention"], swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .target(name: "Jobs", dependencies: ["Store", "ScalingLaws", "Compute", "Training", "Sweeps", "Distributed"],
                swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Store", "Sweeps", "Training", "ScalingLaws"],
                    swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        // The measurements behind `ladder bench ...` (the executable parses and prints).
        .target(name: "Benchmarks", dependencies: ["Compute", "Attention", "Training", "Distributed", "Jobs", "Randomness", "ScalingLaws", "DataPrep"],
                swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Compute", "Training", "Distributed", "DataPrep"],
                    swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
        .testTarget(name: "LadderCLITests", dependencies: ["ladder", "LadderFuzz", "Store", "ScalingLaws", "Randomness"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        // One libFuzzer entry per parser of a user file; `.ci/fuzz` builds it instrumented.
        .executableTarget(name: "LadderFuzz", dependencies: ["ConfigFiles", "DataPrep", "Store", "Sweeps", "Training"],
                          swiftSettings: checkedFlags + [.swiftLanguageMode(.v6)]),
    ],
    swiftLanguageModes: [.v5]
)
