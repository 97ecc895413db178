import Manifest
import Testing

/// `notify` and `syncPolicy.selfHeal`: every entry checked, secrets by file only.
let notifyCases: [Case] = [
    Case(
        "every kind of endpoint, selfHeal correct", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://github.com/acme/site.git"}
        syncPolicy: {selfHeal: correct}
        notify:
          - url: https://hooks.example.com/zerverless
            secretFile: hook.secret
            format: generic
            on: [synced, error, invalid, drift, deleted]
          - {url: "https://hooks.slack.com/services/T0/B0/X", format: slack, on: [error]}
          - {commitStatus: github, apiURL: "https://api.github.com", tokenFile: forge.token}
          - {commitStatus: gitlab, apiURL: "https://gitlab.com/api/v4", tokenFile: forge.token}
        """),
    Case(
        "unknown selfHeal, format, event and forge", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://github.com/acme/site"}
        syncPolicy: {selfHeal: yes}
        notify:
          - {url: "https://h/x", format: teams, on: [synced, failed]}
          - {commitStatus: bitbucket, apiURL: "https://api.bitbucket.org", tokenFile: t}
        """,
        [
            "apps.d/t.yaml:4:24: error: syncPolicy.selfHeal: \"yes\" is not a self-heal mode; expected off, warn or correct",
            "apps.d/t.yaml:6:34: error: notify[0].format: \"teams\" is not a format; expected generic or slack",
            "apps.d/t.yaml:6:54: error: notify[0].on[1]: \"failed\" is not an event; expected synced, error, invalid, drift, deleted, healthy, degraded, rolledBack",
            "apps.d/t.yaml:7:20: error: notify[1].commitStatus: \"bitbucket\" is not a forge; expected github, gitea or gitlab",
        ]),
    Case(
        "a receiver and a forge in one entry, credentials in URLs, inline secrets", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://github.com/acme/site"}
        notify:
          - {url: "https://h/x", commitStatus: github}
          - {url: "https://user:pw@h/x"}
          - {url: "ftp://h/x"}
          - {url: "https://h/x", secret: abc}
          - {commitStatus: gitea, apiURL: "https://h/api/v1"}
          - {url: "https://h/x", tokenFile: t}
          - {url: "https://h/x", secretFile: ../other/hook.secret}
        """,
        [
            "apps.d/t.yaml:5:5: error: notify[0]: give exactly one of url (a webhook receiver) and commitStatus (github, gitea or gitlab)",
            "apps.d/t.yaml:6:11: error: notify[1].url: \"https://***@h/…\" has credentials inside; put them in a secret file (secretFile or tokenFile)",
            "apps.d/t.yaml:7:11: error: notify[2].url: \"ftp://h/…\" is not an http:// or https:// URL",
            "apps.d/t.yaml:8:26: error: notify[3].secret: inline secrets are not allowed; put the key in a file and set secretFile",
            "apps.d/t.yaml:9:5: error: notify[4]: missing required field \"tokenFile\" (a token allowed to set commit statuses)",
            "apps.d/t.yaml:10:26: error: notify[5].tokenFile: is for commitStatus entries; a webhook receiver takes url, secretFile, format and on",
            "apps.d/t.yaml:11:38: error: notify[6].secretFile: \"../other/hook.secret\" climbs out of the namespace's secrets folder with '..'; secret files come from SECRETS_DIR/NAMESPACE/ only",
        ]),
    Case(
        "a forge status needs OWNER/REPO in the repository URL", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://git.example.com/site.git"}
        notify:
          - {commitStatus: github, apiURL: "https://api.github.com", tokenFile: t}
        """,
        [
            "apps.d/t.yaml:5:6: error: notify[0].commitStatus: the repository URL has no OWNER/REPO path for github's status API"
        ]),
]

@Test(arguments: notifyCases)
func notifyRegistration(_ c: Case) {
    check(c)
}

@Test func forgeProjectsFromRepositoryURLs() throws {
    func project(_ text: String) throws -> String? {
        guard case .success(let url) = RepositoryURL.parse(text) else { throw CommandError(text) }
        return url.forgeProject
    }
    #expect(try project("https://github.com/acme/site.git") == "acme/site")
    #expect(try project("git@github.com:acme/site.git") == "acme/site")
    #expect(try project("https://gitlab.com/group/sub/project") == "group/sub/project")
    #expect(try project("ssh://git@h:2222/acme/site/") == "acme/site")
    #expect(try project("https://h/site.git") == nil)
}

struct CommandError: Error {
    let text: String
    init(_ text: String) { self.text = text }
}
