import SwiftSyntaxMacrosGenericTestSupport
import Testing

@Suite("@ServiceContract expansion")
struct ServiceContractExpansionTests {
    @Test func onAProtocolExpandsIntoItsInterfacesManifestAndHash() {
        assertExpansion(
            """
            @ServiceContract
            public protocol Greeting: DistributedActor, ServiceInterface {
                distributed func greet(_ name: String) -> String
                func local()
            }
            """,
            expandedSource: #"""
            public protocol Greeting: DistributedActor, ServiceInterface {
                distributed func greet(_ name: String) -> String
                func local()
            }

            extension Greeting {
                public static var manifest: TitanPolicies.ServiceManifest {
                    TitanPolicies.ServiceManifest(
                        service: "Greeting",
                        methods: [
                            TitanPolicies.MethodDescriptor(name: "greet", parameters: [TitanPolicies.ParameterDescriptor(label: nil, name: "name", type: "String", isStream: false)], resultType: "String", returnsStream: false, isTableDispatched: true),
                        ]
                    )
                }

                public static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0x8bc94aaac9edecb0)
                }
            }
            """#
        )
    }

    @Test func expandsAPlainServiceIntoManifestHashAndDispatchTable() {
        assertExpansion(
            """
            @ServiceContract
            distributed actor Calculator {
                distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
                func helper() {}
            }
            """,
            expandedSource: #"""
            distributed actor Calculator {
                distributed func add(_ a: Int, _ b: Int) -> Int { a + b }
                func helper() {}
            }

            extension Calculator: TitanPolicies.ContractedService {
                static let manifest: TitanPolicies.ServiceManifest = TitanPolicies.ServiceManifest(
                    service: "Calculator",
                    methods: [
                        TitanPolicies.MethodDescriptor(name: "add", parameters: [TitanPolicies.ParameterDescriptor(label: nil, name: "a", type: "Int", isStream: false), TitanPolicies.ParameterDescriptor(label: nil, name: "b", type: "Int", isStream: false)], resultType: "Int", returnsStream: false, isTableDispatched: true),
                    ]
                )

