// swift-tools-version:6.0
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
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "ladder",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "DataPrep",
            ]
        ),
        .target(name: "DataPrep", swiftSettings: kernelFlags),
        .testTarget(name: "DataPrepTests", dependencies: ["DataPrep"], resources: [.copy("Resources")], swiftSettings: kernelFlags),
    ],
    swiftLanguageModes: [.v5]
)
