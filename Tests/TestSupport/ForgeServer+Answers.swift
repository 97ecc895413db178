import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The answers, as each forge documents them:
/// - GitHub: `GET /repos/{owner}/{repo}/pulls` (also `/repositories/{id}/pulls`, where its
///   `Link` headers point), `Authorization: Bearer T` or `token T`; `state` open|closed|all
///   (default open), `per_page` (default 30, at most 100), `page`; pull requests newest
///   first; `Link` with `rel="next"`, `"last"`, `"first"`, `"prev"`.
/// - Gitea: `GET /api/v1/repos/{owner}/{repo}/pulls`, `Authorization: token T` (or
///   `Bearer T`); `state`, `limit` (default 30, at most 50), `page`; `Link` and
///   `X-Total-Count`.
/// - GitLab: `GET /api/v4/projects/{id or url-encoded path}/merge_requests`,
///   `PRIVATE-TOKEN: T` (or `Authorization: Bearer T`); `state`
///   opened|closed|locked|merged|all (default all), `per_page` (default 20, at most 100),
///   `page`; `X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`, `X-Next-Page` (empty on the
///   last page), `X-Prev-Page`, `Link`.
/// Without the token, or with another: 401 and the forge's body; an unknown project: 404.
extension ForgeServer {
    func list(_ r: RecordingServer.Recorded) async -> Response {
        let parts = r.path.split(separator: "?", maxSplits: 1).map(String.init)
        let project = resolve(parts[0])
        let failure = state.withLock { s -> Failure? in
            s.listingRequests.append(r)
            if let project { s.projects[project]?.listings += 1 }
            return s.failure
        }
        switch failure {
        case .serverError?: return Self.json(500, errorBody(500))
        case .badGateway?:
            return Self.answer(
                502, "text/html",
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            )
        case .hang?:
            await hang()
            return Self.json(504, #"{"message":"released"}"#)
        case .answer(let status, let type, let body)?: return Self.answer(status, type, body)
        case nil: break
        }
        if let problem = authProblem(r.headers) { return Self.json(401, problem) }
        guard let project, let id = state.withLock({ $0.projects[project]?.id }) else {
            return Self.json(404, errorBody(404))
        }
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            query[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        let states = forge == .gitlab ? ["opened", "closed", "locked", "merged", "all"] : ["open", "closed", "all"]
        let wanted = query["state"] ?? (forge == .gitlab ? "all" : "open")
        guard states.contains(wanted) else {
            return forge == .gitlab
                ? Self.json(400, #"{"error":"state does not have a valid value"}"#)
                : Self.json(422, #"{"message":"Validation Failed","status":"422"}"#)
        }
        let sizeKey = forge == .gitea ? "limit" : "per_page"
        let (defaultSize, largest) = forge == .gitea ? (30, 50) : (forge == .github ? (30, 100) : (20, 100))
        let asked = query[sizeKey].flatMap(Int.init) ?? defaultSize
        let size = max(1, min(asked, largest, maxPageSize ?? largest))
        let page = max(1, query["page"].flatMap(Int.init) ?? 1)
        let all = pullRequests(project).filter { pr in
            switch wanted {
            case "open", "opened": pr.open
            case "closed": !pr.open
            case "all": true
            default: false
            }
        }.sorted { $0.number > $1.number }
        let last = max(1, (all.count + size - 1) / size)
        let items = all.dropFirst((page - 1) * size).prefix(size)
        let objects = items.map { render($0, project: project, id: id) }
        let body = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])) ?? Data("[]".utf8)
        var fields: HTTPFields = [.contentType: "application/json"]
        func add(_ name: String, _ value: String) { fields.append(HTTPField(name: .init(name)!, value: value)) }
        let link = links(parts[0], id: id, query: query, page: page, last: last)
        if !link.isEmpty { add("Link", link) }
        switch forge {
        case .github: break
        case .gitea: add("X-Total-Count", String(all.count))
        case .gitlab:
            add("X-Page", String(page))
            add("X-Per-Page", String(size))
            add("X-Total", String(all.count))
            add("X-Total-Pages", String(last))
            add("X-Next-Page", page < last ? String(page + 1) : "")
            add("X-Prev-Page", page > 1 ? String(page - 1) : "")
        }
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The project a listing path names (GitLab: by id or url-encoded path), if known.
    func resolve(_ path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let known = state.withLock { $0.projects }
        func byID(_ text: String) -> String? { Int(text).flatMap { id in known.first { $0.value.id == id }?.key } }
        switch forge {
        case .github:
            if segments.count == 3, segments[0] == "repositories", segments[2] == "pulls" { return byID(segments[1]) }
            guard segments.count == 4, segments[0] == "repos", segments[3] == "pulls" else { return nil }
            return known[segments[1] + "/" + segments[2]] == nil ? nil : segments[1] + "/" + segments[2]
        case .gitea:
            guard segments.count == 6, segments[0] == "api", segments[1] == "v1", segments[2] == "repos",
                segments[5] == "pulls"
            else { return nil }
            return known[segments[3] + "/" + segments[4]] == nil ? nil : segments[3] + "/" + segments[4]
        case .gitlab:
            guard segments.count == 5, segments[0] == "api", segments[1] == "v4", segments[2] == "projects",
                segments[4] == "merge_requests", let decoded = segments[3].removingPercentEncoding
            else { return nil }
            return known[decoded] == nil ? byID(decoded) : decoded
        }
    }

    /// nil when the request carries the token the forge's way; else the 401 body.
    func authProblem(_ headers: [String: String]) -> String? {
        let authorization = headers["authorization"]
        switch forge {
        case .github:
            if authorization == "Bearer \(token)" || authorization == "token \(token)" { return nil }
            let message = authorization == nil ? "Requires authentication" : "Bad credentials"
            return #"{"documentation_url":"https://docs.github.com/rest","message":"\#(message)","status":"401"}"#
        case .gitea:
            if authorization == "token \(token)" || authorization == "Bearer \(token)" { return nil }
            let message = authorization == nil ? "token is required" : "invalid username, password or token"
            return #"{"message":"\#(message)","url":"\#(base)/api/swagger"}"#
        case .gitlab:
            if headers["private-token"] == token || authorization == "Bearer \(token)" { return nil }
            return #"{"message":"401 Unauthorized"}"#
        }
    }

    func errorBody(_ status: Int) -> String {
        switch (forge, status) {
        case (.github, 404):
            #"{"documentation_url":"https://docs.github.com/rest/pulls/pulls#list-pull-requests","message":"Not Found","status":"404"}"#
        case (.github, _): #"{"message":"Server Error"}"#
        case (.gitea, 404):
            #"{"errors":["repository does not exist"],"message":"The target couldn't be found.","url":"\#(base)/api/swagger"}"#
        case (.gitea, _): #"{"message":"Internal Server Error","url":"\#(base)/api/swagger"}"#
        case (.gitlab, 404): #"{"message":"404 Project Not Found"}"#
        case (.gitlab, _): #"{"message":"500 Internal Server Error"}"#
        }
    }

    /// `Link`: next and last, first and prev where they apply, on the forge's own URLs.
    func links(_ path: String, id: Int, query: [String: String], page: Int, last: Int) -> String {
        let target =
            switch forge {
            case .github: "\(base)/repositories/\(id)/pulls"
            case .gitea: "\(base)\(path)"
            case .gitlab: "\(base)/api/v4/projects/\(id)/merge_requests"
            }
        func url(_ n: Int) -> String {
            var q = query
            q["page"] = String(n)
            return "<\(target)?" + q.keys.sorted().map { "\($0)=\(q[$0]!)" }.joined(separator: "&") + ">"
        }
        var out: [String] = []
        if page > 1 { out += ["\(url(page - 1)); rel=\"prev\"", "\(url(1)); rel=\"first\""] }
        if page < last { out += ["\(url(page + 1)); rel=\"next\"", "\(url(last)); rel=\"last\""] }
        return out.joined(separator: ", ")
    }

    /// One pull request in the forge's documented shape.
    func render(_ pr: PullRequest, project: String, id: Int) -> [String: Any] {
        let owner = String(project.split(separator: "/").first ?? "")
        func repository(_ fullName: String, _ repoID: Int) -> [String: Any] {
            [
                "id": repoID, "name": String(fullName.split(separator: "/").last ?? ""), "full_name": fullName,
                "private": false, "owner": ["login": String(fullName.split(separator: "/").first ?? ""), "id": 1],
                "html_url": "\(base)/\(fullName)", "default_branch": "main",
            ]
        }
        let headID = pr.fork.map(forkID) ?? id
        switch forge {
        case .github, .gitea:
            let labels: [[String: Any]] = pr.labels.enumerated().map { i, label in
                [
                    "id": 1000 + i, "name": label, "color": "ededed", "description": NSNull(),
                    "url": "\(base)/repos/\(project)/labels/\(label)", "default": false,
                ]
            }
            let headRepo = repository(pr.fork ?? project, headID)
            let baseRepo = repository(project, id)
            return [
                "id": id * 1000 + pr.number, "number": pr.number, "state": pr.open ? "open" : "closed",
                "title": "Change \(pr.number)", "body": NSNull(), "locked": false, "draft": false,
                "url": "\(apiURL)/repos/\(project)/pulls/\(pr.number)",
                "html_url": "\(base)/\(project)/pull/\(pr.number)", "user": ["login": owner, "id": 1],
                "labels": labels,
                "head": [
                    "label": "\((pr.fork ?? project).split(separator: "/")[0]):\(pr.branch)", "ref": pr.branch,
                    "sha": pr.headSHA, "repo_id": headID, "repo": headRepo,
                ],
                "base": [
                    "label": "\(owner):main", "ref": "main", "sha": String(repeating: "b", count: 40),
                    "repo_id": id, "repo": baseRepo,
                ],
                "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-02T10:00:00Z",
            ]
        case .gitlab:
            return [
                "id": id * 1000 + pr.number, "iid": pr.number, "project_id": id, "title": "Change \(pr.number)",
                "description": "", "state": pr.open ? "opened" : "closed", "target_branch": "main",
                "source_branch": pr.branch, "source_project_id": headID, "target_project_id": id,
                "labels": pr.labels, "draft": false, "work_in_progress": false, "sha": pr.headSHA,
                "merge_commit_sha": NSNull(), "squash_commit_sha": NSNull(), "merge_status": "can_be_merged",
                "detailed_merge_status": "mergeable", "author": ["id": 1, "username": owner],
                "reference": "!\(pr.number)", "references": ["full": "\(project)!\(pr.number)"],
                "web_url": "\(base)/\(project)/-/merge_requests/\(pr.number)", "user_notes_count": 0,
                "created_at": "2024-05-01T10:00:00.000Z", "updated_at": "2024-05-02T10:00:00.000Z",
                "has_conflicts": false, "blocking_discussions_resolved": true, "upvotes": 0, "downvotes": 0,
                "milestone": NSNull(), "assignees": [] as [Any], "reviewers": [] as [Any],
            ]
        }
    }

    func forkID(_ fork: String) -> Int {
        state.withLock { s in
            if let id = s.forkIDs[fork] { return id }
            s.nextID += 1
            s.forkIDs[fork] = s.nextID
            return s.nextID
        }
    }

    /// A commit-status POST: answered by `ForgeContract` for the project its path names,
    /// and kept in `statuses`.
    func status(_ r: RecordingServer.Recorded) -> Response {
        state.withLock { $0.statuses.append(r) }
        let segments = r.path.dropFirst(Self.apiPath(forge).count).split(separator: "/").map(String.init)
        let project: String? =
            switch forge {
            case .github, .gitea: segments.count == 5 && segments[0] == "repos" ? segments[1] + "/" + segments[2] : nil
            case .gitlab: segments.count == 4 && segments[0] == "projects" ? segments[1].removingPercentEncoding : nil
            }
        guard let project, state.withLock({ $0.projects[project] != nil }) else {
            return Self.json(404, errorBody(404))
        }
        let (status, body) = ForgeContract.respond(forge: forge.rawValue, token: token, project: project)(r)
        return Self.json(status, body)
    }

    static func json(_ status: Int, _ body: String) -> Response { answer(status, "application/json", body) }

    static func answer(_ status: Int, _ type: String, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: type],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
