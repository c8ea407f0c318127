// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for the parts of Titan PM that read bytes from a peer: the frame reader
// (SocketConnection), the accepting side's handshake (CallServer), and the wire decoders.
// Not part of the main package's build: `Fuzz/run` builds this package with
// `--sanitize fuzzer --sanitize address` and runs each target on its seed corpus.
// The runtime's modules are the main package's own sources, linked in through Sources/.
let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "titan-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        .target(name: "CTitan"),
        .target(name: "TitanCore", dependencies: ["CTitan"]),
        .target(name: "TitanWire", dependencies: ["TitanCore"]),
        .target(name: "TitanTransport", dependencies: ["TitanCore", "TitanWire", "CTitan"]),
        .target(name: "TitanPolicies", dependencies: ["TitanCore"]),
        .target(
            name: "TitanTelemetry",
            dependencies: [
                "TitanCore", "TitanWire",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TitanActorSystem",
            dependencies: [
                "TitanCore", "TitanPolicies", "TitanWire", "TitanTransport", "TitanTelemetry",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "fuzz-frame-reader",
            dependencies: ["TitanCore", "TitanWire", "TitanTransport"],
            path: "Targets/FrameReader",
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "fuzz-handshake",
            dependencies: ["TitanCore", "TitanWire", "TitanTransport", "TitanActorSystem"],
            path: "Targets/Handshake",
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "fuzz-wire-decoder",
            dependencies: ["TitanCore", "TitanWire"],
            path: "Targets/WireDecoder",
            swiftSettings: fuzzerFlags
        ),
    ]
)
