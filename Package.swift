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
//   TitanTelemetry    a process's metrics registry (a swift-metrics backend), log records
//   TitanWire         bytes, the binary Codable format, frames, the call envelope
//   TitanPolicies     method policies as pure state machines, the service manifest, dispatch protocols
//   TitanCore         vocabulary: ids, errors, signals, backoff, clocks, waiters (no I/O)
//   CTitan            Linux calls Glibc does not export
//
// Outside the runtime's build: TitanPrometheus (swift-prometheus and a small HTTP responder).
//
// `Tests/TitanPMTests/LayeringTests.swift` fails if a module imports one above it.
//
// Outside the runtime's build, for operating a running manager:
//
//   TitanAdmin        the admin endpoint a manager opens (Unix socket, optional TCP + token)
//   TitanAdminAPI     its JSON protocol and a client (no dependency on the runtime)
//   TitanDashboard    the web dashboard (Hummingbird), served by the manager
//   titan             the command-line tool (swift-argument-parser), a client of TitanAdminAPI
let package = Package(
    name: "titan-pm",
    products: [
        .library(name: "TitanPM", targets: ["TitanPM"]),
        .library(name: "TitanPMTestKit", targets: ["TitanPMTestKit"]),
        .library(name: "TitanPrometheus", targets: ["TitanPrometheus"]),
        // Policy state machines and the service manifest's value types (on TitanCore only).
        .library(name: "TitanPolicies", targets: ["TitanPolicies"]),
        // `@ServiceContract` and the policy attributes. Only users who import this product
        // compile swift-syntax; `TitanPM` never depends on it.
        .library(name: "TitanPMMacros", targets: ["TitanPMMacros"]),
        .library(name: "TitanWorkflows", targets: ["TitanWorkflows"]),
        .executable(name: "titan-demo", targets: ["titan-demo"]),
        .executable(name: "titan-bench", targets: ["titan-bench"]),
        .library(name: "TitanAdmin", targets: ["TitanAdmin"]),
        .library(name: "TitanAdminAPI", targets: ["TitanAdminAPI"]),
        .library(name: "TitanDashboard", targets: ["TitanDashboard"]),
        .executable(name: "titan", targets: ["titan"]),
        .executable(name: "titan-chaos", targets: ["titan-chaos"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Without its default traits: no swift-configuration, no full Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // `swift package generate-documentation`: `.ci/run` builds each module's DocC catalog
        // with warnings as errors (see `.ci/docs`).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // Linux calls Glibc does not export (prctl, pipe2, accept4, pidfd_open, posix_spawn _np actions).
        .target(name: "CTitan"),
        .target(name: "TitanCore", dependencies: ["CTitan"]),
        .target(name: "TitanWire", dependencies: ["TitanCore"]),
        // The observability vocabulary: swift-metrics and swift-log are API packages (no I/O,
        // no backends), light enough for every process to record through.
        .target(
            name: "TitanTelemetry",
            dependencies: [
                "TitanCore", "TitanWire",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "TitanTransport", dependencies: ["TitanCore", "TitanWire", "CTitan"]),
        .target(
            name: "TitanActorSystem",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "TitanProcess",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry", "TitanActorSystem", "CTitan",
                // @Metric and @Trace (with observability off) record through these API packages.
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "TitanPM",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry", "TitanActorSystem", "TitanProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Prometheus exposition of a manager's metrics on a small HTTP/1.1 endpoint; outside
        // the runtime's build so that services pay nothing for it.
        .target(
            name: "TitanPrometheus",
            dependencies: [
                "TitanPM",
                .product(name: "Prometheus", package: "swift-prometheus"),
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
                "TitanMacros",
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
            ]
        ),
        // The macros' implementations, in a library the expansion tests depend on (a test that
        // depends on the macro target itself would have every test built twice, once for the host).
        .target(
            name: "TitanMacros",
            dependencies: [
                "TitanPolicies",
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
            ]
        ),
        .target(name: "TitanPMMacros", dependencies: ["TitanPolicies", "TitanMacrosPlugin"]),
        // Durable workflows with saga compensation; the journal is SQLite (GRDB) by default.
        // GRDB stays out of TitanPM: only programs that use workflows link it.
        .target(
            name: "TitanWorkflows",
            dependencies: ["TitanPM", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The admin endpoint's JSON protocol and a blocking client: what `titan` and scripts
        // speak. Depends on nothing of the runtime's, so the command stays small.
        .target(name: "TitanAdminAPI"),
        // The runtime's own type information, read for the service explorer: the table of
        // distributed functions the Swift runtime keeps in every executable.
        .target(name: "CTitanAdmin"),
        // The admin endpoint a manager opens on request (`pm.serveAdmin(...)`).
        .target(
            name: "TitanAdmin",
            dependencies: [
                "TitanPM", "TitanAdminAPI", "CTitanAdmin", "TitanPolicies",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The web dashboard: the only target that builds a web server.
        .target(
            name: "TitanDashboard",
            dependencies: [
                "TitanAdmin", "TitanAdminAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Site")]
        ),
        // `titan status`, `titan logs`, `titan restart`, ...: talks to a running manager.
        .executableTarget(
            name: "titan",
            dependencies: [
                "TitanAdminAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "titan-demo",
            dependencies: [
                "TitanPM", "TitanPMMacros", "TitanAdmin", "TitanDashboard",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Speed and memory figures against a raw floor measured in the same run:
        // `swift run -c release titan-bench` (`--workflows` for the workflow journal's figures).
        .executableTarget(
            name: "titan-bench",
            dependencies: [
                "TitanPM", "TitanPMMacros", "TitanWire", "TitanTransport", "CTitan", "TitanWorkflows",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The README's examples, compiled as written: ReadmeTests checks that every swift block
        // of README.md is in these sources, and runs the quick start (`my-server`).
        .target(name: "Greetings", dependencies: ["TitanPM"], path: "Examples/Greetings"),
        .executableTarget(name: "greeter-host", dependencies: ["TitanPM", "Greetings"], path: "Examples/greeter-host"),
        .executableTarget(name: "my-server", dependencies: ["TitanPM", "TitanWorkflows", "Greetings"], path: "Examples/my-server"),
        .testTarget(name: "my-server-tests", dependencies: ["my-server", "TitanPMTestKit"], path: "Examples/my-server-tests"),
        .executableTarget(
            name: "observed-server",
            dependencies: [
                "TitanPM", "TitanPrometheus",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Examples/observed-server"
        ),
        .executableTarget(name: "contracted-server", dependencies: ["TitanPM", "TitanPMMacros"], path: "Examples/contracted-server"),
        .executableTarget(name: "mesh-server", dependencies: ["TitanPM"], path: "Examples/mesh-server"),
        .executableTarget(name: "operated-server", dependencies: ["TitanPM", "TitanAdmin", "TitanDashboard"], path: "Examples/operated-server"),

        // Kill storms under load, and what they leave behind: `swift run -c release titan-chaos`.
        .executableTarget(
            name: "titan-chaos",
            dependencies: ["TitanPM", "TitanProcess", "TitanTransport", .product(name: "Logging", package: "swift-log")]
        ),

        // Services used by the tests, shared with `titan-test-host`, the "other executable".
        .target(
            name: "TitanTestServices",
            dependencies: [
                "TitanPM", "TitanPMMacros", "TitanTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/TitanTestServices"
        ),
        .executableTarget(
            name: "titan-test-host",
            dependencies: ["TitanPM", "TitanTestServices", "TitanWire", "TitanTransport"],
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
                "TitanPM", "TitanPMTestKit", "TitanTestServices", "titan-test-host", "TitanTelemetry", "TitanPrometheus",
                "TitanAdmin", "TitanAdminAPI", "TitanDashboard", "titan", "TitanPMMacros",
                "my-server", "greeter-host", "mesh-server",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "TitanPoliciesTests", dependencies: ["TitanPolicies"]),
        // Expansion and diagnostics of every macro, run against the plugin's code directly.
        .testTarget(
            name: "TitanMacrosTests",
            dependencies: [
                "TitanMacros",
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax"),
            ]
        ),
        // The generated manifest, hash and dispatch table, compiled and run on real actors.
        .testTarget(name: "TitanPMMacrosTests", dependencies: ["TitanPMMacros", "TitanPM"]),
    ]
)
