// swift-tools-version: 6.1
import CompilerPluginSupport
import PackageDescription

// Titan PM runs on Linux only: it relies on /proc, pidfd, prctl and posix_spawn's Linux
// extensions (see README). The runtime is layered as modules whose dependencies point one
// way, from the top of this list to the bottom:
//
//   TitanPM           features: ProcessManager, pools, supervision (the one import users need)
//   TitanProcess      launching children, readiness, exit watching, hosting a service
//   TitanActorSystem  ProcessActorSystem: calling and serving sides, interceptors, streaming
//   TitanTransport    frame connections: Unix sockets, and an in-memory one for tests
//   TitanWire         bytes, the binary Codable format, frames, the call envelope
//   TitanPolicies     method policies as pure state machines, the service manifest, dispatch protocols
//   TitanCore         vocabulary: ids, errors, signals, backoff, clocks, waiters (no I/O)
//   CTitan            Linux calls Glibc does not export
//
// `Tests/TitanPMTests/LayeringTests.swift` fails if a module imports one above it.
let package = Package(
    name: "titan-pm",
    products: [
        .library(name: "TitanPM", targets: ["TitanPM"]),
        .library(name: "TitanPMTestKit", targets: ["TitanPMTestKit"]),
        // Policy state machines and the service manifest's value types (on TitanCore only).
        .library(name: "TitanPolicies", targets: ["TitanPolicies"]),
        // `@ServiceContract` and the policy attributes. Only users who import this product
        // compile swift-syntax; `TitanPM` never depends on it.
        .library(name: "TitanPMMacros", targets: ["TitanPMMacros"]),
        .library(name: "TitanWorkflows", targets: ["TitanWorkflows"]),
        .executable(name: "titan-demo", targets: ["titan-demo"]),
        .executable(name: "titan-bench", targets: ["titan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Linux calls Glibc does not export (prctl, pipe2, accept4, pidfd_open, posix_spawn _np actions).
        .target(name: "CTitan"),
        .target(name: "TitanCore", dependencies: ["CTitan"]),
        .target(name: "TitanWire", dependencies: ["TitanCore"]),
        .target(name: "TitanTransport", dependencies: ["TitanCore", "TitanWire", "CTitan"]),
        .target(name: "TitanActorSystem", dependencies: ["TitanCore", "TitanPolicies", "TitanWire", "TitanTransport"]),
        .target(
            name: "TitanProcess",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanActorSystem", "CTitan",
                // @Metric and @Trace record through these API packages (no backend, no I/O).
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "TitanPM",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanActorSystem", "TitanProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Children re-exec'd from a test binary host their service before the test runner
        // starts (a C constructor: the test runner owns `main`).
        .target(name: "CTitanTestKit", dependencies: ["TitanProcess"]),
        // Helpers for testing services: a manager scoped to a test, awaiting events, crash
        // simulation, the manual clock and the in-memory transport.
        .target(name: "TitanPMTestKit", dependencies: ["TitanPM", "CTitanTestKit"]),
        // Rate limiters, circuit breaker, retry, cache, idempotency, validation and the service
        // manifest: pure state machines that take the time as a parameter. The actor system
        // dispatches contracted services through its protocols; the runtime enforces them.
        .target(name: "TitanPolicies", dependencies: ["TitanCore"]),
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
        // Durable workflows with saga compensation; the journal is SQLite (GRDB) by default.
        // GRDB stays out of TitanPM: only programs that use workflows link it.
        .target(
            name: "TitanWorkflows",
            dependencies: ["TitanPM", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(name: "titan-demo", dependencies: ["TitanPM", "TitanPMMacros"]),
        // Speed and memory figures against a raw floor measured in the same run:
        // `swift run -c release titan-bench` (`--workflows` for the workflow journal's figures).
        .executableTarget(name: "titan-bench", dependencies: ["TitanPM", "TitanPMMacros", "TitanWire", "TitanTransport", "CTitan", "TitanWorkflows"]),

        // Services used by the tests, shared with `titan-test-host`, the "other executable".
        .target(
            name: "TitanTestServices",
            dependencies: [
                "TitanPM", "TitanPMMacros",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            path: "Tests/TitanTestServices"
        ),
        .executableTarget(
            name: "titan-test-host",
            dependencies: ["TitanPM", "TitanTestServices"],
            path: "Tests/titan-test-host"
        ),
        // Services the workflow tests call, shared with `titan-workflow-host`.
        .target(
            name: "TitanWorkflowTestServices",
            dependencies: ["TitanPM"],
            path: "Tests/TitanWorkflowTestServices"
        ),
        // A program that runs a durable workflow; the crash tests SIGKILL it and start it again.
        .executableTarget(
            name: "titan-workflow-host",
            dependencies: ["TitanPM", "TitanWorkflows", "TitanWorkflowTestServices"],
            path: "Tests/titan-workflow-host"
        ),
        .testTarget(
            name: "TitanWorkflowsTests",
            dependencies: [
                "TitanPM", "TitanPMTestKit", "TitanWorkflows", "TitanWorkflowTestServices", "titan-workflow-host",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "TitanPMTests",
            dependencies: [
                "TitanCore", "TitanWire", "TitanTransport", "TitanActorSystem", "TitanProcess",
                "TitanPM", "TitanPMMacros", "TitanPMTestKit", "TitanTestServices", "titan-test-host",
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
