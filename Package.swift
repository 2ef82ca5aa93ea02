// swift-tools-version:6.1
import PackageDescription

/// Numeric targets are compiled for the CPU they run on: without a target CPU, SIMD FMA lowers to
/// library calls at ~1% of the speed. `-Ounchecked` applies only to release builds.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native"]),
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Ladder",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ladder", targets: ["ladder"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Multi-process training over OpenMPI (needs libopenmpi-dev; `--traits MPI`)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "ladder",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                "Store", "ScalingLaws", "Compute", "Attention", "Training", "Sweeps", "DataPrep", "Reports", "Distributed",
            ],
            swiftSettings: kernelFlags
        ),
        .target(
            name: "Store",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .target(name: "ScalingLaws", swiftSettings: kernelFlags),
        .testTarget(name: "ScalingLawsTests", dependencies: ["ScalingLaws"], swiftSettings: kernelFlags),
        .target(name: "CComputeKernels"),
        .target(name: "Compute", dependencies: ["CComputeKernels"], swiftSettings: kernelFlags),
        .testTarget(name: "ComputeTests", dependencies: ["Compute"], swiftSettings: kernelFlags),
        .target(name: "Attention", dependencies: ["Compute"], swiftSettings: kernelFlags),
        .testTarget(name: "AttentionTests", dependencies: ["Attention"], swiftSettings: kernelFlags),
        .target(name: "Training", dependencies: ["ScalingLaws", "Compute", "Attention", "DataPrep"], swiftSettings: kernelFlags),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "DataPrep", "ScalingLaws", "Compute"], exclude: ["Resources"], swiftSettings: kernelFlags),
        .testTarget(name: "MixedPrecisionTests", dependencies: ["Training", "Compute", "DataPrep"], swiftSettings: kernelFlags),
        .target(name: "Sweeps", dependencies: ["ScalingLaws", "Training", "Store"], swiftSettings: kernelFlags),
        .testTarget(name: "SweepsTests", dependencies: ["Sweeps"], swiftSettings: kernelFlags),
        .target(name: "DataPrep", swiftSettings: kernelFlags),
        .testTarget(name: "DataPrepTests", dependencies: ["DataPrep"], resources: [.copy("Resources")], swiftSettings: kernelFlags),
        .target(name: "Reports", dependencies: ["Store", "ScalingLaws"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Store", "ScalingLaws"]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "Distributed", dependencies: ["Training", "ScalingLaws", .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
                swiftSettings: kernelFlags),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Training", "ScalingLaws"], swiftSettings: kernelFlags),
        .testTarget(name: "LadderCLITests", dependencies: ["ladder", "Store", "ScalingLaws"]),
    ],
    swiftLanguageModes: [.v5]
)
