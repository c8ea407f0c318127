import Foundation
import Glibc
import Synchronization
import Testing
import TitanPMTestKit
import TitanPrometheus
import TitanTestServices
@testable import TitanPM
@testable import TitanProcess

extension TitanPMTests {
    @Suite struct Prometheus {
        /// A real Prometheus server (Debian's `prometheus` package) on loopback, scraping
        /// `target` every second, with its data in a directory of its own.
        private final class PrometheusServer: Sendable {
            let port: Int
            let pid: Int32
            let directory: String
            private let exited = ExitRecorder()

            private static let candidates = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]

            /// The server's executable; on a machine without it, Debian's package is installed
            /// first (as root, with apt-get), so that `swift test` works on a fresh machine.
            private static func installed() -> String? {
                if let binary = candidates.first(where: { access($0, X_OK) == 0 }) { return binary }
                guard geteuid() == 0, access("/usr/bin/apt-get", X_OK) == 0 else { return nil }
                _ = system("apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null 2>&1")
                return candidates.first { access($0, X_OK) == 0 }
            }

            init(scraping target: Int) async throws {
                guard let binary = Self.installed() else {
                    throw ProcessError(.executableNotFound, "prometheus is not installed and could not be (apt-get install -y prometheus; .ci/run installs it)")
                }
                directory = makeTemporaryDirectory("titan-prometheus")
                let config = """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: titan
                    scrape_interval: 1s
                    static_configs:
                      - targets: ['127.0.0.1:\(target)']
                """
                try config.write(toFile: "\(directory)/prometheus.yml", atomically: true, encoding: .utf8)
                port = freeLoopbackPort()
                let log = open("\(directory)/prometheus.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                defer { close(log) }
                pid = try await ChildLauncher.shared.launch(LaunchRequest(
                    executable: binary,
                    arguments: [
                        "--config.file=\(directory)/prometheus.yml",
                        "--storage.tsdb.path=\(directory)/data",
                        "--web.listen-address=127.0.0.1:\(port)",
                    ],
                    environment: ["PATH": "/usr/bin:/bin", "HOME": directory],
                    workingDirectory: directory,
                    descriptors: [(parentFD: log, childFD: 1), (parentFD: log, childFD: 2)]
                ))
                let recorder = exited
                try ExitWatcher.shared.watch(pid: pid) { recorder.record($0) }
            }

            /// The value of the instant query `query`, or nil while Prometheus has none.
            func query(_ query: String) -> Double? {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
                guard let (status, body) = httpGet(port: port, path: "/api/v1/query?query=\(encoded)"), status == 200,
                      let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                      let data = json["data"] as? [String: Any],
                      let result = data["result"] as? [[String: Any]],
                      let value = result.first?["value"] as? [Any], value.count == 2,
                      let text = value[1] as? String
                else { return nil }
                return Double(text)
            }

            var log: String { readFile("\(directory)/prometheus.log") ?? "" }

            func stop() async {
                kill(pid, SIGTERM)
                _ = await eventually(.seconds(10)) { self.exited.status != nil }
                if exited.status == nil { kill(pid, SIGKILL) }
                _ = await eventually(.seconds(5)) { self.exited.status != nil }
                removeTree(directory)
            }
        }

        @Test func aRealPrometheusScrapesTheManagerAndAnswersForACallCount() async throws {
            let registry = testPrometheusRegistry
            try await withProcessManager { pm in
                let calc = try await pm.spawn(Calculator.self)
                let pid = try await calc.pid()
                let calls = 7
                for i in 0..<calls { _ = try await calc.add(i, i) }
                let endpoint = try pm.serveMetrics(registry, port: 0)
                defer { endpoint.stop() }
                let port = try #require(endpoint.port)

                // The endpoint itself answers in the exposition format.
                let (status, body) = try #require(httpGet(port: port, path: "/metrics"))
                #expect(status == 200)
                #expect(body.contains("titan_calls_total{"))
                #expect(httpGet(port: port, path: "/nothing-here")?.status == 404)

                let prometheus = try await PrometheusServer(scraping: port)
                let query = "titan_calls_total{process=\"\(calc.id.process)\",pid=\"\(pid)\",method=\"add(_:_:)\",side=\"server\"}"
                let seen = await eventually(.seconds(60)) { prometheus.query(query) == Double(calls) }
                let up = prometheus.query("up{job=\"titan\"}")
                let value = prometheus.query(query)
                let log = prometheus.log
                await prometheus.stop()
                #expect(seen, "Prometheus answered \(String(describing: value)) for \(query) (up: \(String(describing: up))); its log:\n\(log.suffix(2000))")
                #expect(up == 1)
            }
        }
    }
}

/// How a process this test started and watches ended, once it has.
private final class ExitRecorder: Sendable {
    private let value = Mutex<Termination?>(nil)
    func record(_ status: Termination) { value.withLock { $0 = status } }
    var status: Termination? { value.withLock { $0 } }
}
