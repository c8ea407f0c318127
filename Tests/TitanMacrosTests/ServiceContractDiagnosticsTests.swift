import SwiftSyntaxMacrosGenericTestSupport
import Testing

@Suite("@ServiceContract diagnostics")
struct ServiceContractDiagnosticsTests {
    @Test func onAStructItIsAnError() {
        assertExpansion(
            """
            @ServiceContract
            struct Calculator {}
            """,
            expandedSource: "struct Calculator {}",
            diagnostics: [DiagnosticSpec(message: "@ServiceContract applies to a 'distributed actor' or a distributed protocol", line: 1, column: 1)]
        )
    }

    @Test func onAPlainActorItIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @ServiceContract
            actor Calculator {}
            """,
            expandedSource: "actor Calculator {}",
            diagnostics: [
                DiagnosticSpec(
                    message: "@ServiceContract applies to a 'distributed actor'; this actor cannot be called from another process",
                    line: 1, column: 1,
                    fixIts: [FixItSpec(message: "make it a 'distributed actor'")]
                ),
            ],
            applyFixIts: ["make it a 'distributed actor'"],
            fixedSource: """
            @ServiceContract
            distributed actor Calculator {}
            """
        )
    }

    @Test func onAProtocolThatDoesNotInheritServiceInterfaceItIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @ServiceContract
            protocol Greeting: DistributedActor {
                distributed func greet(_ name: String) -> String
            }
            """,
            expandedSource: """
            protocol Greeting: DistributedActor {
                distributed func greet(_ name: String) -> String
            }
            """,
            diagnostics: [
                DiagnosticSpec(
                    message: "@ServiceContract on a protocol describes its interface through 'ServiceInterface', which the protocol must inherit so that its stub conforms",
                    line: 1, column: 1,
                    fixIts: [FixItSpec(message: "inherit 'ServiceInterface'")]
                ),
            ],
            applyFixIts: ["inherit 'ServiceInterface'"],
            fixedSource: """
            @ServiceContract
            protocol Greeting: DistributedActor, ServiceInterface {
                distributed func greet(_ name: String) -> String
            }
            """
        )
    }

    @Test func evictingFromAMethodThatIsNotCachedIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @ServiceContract
            distributed actor Users {
                @Cache(ttl: .seconds(1))
                distributed func user(id: String) -> String { id }
                @CacheEvict("users(id:)", key: "id")
                distributed func remove(id: String) {}
            }
            """,
            expandedSource: #"""
            distributed actor Users {
                distributed func user(id: String) -> String { id }
                distributed func remove(id: String) {}
            }

            extension Users: TitanPolicies.ContractedService {
                static let manifest: TitanPolicies.ServiceManifest = TitanPolicies.ServiceManifest(
                    service: "Users",
                    methods: [
                        TitanPolicies.MethodDescriptor(name: "user", parameters: [TitanPolicies.ParameterDescriptor(label: "id", name: "id", type: "String", isStream: false)], resultType: "String", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(cache: TitanPolicies.CachePolicy(ttl: .seconds(1)))),
                        TitanPolicies.MethodDescriptor(name: "remove", parameters: [TitanPolicies.ParameterDescriptor(label: "id", name: "id", type: "String", isStream: false)], resultType: "()", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(cacheEvictions: [TitanPolicies.CacheEvictPolicy("users(id:)", key: "id")])),
                    ]
                )

                static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0xa8ab11940f594292)
                }

                static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
                    method index: Int,
                    on actor: Users,
                    arguments: inout _TitanArguments,
                    result: _TitanSink
                ) async throws {
                    switch index {
                    case 0:
                        let a0: String = try arguments.decodeNextArgument()
                        let value = try await actor.user(id: a0)
                        try await result.onReturn(value: value)
                    case 1:
                        let a0: String = try arguments.decodeNextArgument()
                        try await actor.remove(id: a0)
                        try await result.onReturnVoid()
                    default:
                        throw TitanPolicies.DispatchError(index: index, service: "Users")
                    }
                }

                static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
                    method index: Int,
                    arguments: inout _TitanArguments
                ) throws -> TitanPolicies.PolicyKeys {
                    switch index {
                    case 0:
                        let a0: String = try arguments.decodeNextArgument()
                        var keys = TitanPolicies.PolicyKeys()
                        keys.cache = TitanPolicies.PolicyKeyText.joined([TitanPolicies.PolicyKeyText.of(a0)])
                        return keys
                    case 1:
                        let a0: String = try arguments.decodeNextArgument()
                        var keys = TitanPolicies.PolicyKeys()
                        keys.evictions = [TitanPolicies.PolicyKeys.Eviction(method: "users(id:)", key: TitanPolicies.PolicyKeyText.of(a0))]
                        return keys
                    default:
                        return TitanPolicies.PolicyKeys()
                    }
                }

                static func heal(method index: Int, on actor: Users) async throws -> Bool {
                    return false
                }
            }
            """#,
            diagnostics: [
                DiagnosticSpec(
                    message: "@CacheEvict names 'users(id:)', which is not a @Cache method of this actor; the @Cache methods are user(id:)",
                    line: 5, column: 17,
                    fixIts: [FixItSpec(message: "use 'user(id:)'")]
                ),
            ],
            applyFixIts: ["use 'user(id:)'"],
            fixedSource: """
            @ServiceContract
            distributed actor Users {
                @Cache(ttl: .seconds(1))
                distributed func user(id: String) -> String { id }
                @CacheEvict("user(id:)", key: "id")
                distributed func remove(id: String) {}
            }
            """
        )
    }

    @Test func healingWithAMethodTheActorDoesNotHaveIsAnError() {
        assertExpansion(
            """
            @ServiceContract
            distributed actor Fetcher {
                @SelfHeal(using: "reconect")
                distributed func fetch() -> Int { 1 }
                func reconnect() {}
            }
            """,
            expandedSource: #"""
            distributed actor Fetcher {
                distributed func fetch() -> Int { 1 }
                func reconnect() {}
            }

            extension Fetcher: TitanPolicies.ContractedService {
                static let manifest: TitanPolicies.ServiceManifest = TitanPolicies.ServiceManifest(
                    service: "Fetcher",
                    methods: [
                        TitanPolicies.MethodDescriptor(name: "fetch", parameters: [], resultType: "Int", returnsStream: false, isTableDispatched: true, policies: TitanPolicies.MethodPolicies(selfHeal: TitanPolicies.SelfHealPolicy(using: "reconect"))),
                    ]
                )

                static var interfaceHash: TitanPolicies.InterfaceHash {
                    TitanPolicies.InterfaceHash(rawValue: 0x531607075da048dd)
                }

                static func dispatch<_TitanArguments: TitanPolicies.DispatchArgumentDecoder, _TitanSink: TitanPolicies.DispatchResultSink>(
                    method index: Int,
                    on actor: Fetcher,
                    arguments: inout _TitanArguments,
                    result: _TitanSink
                ) async throws {
                    switch index {
                    case 0:
                        let value = try await actor.fetch()
                        try await result.onReturn(value: value)
                    default:
                        throw TitanPolicies.DispatchError(index: index, service: "Fetcher")
                    }
                }

                static func policyKeys<_TitanArguments: TitanPolicies.DispatchArgumentDecoder>(
                    method index: Int,
                    arguments: inout _TitanArguments
                ) throws -> TitanPolicies.PolicyKeys {
                    return TitanPolicies.PolicyKeys()
                }

                static func heal(method index: Int, on actor: Fetcher) async throws -> Bool {
                    return false
                }
            }
            """#,
            diagnostics: [
                DiagnosticSpec(message: "@SelfHeal names 'reconect', but this actor has no method 'reconect()' without arguments", line: 3, column: 22),
            ]
        )
    }
}
