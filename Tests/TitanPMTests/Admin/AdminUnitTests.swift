import FoundationEssentials
import Testing
@testable import TitanAdmin
import TitanAdminAPI
import TitanPMTestKit
@testable import TitanPM

extension TitanPMTests {
    /// The admin endpoint's parts, without child processes.
    @Suite struct AdminParts {
        @Test func demangledThunksBecomeMethods() throws {
            let plain = try #require(DistributedMethod(
                mangledName: "$s1A4CalcC6divide_2byS2i_SitYaKFTE",
                demangled: "distributed thunk App.Calc.divide(_: Swift.Int, by: Swift.Int) async throws -> Swift.Int"
            ))
            #expect(plain.owner == "App.Calc")
            #expect(plain.info.name == "divide(_:by:)")
            #expect(plain.info.parameters == [ParameterInfo(label: nil, type: "Int"), ParameterInfo(label: "by", type: "Int")])
            #expect(plain.info.result == "Int")
            #expect(!plain.isGeneric)

            let nested = try #require(DistributedMethod(
                mangledName: "x",
                demangled: "distributed thunk App.Outer.Inner.load(keys: [Swift.String], into: [Swift.String : App.Box<Swift.Int>]) async throws -> (Swift.Int, Swift.String?)"
            ))
            #expect(nested.owner == "App.Outer.Inner")
            #expect(nested.info.name == "load(keys:into:)")
            #expect(nested.info.parameters.map(\.type) == ["[String]", "[String : App.Box<Int>]"])
            #expect(nested.info.result == "(Int, String?)")

            let generic = try #require(DistributedMethod(
                mangledName: "x",
                demangled: "distributed thunk App.Calc.echo<A where A: Swift.Decodable, A: Swift.Encodable>(A) async throws -> A"
            ))
            #expect(generic.isGeneric && generic.owner == "App.Calc" && generic.info.name == "echo(_:)")

            let void = try #require(DistributedMethod(mangledName: "x", demangled: "distributed thunk App.Calc.reset() async throws -> ()"))
            #expect(void.info.name == "reset()" && void.info.parameters.isEmpty && void.info.result == "()")
            #expect(DistributedMethod(mangledName: "x", demangled: "App.Calc.add(Swift.Int) -> Swift.Int") == nil)
            #expect(DistributedMethod.readable("MySwift.Thing<Swift.Int>") == "MySwift.Thing<Int>")
            #expect(DistributedMethod.readable("Swift.Optional<Swift.Int>") == "Int?")
            #expect(DistributedMethod.readable("[Swift.Optional<App.Box<Swift.Int>>]") == "[App.Box<Int>?]")
        }

        @Test func theRuntimeTableListsTheTestServicesMethods() {
            let methods = MethodTable.methods(of: "TitanTestServices.Calculator")
            let add = methods.first { $0.info.name == "add(_:_:)" }
            #expect(add?.info.invocable == true)
            #expect(add.map { JSONInvoker.parameterTypes($0.mangledName).map { "\($0)" } } == ["Int", "Int"])
            #expect(methods.first { $0.info.name == "echo(_:)" }?.info.invocable == false)
            #expect(MethodTable.methods(of: "TitanTestServices.Streamer").first { $0.info.name == "numbers(upTo:)" }?.info.note == "streams values; call it from Swift")
        }

        @Test func jsonValuesRoundTrip() throws {
            let value = try JSONValue(parsing: #"{"a": [1, 2.5, "x", true, null], "b": {"c": -3}}"#)
            #expect(value == .object(["a": .array([.integer(1), .number(2.5), .string("x"), .bool(true), .null]), "b": .object(["c": .integer(-3)])]))
            #expect(try JSONValue(parsing: value.description) == value)
            #expect(try JSONValue.integer(7).decode(as: Int.self) == 7)
            #expect(throws: AdminError.self) { try JSONValue(parsing: "{nope") }
        }

        @Test func linesAreSplitAndBounded() throws {
            var buffer = LineBuffer(limit: 8)
            #expect(try buffer.append(Array("ab\r\ncd\ne".utf8)) == [Array("ab".utf8), Array("cd".utf8)])
            #expect(try buffer.append(Array("f\n".utf8)) == [Array("ef".utf8)])
            #expect(throws: LineBuffer.Overflow.self) { try buffer.append(Array("123456789".utf8)) }
        }

        @Test func tokensCompareWhole() {
            #expect(AdminConnection.constantTimeEqual("secret", "secret"))
            #expect(!AdminConnection.constantTimeEqual("secret", "secreT"))
            #expect(!AdminConnection.constantTimeEqual("secret", "secret2"))
            #expect(!AdminConnection.constantTimeEqual("", "secret"))
        }

        @Test func theJournalLosesAndRepeatsNothingBetweenPastAndLive() async throws {
            try await withProcessManager { pm in
                let journal = EventJournal(manager: pm, history: 100)
                for n in 0..<10 { journal.record(source: "test", subject: "s", kind: "\(n)") }
                let stream = journal.events(last: 5, follow: true)
                let writer = Task { for n in 10..<50 { journal.record(source: "test", subject: "s", kind: "\(n)") } }
                let seen = try await within(.seconds(10), "45 events") {
                    var kinds: [String] = []
                    for await event in stream {
                        kinds.append(event.kind)
                        if kinds.count == 45 { break }
                    }
                    return kinds
                }
                await writer.value
                #expect(seen == (5..<50).map(String.init))
                journal.stop()
            }
        }
    }
}