                static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0x7080fa2014e74636)
                }

                static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
                    method index: Int,
                    on actor: Calculator,
                    arguments: inout _TitanArguments,
                    result: _TitanSink
                ) async throws {
                    switch index {
                    case 0:
                        let a0: Int = try arguments.decodeNextArgument()
                        let a1: Int = try arguments.decodeNextArgument()
                        let value = try await actor.add(a0, a1)
                        try await result.onReturn(value: value)
                    default:
                        throw TitanPolicies.DispatchError(index: index, service: "Calculator")
                    }
                }

                static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
                    method index: Int,
                    arguments: inout _TitanArguments
                ) throws -> TitanPolicies.PolicyKeys {
                    return TitanPolicies.PolicyKeys()
                }

                static func heal(method index: Int, on actor: Calculator) async throws -> Bool {
                    return false
                }
            }
            """#
        )
    }

    @Test func recordsPoliciesAndGeneratesValidationKeysAndHealing() {
        assertExpansion(
            """
            @ServiceContract
            public distributed actor Users {
                @RateLimit(10, per: .seconds(1), key: "org")
                @Validate("id", .length(1...8))
                @Validate(result: .nonEmpty)
                @Cache(ttl: .seconds(60), key: "id", tags: ["org:{org}"])
                distributed func user(id: String, org: String) -> String { id }
                @CacheEvict("user(id:org:)", key: "user:{id}")
                @Idempotent
                distributed func remove(id: String) {}
                @SelfHeal(using: "reconnect")
                distributed func fetch() -> Int { 1 }
                func reconnect() async throws {}
            }
            """,
            expandedSource: #"""
            public distributed actor Users {
                distributed func user(id: String, org: String) -> String { id }
                distributed func remove(id: String) {}
                distributed func fetch() -> Int { 1 }
                func reconnect() async throws {}
            }

            extension Users: TitanPolicies.ContractedService {
                public static let manifest: TitanPolicies.ServiceManifest = TitanPolicies.ServiceManifest(
                    service: "Users",
                    methods: [
                        TitanPolicies.MethodDescriptor(name: "user", parameters: [TitanPolicies.ParameterDescriptor(label: "id", name: "id", type: "String", isStream: false), TitanPolicies.ParameterDescriptor(label: "org", name: "org", type: "String", isStream: false)], resultType: "String", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(rateLimit: TitanPolicies.RateLimitPolicy(10, per: .seconds(1), key: "org"), cache: TitanPolicies.CachePolicy(ttl: .seconds(60), key: "id", tags: ["org:{org}"]), validations: [TitanPolicies.ValidationDescriptor(field: "id", rules: ([.length(1 ... 8)] as [TitanPolicies.ValidationRule<String>]).map(\.summary)), TitanPolicies.ValidationDescriptor(field: "result", rules: ([.nonEmpty] as [TitanPolicies.ValidationRule<String>]).map(\.summary))])),
                        TitanPolicies.MethodDescriptor(name: "remove", parameters: [TitanPolicies.ParameterDescriptor(label: "id", name: "id", type: "String", isStream: false)], resultType: "()", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(cacheEvictions: [TitanPolicies.CacheEvictPolicy("user(id:org:)", key: "user:{id}")], idempotency: TitanPolicies.IdempotencyPolicy())),
                        TitanPolicies.MethodDescriptor(name: "fetch", parameters: [], resultType: "Int", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(selfHeal: TitanPolicies.SelfHealPolicy(using: "reconnect"))),
                    ]
                )

                public static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0x23f6074f408ad667)
                }

                public static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
                    method index: Int,
                    on actor: Users,
                    arguments: inout _TitanArguments,
                    result: _TitanSink
                ) async throws {
                    switch index {
                    case 0:
                        let a0: String = try arguments.decodeNextArgument()
                        let a1: String = try arguments.decodeNextArgument()
                        var argumentReport = TitanPolicies.ValidationReport()
                        argumentReport.check(a0, field: "id", [.length(1 ... 8)])
                        try argumentReport.throwIfFailed(method: "user(id:org:)")
                        let value = try await actor.user(id: a0, org: a1)
                        var resultReport = TitanPolicies.ValidationReport()
                        resultReport.check(value, field: "result", [.nonEmpty])
                        try resultReport.throwIfFailed(method: "user(id:org:)")
                        try await result.onReturn(value: value)
                    case 1:
                        let a0: String = try arguments.decodeNextArgument()
                        try await actor.remove(id: a0)
                        try await result.onReturnVoid()
                    case 2:
                        let value = try await actor.fetch()
                        try await result.onReturn(value: value)
                    default:
                        throw TitanPolicies.DispatchError(index: index, service: "Users")
                    }
                }

                public static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
                    method index: Int,
                    arguments: inout _TitanArguments
                ) throws -> TitanPolicies.PolicyKeys {
                    switch index {
                    case 0:
                        let a0: String = try arguments.decodeNextArgument()
                        let a1: String = try arguments.decodeNextArgument()
                        var keys = TitanPolicies.PolicyKeys()
                        keys.rateLimit = TitanPolicies.PolicyKeyText.of(a1)
                        keys.cache = TitanPolicies.PolicyKeyText.of(a0)
                        keys.cacheTags = ["org:" + TitanPolicies.PolicyKeyText.of(a1)]
                        return keys
                    case 1:
                        let a0: String = try arguments.decodeNextArgument()
                        var keys = TitanPolicies.PolicyKeys()
                        keys.evictions = [TitanPolicies.PolicyKeys.Eviction(method: "user(id:org:)", key: "user:" + TitanPolicies.PolicyKeyText.of(a0))]
                        keys.idempotency = TitanPolicies.PolicyKeyText.joined([TitanPolicies.PolicyKeyText.of(a0)])
                        return keys
                    default:
                        return TitanPolicies.PolicyKeys()
                    }
                }

                public static func heal(method index: Int, on actor: Users) async throws -> Bool {
                    switch index {
                    case 2:
                        _ = try await actor.whenLocal { service in
                            try await service.reconnect()
                        }
                        return true
                    default:
                        return false
                    }
                }
            }
            """#
        )
    }

    @Test func streamsAndGenericMethodsAreInTheManifestButOnlyStreamsInTheTable() {
        assertExpansion(
            """
            @ServiceContract
            distributed actor Streams {
                distributed func numbers(upTo n: Int) -> RemoteStream<Int> { RemoteStream(elements: []) }
                distributed func echo<T: Codable>(_ value: T) -> T { value }
            }
            """,
            expandedSource: #"""
            distributed actor Streams {
                distributed func numbers(upTo n: Int) -> RemoteStream<Int> { RemoteStream(elements: []) }
                distributed func echo<T: Codable>(_ value: T) -> T { value }
            }

            extension Streams: TitanPolicies.ContractedService {
                static let manifest: TitanPolicies.ServiceManifest = TitanPolicies.ServiceManifest(
                    service: "Streams",
                    methods: [
                        TitanPolicies.MethodDescriptor(name: "numbers", parameters: [TitanPolicies.ParameterDescriptor(label: "upTo", name: "n", type: "Int", isStream: false)], resultType: "RemoteStream<Int>", returnsStream: true, isTableDispatched: true),
                        TitanPolicies.MethodDescriptor(name: "echo", parameters: [TitanPolicies.ParameterDescriptor(label: nil, name: "value", type: "T", isStream: false)], resultType: "T", returnsStream: false, isTableDispatched: false),
                    ]
                )

                static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0x93d900b50721df37)
                }

                static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
                    method index: Int,
                    on actor: Streams,
                    arguments: inout _TitanArguments,
                    result: _TitanSink
                ) async throws {
                    switch index {
                    case 0:
                        let a0: Int = try arguments.decodeNextArgument()
                        let value = try await actor.numbers(upTo: a0)
                        try await result.onReturn(value: value)
                    default:
                        throw TitanPolicies.DispatchError(index: index, service: "Streams")
                    }
                }

                static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
                    method index: Int,
                    arguments: inout _TitanArguments
                ) throws -> TitanPolicies.PolicyKeys {
                    return TitanPolicies.PolicyKeys()
                }

                static func heal(method index: Int, on actor: Streams) async throws -> Bool {
                    return false
                }
            }
            """#
        )
    }
}
