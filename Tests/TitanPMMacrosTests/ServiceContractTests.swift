import Testing
import TitanPM
import TitanPMMacros

@Suite("@ServiceContract, compiled")
struct ServiceContractTests {
    let accounts = Accounts(actorSystem: ProcessActorSystem(processID: "contract-tests"))

    private func index(_ key: String) throws -> Int {
        try #require(Accounts.manifest.index(ofKey: key))
    }

    private func runs(_ method: String) async -> Int {
        await accounts.whenLocal { $0.runs(method) } ?? -1
    }

    @Test func manifestListsEveryDistributedMethodInOrderAndNothingElse() {
        #expect(Accounts.manifest.service == "Accounts")
        #expect(Accounts.manifest.methods.map(\.key) == [
            "add(_:_:)", "transfer(userID:amount:requestID:)", "user(id:org:)", "rename(id:to:)",
            "deleteOrg(org:)", "label(_:)", "check()", "fetch()", "numbers(upTo:)", "echo(_:)",
            "overloaded(_:)", "overloaded(_:)",
        ])
    }

    @Test func manifestRecordsSignaturesAndStreaming() throws {
        let add = try #require(Accounts.manifest.method(forKey: "add(_:_:)"))
        #expect(add.parameters == [
            ParameterDescriptor(label: nil, name: "a", type: "Int"),
            ParameterDescriptor(label: nil, name: "b", type: "Int"),
        ])
        #expect(add.resultType == "Int")
        #expect(add.policies.isEmpty)
        let numbers = try #require(Accounts.manifest.method(forKey: "numbers(upTo:)"))
        #expect(numbers.returnsStream && numbers.isStreaming)
        #expect(numbers.resultType == "RemoteStream<Int>")
        let rename = try #require(Accounts.manifest.method(forKey: "rename(id:to:)"))
        #expect(rename.resultType == "()")
        let echo = try #require(Accounts.manifest.method(forKey: "echo(_:)"))
        #expect(!echo.isTableDispatched)
    }

    @Test func manifestRecordsEachPolicyWithItsArguments() throws {
        let transfer = try #require(Accounts.manifest.method(forKey: "transfer(userID:amount:requestID:)")).policies
        #expect(transfer.rateLimit == RateLimitPolicy(100, per: .seconds(1), strategy: .tokenBucket(burst: 20), key: "userID"))
        #expect(transfer.retry == RetryPolicy(3, backoff: .constant(.milliseconds(10))))
        #expect(transfer.idempotency == IdempotencyPolicy(key: "transfer:{userID}:{requestID}"))
        #expect(transfer.timeout == TimeoutPolicy(.seconds(2)))
        #expect(transfer.trace == TracePolicy())
        #expect(transfer.metric == MetricPolicy("transfers"))
        #expect(transfer.validations == [
            ValidationDescriptor(field: "amount", rules: ["range 1...10000"]),
            ValidationDescriptor(field: "userID", rules: ["length 1...32", "pattern alphanumeric"]),
            ValidationDescriptor(field: "result", rules: ["custom: has an id"]),
        ])
        let user = try #require(Accounts.manifest.method(forKey: "user(id:org:)")).policies
        #expect(user.cache == CachePolicy(ttl: .seconds(60), key: "id", maxEntries: 100, tags: ["org:{org}"]))
        #expect(user.circuitBreaker == CircuitBreakerPolicy(.errorRate(0.5, minimumCalls: 10, within: .seconds(30)), resetAfter: .seconds(5)))
        let deleteOrg = try #require(Accounts.manifest.method(forKey: "deleteOrg(org:)")).policies
        #expect(deleteOrg.cacheInvalidations == [
            CacheInvalidatePolicy(tags: ["org:{org}"]),
            CacheInvalidatePolicy("user(id:org:)", matching: "admin*"),
        ])
        let check = try #require(Accounts.manifest.method(forKey: "check()")).policies
        #expect(check.healthCheck == HealthCheckPolicy(interval: .seconds(5), critical: true))
        let fetch = try #require(Accounts.manifest.method(forKey: "fetch()")).policies
        #expect(fetch.selfHeal == SelfHealPolicy(using: "reconnect"))
    }

    @Test func compileTimeInterfaceHashEqualsTheHashOfTheManifest() {
        #expect(Accounts.interfaceHash == Accounts.manifest.interfaceHash)
        #expect(Accounts.interfaceHash != InterfaceHash(of: ""))
    }

    @Test func dispatchRunsTheMethodAndHandsOverItsResult() async throws {
        var arguments = ArrayArguments(2, 3)
        let sink = RecordingSink()
        try await Accounts.dispatch(method: try index("add(_:_:)"), on: accounts, arguments: &arguments, result: sink)
        #expect(sink.all == [.value("5")])
        #expect(await runs("add") == 1)
    }

    @Test func dispatchOfAVoidMethodReportsVoid() async throws {
        var arguments = ArrayArguments("7", "Ada")
        let sink = RecordingSink()
        try await Accounts.dispatch(method: try index("rename(id:to:)"), on: accounts, arguments: &arguments, result: sink)
        #expect(sink.all == [.void])
    }

    @Test func invalidArgumentsAreAllReportedAndTheBodyDoesNotRun() async throws {
        var arguments = ArrayArguments("not ok!", 0, "r1")
        let sink = RecordingSink()
        let error = await #expect(throws: PolicyError.self) {
            try await Accounts.dispatch(method: try index("transfer(userID:amount:requestID:)"), on: accounts, arguments: &arguments, result: sink)
        }
        #expect(error?.code == .validationFailed)
        #expect(error?.method == "transfer(userID:amount:requestID:)")
        #expect(error?.failures.map(\.field) == ["amount", "userID"])
        #expect(await runs("transfer") == 0)
        #expect(sink.all.isEmpty)
    }

    @Test func anInvalidResultIsRefused() async throws {
        var arguments = ArrayArguments("ada", 13, "r1")
        let sink = RecordingSink()
        let error = await #expect(throws: PolicyError.self) {
            try await Accounts.dispatch(method: try index("transfer(userID:amount:requestID:)"), on: accounts, arguments: &arguments, result: sink)
        }
        #expect(error?.failures == [PolicyError.FieldFailure(field: "result", reason: "has an id")])
        #expect(await runs("transfer") == 1)
        #expect(sink.all.isEmpty)
    }

    @Test func collectionRulesCheckTheArgumentsRealType() async throws {
        var arguments = ArrayArguments(["ok", "much too long"])
        let error = await #expect(throws: PolicyError.self) {
            try await Accounts.dispatch(method: try index("label(_:)"), on: accounts, arguments: &arguments, result: RecordingSink())
        }
        #expect(error?.failures.map(\.field) == ["tags[1]"])
    }

    @Test func overloadsHaveTheirOwnEntries() async throws {
        let indices = Accounts.manifest.methods.indices.filter { Accounts.manifest.methods[$0].key == "overloaded(_:)" }
        #expect(indices.count == 2)
        #expect(Accounts.manifest.index(ofKey: "overloaded(_:)") == nil)
        var text = ArrayArguments("hi")
        let sink = RecordingSink()
        try await Accounts.dispatch(method: indices[1], on: accounts, arguments: &text, result: sink)
        #expect(sink.all == [.value("hi")])
    }

    @Test func genericMethodsHaveNoTableEntry() async throws {
        var arguments = ArrayArguments(1)
        await #expect(throws: DispatchError.self) {
            try await Accounts.dispatch(method: try index("echo(_:)"), on: accounts, arguments: &arguments, result: RecordingSink())
        }
    }

    @Test func policyKeysAreReadFromTheArguments() throws {
        var transfer = ArrayArguments("ada", 10, "r9")
        let keys = try Accounts.policyKeys(method: try index("transfer(userID:amount:requestID:)"), arguments: &transfer)
        #expect(keys.rateLimit == "ada")
        #expect(keys.idempotency == "transfer:ada:r9")

        var user = ArrayArguments("42", "acme")
        let userKeys = try Accounts.policyKeys(method: try index("user(id:org:)"), arguments: &user)
        #expect(userKeys.cache == "42")
        #expect(userKeys.cacheTags == ["org:acme"])

        var rename = ArrayArguments("42", "Ada")
        let renameKeys = try Accounts.policyKeys(method: try index("rename(id:to:)"), arguments: &rename)
        #expect(renameKeys.evictions == [PolicyKeys.Eviction(method: "user(id:org:)", key: "42")])
        #expect(rename.decoded == 1)

        var deleteOrg = ArrayArguments("acme")
        let deleteKeys = try Accounts.policyKeys(method: try index("deleteOrg(org:)"), arguments: &deleteOrg)
        #expect(deleteKeys.invalidatedTags == ["org:acme"])

        var add = ArrayArguments(1, 2)
        #expect(try Accounts.policyKeys(method: try index("add(_:_:)"), arguments: &add) == PolicyKeys())
        #expect(add.decoded == 0)
    }

    @Test func healRunsTheNamedHealerInTheActor() async throws {
        #expect(try await Accounts.heal(method: try index("fetch()"), on: accounts))
        #expect(await runs("reconnect") == 1)
        #expect(try await !Accounts.heal(method: try index("add(_:_:)"), on: accounts))
    }
}
