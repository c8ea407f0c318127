// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

let package = Package(
    name: "titan-pm",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TitanPM", targets: ["TitanPM"]),
        .library(name: "TitanPMTestKit", targets: ["TitanPMTestKit"]),
        // Policy state machines and the service manifest's value types: no dependencies.
        .library(name: "TitanPolicies", targets: ["TitanPolicies"]),
        // `@ServiceContract` and the policy attributes. Only users who import this product
        // compile swift-syntax; `TitanPM` never depends on it.
        .library(name: "TitanPMMacros", targets: ["TitanPMMacros"]),
        .executable(name: "titan-demo", targets: ["titan-demo"]),
        .executable(name: "titan-bench", targets: ["titan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
    ],
    targets: [
        // Linux calls Glibc does not export (prctl, pipe2, accept4, pidfd_open, posix_spawn _np actions).
        .target(name: "CTitan"),
        .target(
            name: "TitanPM",
            dependencies: [
                "CTitan",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Rate limiters, circuit breaker, retry, cache, idempotency, validation and the service
        // manifest: pure state machines that take the time as a parameter.
        .target(name: "TitanPolicies"),
        // The compiler plugin behind `TitanPMMacros`; it shares the manifest types (and so the
        // canonical text and interface hash) with the runtime through `TitanPolicies`.
        .macro(
            name: "TitanMacrosPlugin",
            dependencies: [
                "TitanPolicies",
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            ]
        ),
        .target(name: "TitanPMMacros", dependencies: ["TitanPolicies", "TitanMacrosPlugin"]),
        // Link into a test target: children re-exec'd from the test binary host their service
        // before the test runner starts (a C constructor; the test runner owns `main`).
        .target(name: "TitanPMTestKit", dependencies: ["TitanPM"]),
        .executableTarget(name: "titan-demo", dependencies: ["TitanPM"]),
        // Speed and memory figures against a raw floor measured in the same run:
        // `swift run -c release titan-bench`.
        .executableTarget(name: "titan-bench", dependencies: ["TitanPM", "CTitan"]),

        // Services used by the tests, shared with `titan-test-host`, the "other executable".
        .target(name: "TitanTestServices", dependencies: ["TitanPM"], path: "Tests/TitanTestServices"),
        .executableTarget(
            name: "titan-test-host",
            dependencies: ["TitanPM", "TitanTestServices"],
            path: "Tests/titan-test-host"
        ),
        .testTarget(
            name: "TitanPMTests",
            dependencies: [
                "TitanPM", "TitanPMTestKit", "TitanTestServices", "titan-test-host",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "TitanPoliciesTests", dependencies: ["TitanPolicies"]),
        // Expansion and diagnostics of every macro, run against the plugin's code directly.
        .testTarget(
            name: "TitanMacrosTests",
            dependencies: [
                "TitanMacrosPlugin",
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax"),
            ]
        ),
        // The generated manifest, hash and dispatch table, compiled and run on real actors.
        .testTarget(name: "TitanPMMacrosTests", dependencies: ["TitanPMMacros", "TitanPM"]),
    ]
)
