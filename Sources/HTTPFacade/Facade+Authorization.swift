import Foundation
import Hummingbird
import Manifest
import NIOCore
import State
import Toolkit

extension Facade {
    // MARK: Authorization

    /// Every namespace when no tokens are configured.
    static let everything = APITokens.Grant(namespaces: nil)

    func grant(_ request: Request) -> APITokens.Grant? {
        guard let tokens else { return Self.everything }
        return tokens.grant(authorization: request.headers[.authorization])
    }

    func authorized(_ request: Request, _ body: (APITokens.Grant) -> Response) -> Response {
        guard let grant = grant(request) else { return unauthorized() }
        return body(grant)
    }

    func authorizedAsync(_ request: Request, _ body: (APITokens.Grant) async -> Response) async -> Response {
        guard let grant = grant(request) else { return unauthorized() }
        return await body(grant)
    }

    func unauthorized() -> Response {
        var response = error(
            .unauthorized, "a bearer token of --api-tokens-file is required (Authorization: Bearer TOKEN)")
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    /// Whether `grant` may see (or act on) the application `name`: by its registration
    /// files, else (registration gone, undeploy pending) by its status document.
    func visible(_ name: String, grant: APITokens.Grant) -> Bool {
        if grant.namespaces == nil { return true }
        let h = scanner.holders(of: name)
        if !h.files.isEmpty { return h.allow(grant) }
        guard let doc = try? layout.readStatus(name), !doc.namespace.isEmpty else { return false }
        return grant.allows(doc.namespace)
    }
}

extension AppsDir.Holders {
    /// Whether `grant` may change what these files hold.
    func allow(_ grant: APITokens.Grant) -> Bool {
        unknown ? grant.namespaces == nil : namespaces.allSatisfy(grant.allows)
    }
}
