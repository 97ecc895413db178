import Foundation
import Hummingbird
import Manifest
import State

extension Facade {
    /// `GET /`: the status page, with every application when no token is needed (with
    /// tokens, the page asks the browser for one and fills itself from the event stream).
    func statusPage() -> Response {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let documents =
            tokens != nil
            ? [] : documents().compactMap { try? decoder.decode(StatusDocument.self, from: Data($0.bytes)) }
        let nonce = PageHTML.nonce()
        let html = StatusPage.html(documents, tokensRequired: tokens != nil, now: Date(), nonce: nonce)
        return PageHTML.response(html, nonce: nonce)
    }

    /// `GET /apps/{name}`: the application's page. With API tokens, a request without a
    /// token (a browser's navigation) gets the page without the application, whose script
    /// asks for the token and loads the page again with it; a token that may not see the
    /// application's namespace gets the 404 page, as for an unknown name.
    func appPage(_ name: String, request: Request) -> Response {
        let nonce = PageHTML.nonce()
        let tokensRequired = tokens != nil
        func notFound() -> Response {
            PageHTML.response(
                AppPage.notFound(name: name, tokensRequired: tokensRequired, nonce: nonce), nonce: nonce,
                status: .notFound)
        }
        guard Rules.dnsLabelProblem(name) == nil else { return notFound() }
        if tokensRequired && request.headers[.authorization] == nil {
            return PageHTML.response(AppPage.shell(name: name, nonce: nonce), nonce: nonce)
        }
        guard let grant = grant(request) else {
            return PageHTML.response(AppPage.shell(name: name, nonce: nonce), nonce: nonce, status: .unauthorized)
        }
        guard let doc = pageDocument(name, grant: grant) else { return notFound() }
        let files = scanner.holders(of: name).files
        let context = AppPage.Context(
            history: layout.readHistory(name).attempts, pin: layout.readPin(name),
            claimants: files.count > 1 ? files : [], tokensRequired: tokensRequired, now: Date())
        return PageHTML.response(AppPage.html(doc, context, nonce: nonce), nonce: nonce)
    }

    /// The status document `GET /api/gitops/applications/{name}` answers, decoded: the
    /// status file, else a pending document for a registration without one; nil when there
    /// is neither or the grant may not see its namespace.
    func pageDocument(_ name: String, grant: APITokens.Grant) -> StatusDocument? {
        if FileManager.default.fileExists(atPath: layout.statusFile(name)) {
            guard let doc = try? layout.readStatus(name), grant.allows(doc.namespace) else { return nil }
            return doc
        }
        guard let found = scanner.registration(named: name), grant.allows(found.registration.namespace) else {
            return nil
        }
        return StatusDocument.pending(found.registration, file: found.file, previous: nil)
    }
}
