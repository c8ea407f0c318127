import Distributed
import TitanPM
import TitanPMMacros

/// Stock levels with method policies: lookups are cached, reservations are validated and run
/// once per order, reports are rate limited. Each attribute is enforced in the child process.
@ServiceContract
distributed actor Inventory: ProcessService {
    static let name = "inventory"

    enum Failure: Error, Codable {
        case outOfStock(item: String, available: Int)
    }

    private var stock = ["apple": 5, "pear": 2]
    private var lookups = 0
    private var reservations = 0

    @Cache(ttl: .seconds(30), key: "item")
    distributed func stock(of item: String) -> Int {
        lookups += 1
        return stock[item] ?? 0
    }

    @Validate("quantity", .range(1...10))
    @Validate("item", .length(1...20), .pattern(.alphanumeric))
    @Idempotent(key: "order:{orderID}")
    @CacheEvict("stock(of:)", key: "item")
    distributed func reserve(item: String, quantity: Int, orderID: String) throws -> Int {
        let available = stock[item] ?? 0
        guard available >= quantity else { throw Failure.outOfStock(item: item, available: available) }
        reservations += 1
        stock[item] = available - quantity
        return available - quantity
    }

    @RateLimit(3, per: .seconds(1))
    @Timeout(.seconds(1))
    distributed func report() -> String {
        stock.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// How often the bodies of `stock(of:)` and `reserve` ran.
    distributed func counters() -> [String: Int] {
        ["lookups": lookups, "reservations": reservations]
    }
}
