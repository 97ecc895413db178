import Foundation
import Manifest

/// Reading the forges' answers: a page of pull requests, or an error naming the forge, the
/// URL, the HTTP status and the forge's own `message`.
extension PullRequestAPI {
    /// One page's answer read: its pull requests and whether another page follows, or
    /// why not (a status other than 2xx, an answer that is not JSON, a field missing or
    /// of another type, a head SHA that is not 40 hex digits).
    public static func parse(
        _ g: ApplicationSet.Generator.PullRequests, url: String, status: Int, headers: [(String, String)],
        body: [UInt8]
    ) -> Result<Page, PullRequestListing.Failure> {
        let prefix = "\(g.forge.rawValue) GET \(Registration.redactEndpoint(url)): \(status)"
        guard (200..<300).contains(status) else {
            let said = message(body).map { " \($0)" } ?? (json(body) == nil ? " (the answer is not JSON)" : "")
            let redirect = (300..<400).contains(status) ? "; redirects are not followed" : ""
            return .failure(.init(prefix + said + redirect, status: status))
        }
        func failed(_ why: String) -> Result<Page, PullRequestListing.Failure> {
            .failure(.init("\(prefix) but \(why)", status: status))
        }
        let pulls: [PullRequest]
        do {
            switch g.forge {
            case .github, .gitea:
                pulls = try JSONDecoder().decode([Pull].self, from: Data(body)).map(\.pullRequest)
            case .gitlab:
                pulls = try JSONDecoder().decode([MergeRequest].self, from: Data(body)).map(\.pullRequest)
            }
        } catch let error as DecodingError {
            return failed(describe(error))
        } catch {
            return failed("the answer is not JSON")
        }
        for pr in pulls {
            guard let sha = pr.headSHA else { continue }
            if sha.utf8.count != 40 || !sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                return failed("pull request #\(pr.number)'s head commit \"\(sha.prefix(80))\" is not 40 hex digits")
            }
        }
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var next: Bool? = header("Link").map(hasNext)
        var total = header("X-Total-Count").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if g.forge == .gitlab {
            // An empty X-Next-Page: the last page.
            if let page = header("X-Next-Page") { next = !page.trimmingCharacters(in: .whitespaces).isEmpty }
            total = header("X-Total").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        return .success(Page(pullRequests: pulls, next: next, total: total))
    }

    /// Whether a `Link` header (RFC 8288) has a link with `rel="next"` (the relation may be
    /// one of several, `rel="next last"`; quoted or not).
    public static func hasNext(_ link: String) -> Bool {
        for part in link.split(separator: ",") {
            for parameter in part.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else {
                    continue
                }
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" \t"))
                if value.lowercased().split(separator: " ").contains("next") { return true }
            }
        }
        return false
    }

    /// The forge's own words in an error answer: `message` (GitHub, Gitea, GitLab), else
    /// `error_description` or `error` (GitLab's OAuth errors); at most 200 characters.
    static func message(_ body: [UInt8]) -> String? {
        guard let object = json(body) as? [String: Any] else { return nil }
        for key in ["message", "error_description", "error"] {
            if let text = object[key] as? String, !text.isEmpty {
                let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
                return line.count > 200 ? String(line.prefix(199)) + "…" : line
            }
        }
        return nil
    }

    static func json(_ body: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }

    /// `[3].head.sha is missing`: where the answer is not what the forge documents.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            if text.hasPrefix(".") { text.removeFirst() }
            return text
        }
        func kind(_ type: Any.Type) -> String {
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Int") { return "a number" }
            return name == "String" ? "a string" : name
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .valueNotFound(_, let context):
            return "\(path(context.codingPath)) is null"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "the answer is not a list of pull requests" }
            return "\(path(context.codingPath)) is not \(kind(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the answer is not JSON" : "\(path(context.codingPath)) is malformed"
        @unknown default:
            return "the answer is not what the forge documents"
        }
    }

    /// A GitHub or Gitea pull request: the fields read.
    struct Pull: Decodable {
        struct Head: Decodable {
            var ref: String
            var sha: String
            /// null when the fork it came from was deleted.
            var repo: Repository?
        }
        struct Base: Decodable { var repo: Repository }
        struct Repository: Decodable {
            var fullName: String
            enum CodingKeys: String, CodingKey { case fullName = "full_name" }
        }
        struct Label: Decodable { var name: String }
        var number: Int
        var head: Head
        var base: Base
        var labels: [Label]

        var pullRequest: PullRequest {
            let fork: Fork? =
                head.repo.map { $0.fullName == base.repo.fullName ? nil : .repository($0.fullName) } ?? .deleted
            return PullRequest(
                number: number, headSHA: head.sha.lowercased(), branch: head.ref, labels: labels.map(\.name),
                fork: fork)
        }
    }

    /// A GitLab merge request: the fields read.
    struct MergeRequest: Decodable {
        var iid: Int
        /// null while GitLab has not yet set up the merge request's head.
        var sha: String?
        var sourceBranch: String
        var sourceProjectID: Int
        var targetProjectID: Int
        var labels: [String]

        enum CodingKeys: String, CodingKey {
            case iid, sha, labels
            case sourceBranch = "source_branch"
            case sourceProjectID = "source_project_id"
            case targetProjectID = "target_project_id"
        }

        var pullRequest: PullRequest {
            PullRequest(
                number: iid, headSHA: sha?.lowercased(), branch: sourceBranch, labels: labels,
                fork: sourceProjectID == targetProjectID ? nil : .project(sourceProjectID))
        }
    }
}
