import Foundation
import Testing
import TitanPolicies

struct Address: Codable, Sendable {
    var city: String
    var zip: String
}

@Suite("Validation")
struct ValidationTests {
    @Test func rangesAndBounds() {
        #expect(ValidationRule<Int>.range(18...120).failures(of: 18, field: "age").isEmpty)
        #expect(ValidationRule<Int>.range(18...120).failures(of: 7, field: "age") == [.init(field: "age", reason: "must be between 18 and 120")])
        #expect(ValidationRule<Double>.atLeast(0.5).failures(of: 0.4, field: "x").map(\.reason) == ["must be at least 0.5"])
        #expect(ValidationRule<Int>.atMost(3).failures(of: 3, field: "x").isEmpty)
    }

    @Test func lengthsCountsAndEmptiness() {
        #expect(ValidationRule<String>.length(2...3).failures(of: "héé", field: "s").isEmpty)   // characters, not bytes
        #expect(ValidationRule<String>.length(2...3).failures(of: "abcd", field: "s").map(\.reason) == ["must be 2 to 3 characters long"])
        #expect(ValidationRule<[Int]>.count(1...2).failures(of: [], field: "xs").map(\.reason) == ["must have between 1 and 2 elements"])
        #expect(ValidationRule<[Int]>.nonEmpty.failures(of: [], field: "xs").map(\.reason) == ["must not be empty"])
    }

    @Test(arguments: [
        (TextPattern.email, "ada@example.org", true), (.email, "ada@example", false), (.email, "@example.org", false),
        (.email, "a b@example.org", false), (.email, "ada@.org", false),
        (.uuid, "123e4567-e89b-12d3-a456-426614174000", true), (.uuid, "123e4567e89b12d3a456426614174000", false),
        (.alphanumeric, "abc123", true), (.alphanumeric, "abc-123", false), (.alphanumeric, "", false),
        (.digits, "0123", true), (.digits, "12a", false),
        (.hexadecimal, "00ffAA", true), (.hexadecimal, "0g", false),
        (.identifier, "_name1", true), (.identifier, "1name", false),
        (.prefix("user:"), "user:1", true), (.suffix(".png"), "a.jpg", false),
        (.contains("@"), "a@b", true), (.oneOf(["red", "green"]), "blue", false),
    ])
    func textPatterns(_ pattern: TextPattern, _ text: String, _ matches: Bool) {
        #expect(pattern.matches(text) == matches)
        let failures = ValidationRule<String>.pattern(pattern).failures(of: text, field: "f")
        #expect(failures.isEmpty == matches)
    }

    @Test func regexMustMatchTheWholeString() {
        let rule = ValidationRule<String>.matches(/[a-z]+-[0-9]+/, "a slug such as abc-12")
        #expect(rule.failures(of: "abc-12", field: "slug").isEmpty)
        #expect(rule.failures(of: "abc-12x", field: "slug").map(\.reason) == ["must be a slug such as abc-12"])
    }

    @Test func customPredicates() {
        let even = ValidationRule<Int>.custom("must be even") { $0 % 2 == 0 }
        #expect(even.failures(of: 4, field: "n").isEmpty)
        #expect(even.failures(of: 3, field: "n") == [.init(field: "n", reason: "must be even")])
        #expect(even.summary == "custom: must be even")
    }

    @Test func nestedFieldsElementsAndOptionalsReportTheirPath() {
        let address = ValidationRule<Address>.field("zip", \.zip, .length(5...5), .pattern(.digits))
        #expect(address.failures(of: Address(city: "Oslo", zip: "12a"), field: "address").map(\.field) == ["address.zip", "address.zip"])
        let tags = ValidationRule<[String]>.each(.length(1...3))
        #expect(tags.failures(of: ["ok", "toolong", ""], field: "tags").map(\.field) == ["tags[1]", "tags[2]"])
        let nickname = ValidationRule<String?>.ifPresent(.length(2...10))
        #expect(nickname.failures(of: nil, field: "nick").isEmpty)
        #expect(nickname.failures(of: "x", field: "nick").count == 1)
        #expect(ValidationRule<String?>.required().failures(of: nil, field: "nick").map(\.reason) == ["is required"])
    }

    @Test func aReportListsEveryFailedFieldAndThrowsThemTogether() {
        var report = ValidationReport()
        report.check(7, field: "age", [.range(18...120)])
        report.check("not an email", field: "email", [.length(3...254), .pattern(.email)])
        report.check("fine", field: "name", [.nonEmpty])
        #expect(!report.isValid)
        #expect(throws: PolicyError.self) { try report.throwIfFailed(method: "register(email:age:)") }
        do {
            try report.throwIfFailed(method: "register(email:age:)")
        } catch {
            #expect(error.code == .validationFailed)
            #expect(error.failures.map(\.field) == ["age", "email"])
            #expect(error.description == "register(email:age:): invalid: age: must be between 18 and 120; email: must be an email address")
        }
        #expect(throws: Never.self) { try ValidationReport().throwIfFailed() }
    }

    @Test func policyErrorsCrossProcessesAsThemselves() throws {
        let error = PolicyError.rateLimited(method: "pay(_:)", retryAfter: .milliseconds(250))
        let decoded = try JSONDecoder().decode(PolicyError.self, from: JSONEncoder().encode(error))
        #expect(decoded == error)
        #expect(decoded.retryAfter == .milliseconds(250))
        #expect(PolicyError.Code(rawValue: "someFutureCode") != .rateLimited)
        #expect(PolicyError.circuitOpen(retryAfter: .seconds(1)).code == .circuitOpen)
        #expect(PolicyError.timedOut(after: .seconds(2)).code == .timedOut)
    }
}
