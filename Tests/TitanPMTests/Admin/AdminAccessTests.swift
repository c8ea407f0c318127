import FoundationEssentials
import Glibc
import Testing
import TitanAdmin
import TitanAdminAPI
import TitanDashboard
import TitanPMTestKit
import TitanTestServices
@testable import TitanPM

/// Switching users needs root; the machine's tests and CI run as root.
private let canSwitchUsers = geteuid() == 0 && nobody() != nil && access("/usr/bin/setpriv", X_OK) == 0

extension TitanPMTests {
    /// Who may use the admin endpoint and the dashboard.
    @Suite struct AdminAccess {
        @Test(.enabled(if: canSwitchUsers, "needs root and setpriv to run a client as nobody"))
        func theSocketsModeKeepsOtherUsersOut() async throws {
            // A directory everyone may enter, so only the socket's own mode stands in the way.
            let directory = try makeTemporaryDirectory(mode: 0o755)
            defer { removeTree(directory) }
            let client = try titanCopy(in: directory)
            try await withAdmin(AdminOptions(socketPath: "\(directory)/admin.sock")) { pm, admin in
                _ = try await pm.spawn(Calculator.self)
                var info = stat()
                #expect(stat(admin.socketPath, &info) == 0)
                #expect(info.st_mode & 0o777 == 0o600)
                let refused = try await titanAsNobody(client, ["status", "--socket", admin.socketPath])
                #expect(refused.exitCode == 77, "\(refused)")
                #expect(refused.stderr == "titan: permission denied connecting to \(admin.socketPath): the endpoint belongs to another user\n")
                #expect(refused.stdout.isEmpty)
                #expect(try await titan(["status"], admin).exitCode == 0, "the owner gets in")
            }
        }

