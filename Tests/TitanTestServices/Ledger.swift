import Distributed
import TitanPM
import TitanPMMacros

/// A `@ServiceContract` service without policies: its calls go through the generated
/// dispatch table. The contract tests spawn another version of it (same name, other methods).
@ServiceContract
public distributed actor Ledger: ProcessService {
    public static let name = "ledger"

    public distributed func add(_ a: Int, _ b: Int) -> Int { a + b }

    /// The dispatch-table index this call arrived with; nil when it went through
    /// `executeDistributedTarget`.
    public distributed func dispatchedIndex() -> Int? {
        ProcessActorSystem.currentCall?.methodIndex
    }

    public distributed func describe(_ value: Int) -> String { "int \(value)" }

    public distributed func describe(_ value: String) -> String { "string \(value)" }

    /// Generic: not in the dispatch table, so it falls back to `executeDistributedTarget`.
    public distributed func echo<Value: Codable & Sendable>(_ value: Value) -> [Value] {
        [value, value]
    }

    public distributed func count(upTo n: Int) -> RemoteStream<Int> {
        RemoteStream(elements: Array(0..<n))
    }

    public distributed func divide(_ a: Int, by b: Int) throws -> Int {
        guard b != 0 else { throw MathError.divisionByZero(dividend: a) }
        return a / b
    }
}
