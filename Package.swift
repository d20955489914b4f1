// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "localvpc",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "VPCModel", targets: ["VPCModel"]),
        .library(name: "VPCEngine", targets: ["VPCEngine"]),
        .executable(name: "localvpc", targets: ["localvpc"]),
        .executable(name: "localvpc-bench", targets: ["localvpc-bench"]),
        .executable(name: "localvpc-api-bench", targets: ["localvpc-api-bench"]),
        .executable(name: "localvpc-proxy-bench", targets: ["localvpc-proxy-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        // The core: value types and validation. No I/O, no dependencies.
        .target(name: "VPCModel", swiftSettings: swiftSettings),
        // The core: compiles a Topology and answers traces over sets of packets. No I/O.
        .target(name: "VPCEngine", dependencies: ["VPCModel"], swiftSettings: swiftSettings),
        // Pictures of a network (SVG), with an analysis on top. No I/O.
        .target(name: "Diagram", dependencies: ["VPCModel", "VPCEngine"], swiftSettings: swiftSettings),
        // The YAML topology format (with line/column diagnostics) and intents.
        .target(
            name: "TopologyFile",
            dependencies: ["VPCModel", "VPCEngine", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Real designs in: CloudFormation/CDK templates and `describe-*` snapshots, read into a Topology.
        .target(
            name: "Importers",
            dependencies: ["VPCModel", "VPCEngine", "TopologyFile", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Durable state: every region's resources in SQLite, one write transaction per API call.
        .target(
            name: "VPCStore",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Byte-level HTTP/1.1 framing (heads parsed in place, body boundaries), for the proxy and the API.
        .target(name: "HTTPWire", dependencies: [.product(name: "NIOCore", package: "swift-nio")], swiftSettings: swiftSettings),
        // The EC2 and Classic ELB Query APIs (and Reachability Analyzer), served over SwiftNIO.
        .target(
            name: "QueryAPI",
            dependencies: [
                "Diagram",
                "VPCModel", "VPCEngine", "VPCStore", "HTTPWire",
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The data plane of `localvpc up`: the ELB as a TLS-terminating reverse proxy with health checks,
        // demo web servers, and per-instance egress proxies, every connection admitted by the engine.
        .target(
            name: "DataPlane",
            dependencies: [
                "VPCModel", "VPCEngine", "HTTPWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fixture builders shared by tests and the benchmark, and a raw-socket HTTP client for the tests.
        .target(name: "VPCTesting", dependencies: ["VPCModel"], swiftSettings: swiftSettings),
        // The CLI's commands, as a library so tests can parse and run them in process.
        .target(
            name: "LocalVPCCommands",
            dependencies: [
                "VPCModel", "VPCEngine", "TopologyFile", "Importers", "QueryAPI", "VPCStore", "DataPlane", "Diagram",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "localvpc",
            dependencies: ["LocalVPCCommands", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "localvpc-bench",
            dependencies: [
                "VPCModel", "VPCEngine", "TopologyFile", "VPCTesting", "DataPlane",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The API benchmark against moto: a raw-HTTP load generator (sockets, keep-alive, botocore's bodies).
        .executableTarget(name: "localvpc-api-bench", swiftSettings: swiftSettings),
        // The data plane benchmark against HAProxy: the same backend behind both, loaded by wrk.
        .executableTarget(name: "localvpc-proxy-bench", swiftSettings: swiftSettings),
        .testTarget(name: "VPCModelTests", dependencies: ["VPCModel"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DiagramTests", dependencies: ["Diagram", "VPCModel", "VPCEngine", "TopologyFile"], resources: [.copy("golden")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VPCEngineTests",
            dependencies: ["VPCModel", "VPCEngine", "VPCTesting", "TopologyFile"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TopologyFileTests",
            dependencies: ["VPCModel", "TopologyFile"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ImportersTests",
            dependencies: ["Importers", "VPCModel", "VPCEngine", "TopologyFile"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VPCStoreTests",
            dependencies: ["VPCStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataPlaneTests",
            dependencies: [
                "DataPlane", "HTTPWire", "VPCModel", "VPCEngine", "TopologyFile", "VPCTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueryAPITests",
            dependencies: [
                "QueryAPI", "VPCStore", "VPCModel", "VPCTesting",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "localvpcTests",
            dependencies: [
                "LocalVPCCommands", "TopologyFile", "VPCEngine", "VPCModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