        @Test(.enabled(if: canSwitchUsers, "needs root and setpriv to run a client as nobody"))
        func thePeerCredentialCheckRefusesOtherUsersWhateverTheMode() async throws {
            let directory = try makeTemporaryDirectory(mode: 0o755)
            defer { removeTree(directory) }
            let client = try titanCopy(in: directory)
            let user = try #require(nobody())
            // World-writable socket: the kernel lets anyone connect; the endpoint must refuse.
            try await withAdmin(AdminOptions(socketPath: "\(directory)/open.sock", socketMode: 0o666)) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let pid = pm.process(id: calc.id.process)?.pid
                let refused = try await titanAsNobody(client, ["restart", calc.id.process.rawValue, "--socket", admin.socketPath])
                #expect(refused.exitCode == 77, "\(refused)")
                #expect(refused.stderr == "titan: user \(user.uid) may not use this manager's admin socket (it belongs to user \(geteuid()))\n")
                #expect(pm.process(id: calc.id.process)?.pid == pid, "nothing was restarted")
            }
            // The same socket with nobody allowed: the check, not the mode, was what refused.
            try await withAdmin(AdminOptions(socketPath: "\(directory)/allowed.sock", socketMode: 0o666, allowedUsers: [user.uid])) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let allowed = try await titanAsNobody(client, ["status", "--socket", admin.socketPath])
                #expect(allowed.exitCode == 0, "\(allowed)")
                #expect(allowed.stdout.contains(calc.id.process.rawValue))
            }
        }

        @Test func theTCPEndpointRefusesRequestsWithoutTheToken() async throws {
            try await withAdmin(AdminOptions(tcp: AdminOptions.TCP(token: "s3cret-token"))) { pm, admin in
                let calc = try await pm.spawn(Calculator.self)
                let port = try #require(admin.tcpPort)
                let address = "127.0.0.1:\(port)"
                let none = try await titan(["status", "--tcp", address], nil)
                #expect(none.exitCode == 77)
                #expect(none.stderr == "titan: this endpoint requires a token (--token or $TITAN_TOKEN)\n")
                let wrong = try await titan(["restart", calc.id.process.rawValue, "--tcp", address, "--token", "guess"], nil)
                #expect(wrong.exitCode == 77)
                #expect(pm.process(id: calc.id.process)?.restarts == 0)
                let right = try await titan(["status", "--tcp", address, "--token", "s3cret-token"], nil)
                #expect(right.exitCode == 0, "\(right)")
                #expect(right.stdout.contains(calc.id.process.rawValue))
                let fromEnvironment = try await titan(["tree", "--tcp", address], nil, environment: ["TITAN_TOKEN": "s3cret-token"])
                #expect(fromEnvironment.exitCode == 0, "\(fromEnvironment)")

                // A client without the token gets one error line, then the connection closes.
                let client = try AdminClient(.tcp(host: "127.0.0.1", port: port))
                #expect(throws: AdminError(.unauthorized, "this endpoint requires a token (--token or $TITAN_TOKEN)")) {
                    _ = try client.request(AdminRequest(op: .hello), as: ManagerReport.self)
                }
                #expect { _ = try client.request(AdminRequest(op: .hello, token: "s3cret-token"), as: ManagerReport.self) } throws: { error in
                    (error as? AdminError)?.code == .protocolError
                }
            }
        }

        @Test func aTCPEndpointNeedsAToken() async throws {
            try await withProcessManager { pm in
                #expect(throws: AdminError.self) {
                    _ = try pm.serveAdmin(AdminOptions(socketPath: "/tmp/titan-notoken-\(getpid()).sock", tcp: AdminOptions.TCP(token: "")))
                }
            }
        }

        @Test func aSecondManagerCannotTakeOverALiveSocket() async throws {
            try await withAdmin { _, admin in
                try await withProcessManager { other in
                    #expect { _ = try other.serveAdmin(AdminOptions(socketPath: admin.socketPath)) } throws: { error in
                        (error as? AdminError)?.message.hasPrefix("another manager is already serving at \(admin.socketPath)") == true
                    }
                }
                #expect(try await titan(["status"], admin).exitCode == 0, "the first one still serves")
            }
        }

        @Test func theDashboardRequiresItsTokenAndRefusesForeignPages() async throws {
            try await withAdmin { pm, admin in
                _ = try await pm.spawn(Calculator.self)
                try await withDashboard(admin, DashboardOptions(port: 0, token: "web-token")) { dashboard in
                    #expect(dashboard.url == "http://127.0.0.1:\(dashboard.port)/?token=web-token")
                    let json = ["Content-Type": "application/json"]
                    let request = #"{"op":"status"}"#
                    let without = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: json, body: request))
                    #expect(without.status == 401)
                    let wrong = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: json.merging(["Authorization": "Bearer nope"]) { $1 }, body: request))
                    #expect(wrong.status == 401)
                    let right = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: json.merging(["Authorization": "Bearer web-token"]) { $1 }, body: request))
                    #expect(right.status == 200)
                    let reply = try JSONDecoder().decode(AdminReply<StatusReport>.self, from: Data(right.body.utf8))
                    #expect(reply.ok && reply.result?.processes.count == 1)
                    let page = try #require(httpRequest(port: dashboard.port, path: "/"))
                    #expect(page.status == 200 && page.body.contains("<title>Titan PM</title>"), "the page itself holds no data")
                    let stream = try #require(httpRequest(port: dashboard.port, path: "/api/stream?request=%7B%22op%22%3A%22events%22%7D"))
                    #expect(stream.status == 401)
                }
            }
            try await withAdmin { _, admin in
                // Without a token: loopback only, this host only, JSON only.
                try await withDashboard(admin, DashboardOptions(port: 0)) { dashboard in
                    let body = #"{"op":"hello"}"#
                    let ok = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: ["Content-Type": "application/json"], body: body))
                    #expect(ok.status == 200)
                    let rebinding = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: ["Content-Type": "application/json", "Host": "evil.example:80"], body: body))
                    #expect(rebinding.status == 403)
                    let form = try #require(httpRequest(port: dashboard.port, method: "POST", path: "/api", headers: ["Content-Type": "text/plain"], body: body))
                    #expect(form.status == 415)
                }
                await #expect(throws: AdminError.self) { _ = try await admin.serveDashboard(DashboardOptions(host: "0.0.0.0", port: 0)) }
            }
        }
    }
}
