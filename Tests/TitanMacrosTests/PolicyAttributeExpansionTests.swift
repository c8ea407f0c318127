import SwiftSyntaxMacrosGenericTestSupport
import Testing

@Suite("Policy attribute expansion")
struct PolicyAttributeExpansionTests {
    /// Every policy attribute, correctly used: each expands to nothing and says nothing.
    static let correctUses: [(attribute: String, function: String)] = [
        (#"@RateLimit(100, per: .seconds(1), strategy: .slidingWindow, key: "userID")"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@CircuitBreaker(.consecutiveFailures(3), resetAfter: .seconds(10))", "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@Retry(3, backoff: .constant(.milliseconds(5)), on: [.notExecuted, .rateLimited])", "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@Timeout(.seconds(5))", "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@Cache(ttl: .seconds(60), key: "user:{userID}", maxEntries: 10, tags: ["all", "u:{userID}"])"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@CacheEvict("balance(userID:)", key: "userID")"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@CacheInvalidate("balance(userID:)", matching: "user:*", tags: ["u:{userID}"])"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@Validate("amount", .range(1...10))"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@Validate(result: .atLeast(0))", "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@Idempotent(key: "userID", ttl: .seconds(60))"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@HealthCheck(interval: .seconds(5), critical: true)", "distributed func check() -> HealthStatus { .healthy }"),
        (#"@Trace("payments")"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        ("@Metric", "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
        (#"@SelfHeal(using: "reconnect", maxAttempts: 2)"#, "distributed func pay(userID: String, amount: Int) -> Int { amount }"),
    ]

    @Test(arguments: correctUses.indices)
    func aCorrectlyUsedAttributeExpandsToNothing(_ index: Int) {
        let use = Self.correctUses[index]
        assertExpansion("\(use.attribute)\n\(use.function)", expandedSource: use.function)
    }

    @Test func anAttributeOnAPlainFuncIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @RateLimit(10, per: .seconds(1))
            @Trace
            func pay() -> Int { 1 }
            """,
            expandedSource: "func pay() -> Int { 1 }",
            diagnostics: [
                DiagnosticSpec(
                    message: "@RateLimit applies to a 'distributed func'; callers in other processes cannot reach this method",
                    line: 1, column: 1,
                    fixIts: [FixItSpec(message: "make it 'distributed func'")]
                ),
            ],
            applyFixIts: ["make it 'distributed func'"],
            fixedSource: """
            @RateLimit(10, per: .seconds(1))
            @Trace
            distributed func pay() -> Int { 1 }
            """
        )
    }

    @Test func anAttributeOnSomethingOtherThanAFunctionIsAnError() {
        assertExpansion(
            "@Timeout(.seconds(1))\nvar limit = 1",
            expandedSource: "var limit = 1",
            diagnostics: [DiagnosticSpec(message: "@Timeout applies to a 'distributed func'", line: 1, column: 1)]
        )
    }

    @Test func aKeyNamingNoArgumentIsAnErrorThatSuggestsTheClosestArgument() {
        assertExpansion(
            """
            @RateLimit(10, per: .seconds(1), key: "userId")
            distributed func pay(userID: String, amount: Int) {}
            """,
            expandedSource: "distributed func pay(userID: String, amount: Int) {}",
            diagnostics: [
                DiagnosticSpec(
                    message: "@RateLimit names 'userId', which is not an argument of pay(userID:amount:); its arguments are userID, amount",
                    line: 1, column: 39,
                    fixIts: [FixItSpec(message: "use 'userID'")]
                ),
            ],
            applyFixIts: ["use 'userID'"],
            fixedSource: """
            @RateLimit(10, per: .seconds(1), key: "userID")
            distributed func pay(userID: String, amount: Int) {}
            """
        )
    }

    @Test func aTemplatePlaceholderNamingNoArgumentIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @Cache(ttl: .seconds(1), key: "user:{uid}")
            distributed func user(id: String) -> String { id }
            """,
            expandedSource: "distributed func user(id: String) -> String { id }",
            diagnostics: [
                DiagnosticSpec(
                    message: "@Cache names 'uid', which is not an argument of user(id:); its arguments are id",
                    line: 1, column: 31,
                    fixIts: [FixItSpec(message: "use 'id'")]
                ),
            ],
            applyFixIts: ["use 'id'"],
            fixedSource: """
            @Cache(ttl: .seconds(1), key: "user:{id}")
            distributed func user(id: String) -> String { id }
            """
        )
    }

    @Test func aKeyThatIsNotALiteralOrNotATemplateIsAnError() {
        assertExpansion(
            """
            @Idempotent(key: keyName)
            @CacheEvict("user(id:)", key: "user:{id")
            distributed func remove(id: String) {}
            """,
            expandedSource: "distributed func remove(id: String) {}",
            diagnostics: [
                DiagnosticSpec(message: "@Idempotent's key must be a string literal, so the macro can read it", line: 1, column: 18),
                DiagnosticSpec(message: "@CacheEvict: 'user:{id' is not a key: write an argument's name, or text with '{argument}' placeholders", line: 2, column: 31),
            ]
        )
    }

    @Test func policiesCannotReadKeysFromStreamArguments() {
        assertExpansion(
            """
            @Validate("input", .nonEmpty)
            @Idempotent
            distributed func sum(_ input: RemoteStream<Int>) -> Int { 0 }
            """,
            expandedSource: "distributed func sum(_ input: RemoteStream<Int>) -> Int { 0 }",
            diagnostics: [
                DiagnosticSpec(message: "@Validate cannot use 'input': it is a RemoteStream, which flows while the method runs", line: 1, column: 11),
                DiagnosticSpec(message: "@Idempotent reads its key from the arguments, which it cannot do for a method that takes a RemoteStream", line: 2, column: 1),
            ]
        )
    }

    @Test func aRepeatedAttributeIsAnErrorWithAFixItThatRemovesIt() {
        assertExpansion(
            """
            @Timeout(.seconds(1))
            @Timeout(.seconds(2))
            distributed func pay() {}
            """,
            expandedSource: "distributed func pay() {}",
            diagnostics: [
                DiagnosticSpec(message: "@Timeout appears more than once on this method", line: 2, column: 1, fixIts: [FixItSpec(message: "remove @Timeout")]),
            ],
            applyFixIts: ["remove @Timeout"],
            fixedSource: """
            @Timeout(.seconds(1))
            distributed func pay() {}
            """
        )
    }

    @Test func cachingAMethodThatEvictsIsAnErrorWithAFixIt() {
        assertExpansion(
            """
            @Cache(ttl: .seconds(1))
            @CacheEvict("user(id:)", key: "id")
            distributed func rename(id: String) -> String { id }
            """,
            expandedSource: "distributed func rename(id: String) -> String { id }",
            diagnostics: [
                DiagnosticSpec(
                    message: "@Cache on a method that also evicts or invalidates cache entries: such a method changes state, so its results must not be served from a cache",
                    line: 1, column: 1,
                    fixIts: [FixItSpec(message: "remove @Cache")]
                ),
            ],
            applyFixIts: ["remove @Cache"],
            fixedSource: """
            @CacheEvict("user(id:)", key: "id")
            distributed func rename(id: String) -> String { id }
            """
        )
    }

    @Test func cachingNothingOrAStreamIsAnError() {
        assertExpansion(
            """
            @Cache(ttl: .seconds(1))
            distributed func touch() {}
            @Cache(ttl: .seconds(1))
            @Idempotent
            distributed func numbers() -> RemoteStream<Int> { RemoteStream(elements: []) }
            """,
            expandedSource: """
            distributed func touch() {}
            distributed func numbers() -> RemoteStream<Int> { RemoteStream(elements: []) }
            """,
            diagnostics: [
                DiagnosticSpec(message: "@Cache needs a method that returns a value; this one returns nothing", line: 1, column: 1),
                DiagnosticSpec(message: "@Cache cannot store a RemoteStream, which can be consumed only once", line: 3, column: 1),
                DiagnosticSpec(message: "@Idempotent cannot store a RemoteStream result to answer repeats with: it can be consumed only once", line: 4, column: 1),
            ]
        )
    }

    @Test func retryWithoutIdempotentIsAWarningWithAFixIt() {
        assertExpansion(
            """
            @Retry(3)
            distributed func charge(amount: Int) -> Int { amount }
            """,
            expandedSource: "distributed func charge(amount: Int) -> Int { amount }",
            diagnostics: [
                DiagnosticSpec(
                    message: "@Retry repeats only calls that provably never ran (not sent, rate limited, circuit open) unless the method is @Idempotent; after a timeout or a crash this method will not be retried. Add @Idempotent, or limit @Retry(on:) to [.notExecuted, .rateLimited, .circuitOpen]",
                    line: 1, column: 1, severity: .warning,
                    fixIts: [FixItSpec(message: "add @Idempotent")]
                ),
            ],
            applyFixIts: ["add @Idempotent"],
            fixedSource: """
            @Idempotent @Retry(3)
            distributed func charge(amount: Int) -> Int { amount }
            """
        )
    }

    @Test func retryOfIdempotentMethodsOrOfNeverExecutedCallsIsQuiet() {
        assertExpansion(
            """
            @Retry(3)
            @Idempotent
            distributed func charge(amount: Int) -> Int { amount }
            @Retry(3, on: [.notExecuted, FailureKind.circuitOpen])
            distributed func refund(amount: Int) -> Int { amount }
            """,
            expandedSource: """
            distributed func charge(amount: Int) -> Int { amount }
            distributed func refund(amount: Int) -> Int { amount }
            """
        )
    }

    @Test func healthChecksTakeNoArgumentsAndReportHealth() {
        assertExpansion(
            """
            @HealthCheck
            distributed func check(verbose: Bool) -> String { "" }
            """,
            expandedSource: #"distributed func check(verbose: Bool) -> String { "" }"#,
            diagnostics: [
                DiagnosticSpec(message: "@HealthCheck methods take no arguments: the manager calls them on its own", line: 1, column: 1),
                DiagnosticSpec(message: "@HealthCheck methods return HealthStatus or Bool", line: 1, column: 1),
            ]
        )
    }

    @Test func validatingAMissingArgumentOrAVoidResultIsAnError() {
        assertExpansion(
            """
            @Validate("amout", .range(1...10))
            @Validate(result: .nonEmpty)
            distributed func pay(amount: Int) {}
            """,
            expandedSource: "distributed func pay(amount: Int) {}",
            diagnostics: [
                DiagnosticSpec(
                    message: "@Validate names 'amout', which is not an argument of pay(amount:); its arguments are amount",
                    line: 1, column: 11,
                    fixIts: [FixItSpec(message: "use 'amount'")]
                ),
                DiagnosticSpec(message: "@Validate(result:) on a method that returns nothing", line: 2, column: 1),
            ]
        )
    }
}
