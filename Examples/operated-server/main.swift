import TitanAdmin
import TitanDashboard

let admin = try pm.serveAdmin(AdminOptions(services: [SpawnableService(Calculator.self)]))
let dashboard = try await admin.serveDashboard()      // http://127.0.0.1:8080/

_ = try await pm.spawn(Calculator.self)
print("titan status --socket \(admin.socketPath); the dashboard at \(dashboard.url); Ctrl-C stops")
while true { try await Task.sleep(for: .seconds(3600)) }
