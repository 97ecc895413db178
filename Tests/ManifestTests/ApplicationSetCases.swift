import Manifest
import Testing

/// The contract's example (interface.md, section 9), as written there.
let contractApplicationSet = """
    apiVersion: zerverless.io/v1
    kind: ApplicationSet
    metadata:
      name: shop-previews
      namespace: alice
    spec:
      generators:             # one or more; their elements are combined as a union
        - list:
            elements: [{name: api, path: services/api}, {name: web, path: services/web}]
        - gitDirectories:
            repoURL: https://git.example.com/alice/monorepo
            branch: main
            pattern: "services/*"        # folders holding a zerverless.yaml
        - gitBranches:
            repoURL: https://git.example.com/alice/shop
            pattern: "feature/*"
        - pullRequests:
            forge: github                # github | gitea | gitlab
            apiURL: https://api.github.com
            repo: alice/shop
            tokenFile: github-token      # secrets rule
            labels: [preview]            # optional filter
      interval: 5m                       # how often generators list (also at once on a webhook for the repository)
      limits:
        maxApplications: 20
      template:
        name: "shop-{{branch.slug}}"     # parameters: {{name}}, {{path}}, {{path.basename}}, {{branch}},
                                         # {{branch.slug}}, {{pr.number}}, {{pr.headSHA}}, {{pr.branch}}
        source:
          repoURL: https://git.example.com/alice/shop
          branch: "{{branch}}"
          path: "{{path}}"
        pathPrefix: "/preview/{{branch.slug}}"   # optional: every function path and static file goes under it
        syncPolicy: {automated: true}
    """

/// The head of a set in namespace `alice`; cases add `spec`.
let setHeader = """
    apiVersion: zerverless.io/v1
    kind: ApplicationSet
    metadata: {name: previews, namespace: alice}

    """

/// A set whose spec is `spec` (indented by two).
func set(_ spec: String) -> String {
    setHeader + "spec:\n"
        + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
            separator: "\n")
}

let validSetCases: [Case] = [
    Case("the contract's example", nil, contractApplicationSet),
    Case(
        "branches only, defaults", nil,
        set(
            """
            generators:
              - gitBranches: {repoURL: "https://h/o/r", pattern: "feature/**"}
            template:
              name: "r-{{ branch.slug }}"
              source: {repoURL: "https://h/o/r", branch: "{{branch}}"}
            """)),
    Case(
        "every template field", nil,
        set(
            """
            generators:
              - pullRequests: {forge: gitlab, apiURL: "https://gitlab.com/api/v4", repo: group/sub/shop, tokenFile: gl.token}
            interval: 1m
            limits: {maxApplications: 1000}
            template:
              name: pr-{{pr.number}}
              labels: {kind: preview}
              source:
                repoURL: https://gitlab.com/group/sub/shop.git
                branch: "{{pr.branch}}"
                path: deploy/{{pr.number}}/..
                auth: {username: oauth2, tokenFile: gl.token}
              pathPrefix: /pr/{{pr.number}}
              pollInterval: 1m
              syncPolicy: {automated: true, prune: true, selfHeal: correct}
              notify:
                - {commitStatus: gitlab, apiURL: "https://gitlab.com/api/v4", tokenFile: gl.token}
            """)),
    Case(
        "folders with ssh auth", nil,
        set(
            """
            generators:
              - gitDirectories:
                  repoURL: git@git.example.com:alice/mono.git
                  pattern: "apps/[a-z]?*"
                  auth: {sshKeyFile: mono.key, knownHostsFile: known_hosts}
            template:
              name: "{{path.basename}}"
              source: {repoURL: "git@git.example.com:alice/mono.git", path: "{{path}}"}
            """)),
    Case(
        "a list forced as an application set", .applicationSet,
        set(
            """
            generators: [{list: {elements: [{name: a, branch: release/1}]}}]
            template: {name: "x-{{name}}", source: {repoURL: "https://h/o/r", branch: "{{branch}}"}}
            """)),
]

@Test(arguments: validSetCases)
func validApplicationSet(_ c: Case) {
    check(c)
    if c.kind == nil {
        #expect(Validator.validate(Array(c.yaml.utf8), file: "f").kind == .applicationSet)
    }
}
