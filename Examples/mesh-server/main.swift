// The README's discovery, dependencies and events example, compiled and run by ReadmeTests.
import Distributed
import TitanPM

struct OrderPlaced: Codable, Sendable {
    var order: String
    var total: Int
}

distributed actor Prices: ProcessService {
    static let name = "prices"
    static let version = "2.3.0"
    distributed func price(of item: String) -> Int { item.count * 10 }
}

distributed actor Checkout: ProcessService {
    static let name = "checkout"
    static var dependencies: [ServiceDependency] { [.on(Prices.self, "^2.1")] }  // started before it

    distributed func place(_ order: String, items: [String]) async throws -> Int {
        let prices = try await actorSystem.dependency(Prices.self)  // its own socket to Prices, not via the manager
        var total = 0
        for item in items { total += try await prices.price(of: item) }
        try await actorSystem.eventBus.emit(OrderPlaced(order: order, total: total))
        return total
    }
}

ProcessManager.bootstrap()
let pm = ProcessManager()
let placed = try await pm.eventBus.subscribe(to: OrderPlaced.self, bufferSize: 100, overflow: .dropOldest)
let checkout = try await pm.spawn(Checkout.self)                 // starts Prices first
let prices = try await pm.discover(Prices.self, version: "^2")  // waits up to 30 s for one
print(try await checkout.place("A-1", items: ["pear", "fig"]), try await prices.price(of: "kiwi"))
for await order in placed {
    print(order.order, order.total)
    break
}
await pm.shutdown()
