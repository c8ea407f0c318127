import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TitanAdmin
import TitanAdminAPI

/// A request's context: who sent it.
struct DashboardContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
    }
}

/// The dashboard's HTTP surface: the page, `POST /api` and `GET /api/stream`.
struct DashboardRoutes: Sendable {
    let controller: AdminController
    let options: DashboardOptions
    let site: Site
    let streams: StreamRegistry

    func router() -> Router<DashboardContext> {
        let router = Router(context: DashboardContext.self)
        router.get("/") { request, _ in try self.page("index.html", request) }
        router.get("/index.html") { request, _ in try self.page("index.html", request) }
        router.get("/dashboard.js") { request, _ in try self.page("dashboard.js", request) }
        router.get("/dashboard.css") { request, _ in try self.page("dashboard.css", request) }
        router.post("/api") { request, context in try await self.api(request, context) }
        router.get("/api/stream") { request, context in try await self.stream(request, context) }
        return router
    }

    // MARK: Access

    /// Token, host and content checks shared by every route.
    private func admit(_ request: Request, needsToken: Bool = true) throws {
        if let token = options.token, needsToken {
            let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            let given = bearer ?? request.uri.queryParameters.get("token")
            guard let given, given == token else {
                throw HTTPError(.unauthorized, message: "this dashboard needs its token: open the URL the manager logged")
            }
        } else if options.token == nil {
            // Without a token, only a page this server served may call it: a host name that
            // is not ours means DNS rebinding from some other site.
            let host = request.head.authority ?? ""
            let name = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }.dropFirst()) : String(host.prefix { $0 != ":" })
            guard ["127.0.0.1", "localhost", "::1"].contains(name) || name.hasPrefix("127.") else {
                throw HTTPError(.forbidden, message: "host \(host) is not this dashboard's")
            }
        }
    }

    private func peer(_ context: DashboardContext) -> AdminPeer {
        AdminPeer(transport: .http, address: context.remoteAddress)
    }

    // MARK: Routes

    private func page(_ name: String, _ request: Request) throws -> Response {
        // The page itself carries no data; it asks /api with the token from its URL.
        try admit(request, needsToken: false)
        guard let file = site.files[name] else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    private func api(_ request: Request, _ context: DashboardContext) async throws -> Response {
        try admit(request)
        // A JSON body cannot be sent across sites without a CORS preflight, which this
        // server never grants.
        guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
            throw HTTPError(.unsupportedMediaType, message: "send the request as application/json")
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        let adminRequest: AdminRequest
        do {
            adminRequest = try JSONDecoder().decode(AdminRequest.self, from: Data(buffer: body))
        } catch {
            return json(AdminOutcomeText.failure(AdminError(.badRequest, "not a request: \(error)")))
        }
        switch await controller.handle(adminRequest, from: peer(context)) {
        case .reply(let bytes):
            return json(bytes)
        case .stream(let documents):
            // A finite stream (events or logs without follow) as one JSON array of replies.
            var items: [[UInt8]] = []
            for await document in documents { items.append(document) }
            return json(Array("[".utf8) + Array(items.joined(separator: Array(",".utf8))) + Array("]".utf8))
        }
    }

    private func stream(_ request: Request, _ context: DashboardContext) async throws -> Response {
        try admit(request)
        guard let text = request.uri.queryParameters.get("request"),
              let adminRequest = try? JSONDecoder().decode(AdminRequest.self, from: Data(text.utf8)) else {
            throw HTTPError(.badRequest, message: "pass the request as ?request=<JSON>")
        }
        let documents: AsyncStream<[UInt8]>
        switch await controller.handle(adminRequest, from: peer(context)) {
        case .reply(let bytes): documents = AsyncStream { $0.yield(bytes); $0.finish() }
        case .stream(let stream): documents = stream
        }
        let events = streams.register(documents)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for await event in events {
                try await writer.write(ByteBuffer(bytes: event))
            }
            try await writer.finish(nil)
        })
    }

    private func json(_ bytes: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// An error reply when there is no request to answer.
enum AdminOutcomeText {
    static func failure(_ error: AdminError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? [UInt8](encoder.encode(AdminReply<NoResult>.failure(error, id: nil)))) ?? Array(#"{"ok":false}"#.utf8)
    }
}
