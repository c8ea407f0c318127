// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "titan-pm",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TitanPM", targets: ["TitanPM"]),
        .library(name: "TitanPMTestKit", targets: ["TitanPMTestKit"]),
        .library(name: "TitanWorkflows", targets: ["TitanWorkflows"]),
        .executable(name: "titan-demo", targets: ["titan-demo"]),
        .executable(name: "titan-bench", targets: ["titan-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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
        // Link into a test target: children re-exec'd from the test binary host their service
        // before the test runner starts (a C constructor; the test runner owns `main`).
        .target(name: "TitanPMTestKit", dependencies: ["TitanPM"]),
        // Durable workflows with saga compensation; the journal is SQLite (GRDB) by default.
        // GRDB stays out of TitanPM: only programs that use workflows link it.
        .target(
            name: "TitanWorkflows",
            dependencies: ["TitanPM", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(name: "titan-demo", dependencies: ["TitanPM"]),
        // Speed and memory figures against a raw floor measured in the same run:
        // `swift run -c release titan-bench` (`--workflows` for the workflow journal's figures).
        .executableTarget(name: "titan-bench", dependencies: ["TitanPM", "CTitan", "TitanWorkflows"]),

        // Services used by the tests, shared with `titan-test-host`, the "other executable".
        .target(name: "TitanTestServices", dependencies: ["TitanPM"], path: "Tests/TitanTestServices"),
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
                "TitanPM", "TitanPMTestKit", "TitanTestServices", "titan-test-host",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
