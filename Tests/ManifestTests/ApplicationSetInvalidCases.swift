import Manifest
import Testing

/// Application sets that are refused, with every diagnostic at its place.
let invalidSetCases: [Case] = [
    Case(
        "missing spec fields, unknown keys", nil,
        set(
            """
            generator: []
            intervals: 5m
            """),
        [
            "apps.d/t.yaml:4:1: error: spec: missing required field \"generators\"",
            "apps.d/t.yaml:4:1: error: spec: missing required field \"template\"",
            "apps.d/t.yaml:5:3: error: spec.generator: unknown field \"generator\"; did you mean \"generators\"?",
            "apps.d/t.yaml:6:3: error: spec.intervals: unknown field \"intervals\"; did you mean \"interval\"?",
        ]),
    Case(
        "header and metadata", .applicationSet,
        """
        apiVersion: zerverless.io/v2
        kind: ApplicationSets
        metadata: {name: Previews}
        spec:
          generators: [{gitBranches: {repoURL: "https://h/o/r", pattern: "*"}}]
          template: {name: "a-{{branch.slug}}", source: {repoURL: "https://h/o/r"}}
        """,
        [
            "apps.d/t.yaml:1:13: error: apiVersion: unsupported apiVersion \"zerverless.io/v2\"; expected \"zerverless.io/v1\"",
            "apps.d/t.yaml:2:7: error: kind: unsupported kind \"ApplicationSets\"; expected \"ApplicationSet\"",
            "apps.d/t.yaml:3:1: error: metadata: missing required field \"namespace\"",
            "apps.d/t.yaml:3:18: error: metadata.name: \"Previews\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit (\"previews\")",
        ]),
    Case(
        "no generators, too many, interval and limits out of range", nil,
        set(
            """
            generators: []
            interval: 25h
            limits: {maxApplications: 1001}
            template: {name: "a-{{branch}}", source: {repoURL: "https://h/o/r"}}
            """),
        [
            "apps.d/t.yaml:5:15: error: spec.generators: needs at least one generator (list, gitDirectories, gitBranches or pullRequests)",
            "apps.d/t.yaml:6:13: error: spec.interval: 25h is out of range; expected 1s to 24h (the daemon raises it to its --set-min-interval, 1m by default)",
            "apps.d/t.yaml:7:29: error: spec.limits.maxApplications: 1001 is out of range; expected 1 to 1000",
        ]),
    Case(
        "a generator entry with none or two kinds, an unknown kind", nil,
        set(
            """
            generators:
              - {}
              - gitBranches: {repoURL: "https://h/o/r", pattern: "*"}
                list: {elements: [{name: a}]}
              - pullRequest: {}
            interval: soon
            limits: {maxApplications: "20"}
            template: {name: "a-{{branch}}", source: {repoURL: "https://h/o/r"}}
            """),
        [
            "apps.d/t.yaml:6:7: error: spec.generators[0]: give one of list, gitDirectories, gitBranches, pullRequests (this entry is empty)",
            "apps.d/t.yaml:7:7: error: spec.generators[1].gitBranches: give exactly one generator per entry (this entry has list and gitBranches); write each as its own entry",
            "apps.d/t.yaml:9:7: error: spec.generators[2].pullRequest: unknown field \"pullRequest\"; did you mean \"pullRequests\"?",
            "apps.d/t.yaml:10:13: error: spec.interval: \"soon\" is not a duration; write it like 90s, 5m, 1h or 1h30m",
            "apps.d/t.yaml:11:29: error: spec.limits.maxApplications: expected a number, found the string \"20\"; remove the quotes",
        ]),
    Case(
        "list elements: unknown and derived keys, bad values, empty", nil,
        set(
            """
            generators:
              - list:
                  elements:
                    - {name: a, path: ../x}
                    - {branch: "a..b", path.basename: x, foo: y}
                    - {pr.number: "1"}
                    - {}
                    - name: [a]
              - list: {elements: []}
            template: {name: "a-{{name}}", source: {repoURL: "https://h/o/r"}}
            """),
        [
            "apps.d/t.yaml:8:29: error: spec.generators[0].list.elements[0].path: \"../x\" climbs out of the repository folder with '..'; paths must stay inside it",
            "apps.d/t.yaml:9:22: error: spec.generators[0].list.elements[1].branch: \"a..b\" is not a valid branch name",
            "apps.d/t.yaml:9:30: error: spec.generators[0].list.elements[1].path.basename: is derived from path; a list element sets name, path and branch",
            "apps.d/t.yaml:9:48: error: spec.generators[0].list.elements[1].foo: unknown field \"foo\"; expected one of name, path, branch",
            "apps.d/t.yaml:10:14: error: spec.generators[0].list.elements[2].pr.number: comes from a pullRequests generator; a list element sets name, path and branch",
            "apps.d/t.yaml:11:13: error: spec.generators[0].list.elements[3]: an element sets at least one of name, path and branch",
            "apps.d/t.yaml:12:19: error: spec.generators[0].list.elements[4].name: expected a string, found a list",
            "apps.d/t.yaml:13:24: error: spec.generators[1].list.elements: has no elements; write at least one, such as {name: api}",
        ]),
    Case(
        "git generators: urls, patterns, auth", nil,
        set(
            """
            generators:
              - gitDirectories: {repoURL: "ftp://h/o/r", branch: "refs/heads/main", pattern: "/services/*"}
              - gitDirectories: {repoURL: "https://h/o/r", pattern: "services/../x"}
              - gitDirectories: {repoURL: "https://h/o/r", pattern: "services/[a-"}
              - gitDirectories: {repoURL: "https://h/o/r", pattern: "a**/b", auth: {sshKeyFile: k}}
              - gitBranches: {repoURL: "https://h/o/r", pattern: "refs/heads/*", token: abc}
              - gitBranches: {repoURL: "https://h/o/r", pattern: "feature/[z-a]"}
              - gitBranches: {repoURL: "https://h/o/r"}
            template: {name: "a-{{branch}}", source: {repoURL: "https://h/o/r"}}
            """),
        [
            "apps.d/t.yaml:6:33: error: spec.generators[0].gitDirectories.repoURL: \"ftp://h/o/r\" unsupported scheme \"ftp\"; use https, http, ssh, git, scp-like user@host:path, or (where allowed) file",
            "apps.d/t.yaml:6:56: error: spec.generators[0].gitDirectories.branch: \"refs/heads/main\" is not a valid branch name; write the branch name alone (\"main\")",
            "apps.d/t.yaml:6:84: error: spec.generators[0].gitDirectories.pattern: \"/services/*\" is an absolute path; write the pattern relative to the repository root (services/*)",
            "apps.d/t.yaml:7:59: error: spec.generators[1].gitDirectories.pattern: \"services/../x\" has a '..' segment; write the folders as they are named from the repository root",
            "apps.d/t.yaml:8:59: error: spec.generators[2].gitDirectories.pattern: \"services/[a-\" is not a valid pattern: '[' is not closed by ']'; write '\\[' for the character itself",
            "apps.d/t.yaml:9:59: error: spec.generators[3].gitDirectories.pattern: \"a**/b\" is not a valid pattern: '**' must be a whole segment (as in a/**/b); use '*' inside a name",
            "apps.d/t.yaml:9:75: error: spec.generators[3].gitDirectories.auth.sshKeyFile: is for ssh repository URLs; this one is https (use tokenFile)",
            "apps.d/t.yaml:10:56: error: spec.generators[4].gitBranches.pattern: \"refs/heads/*\" names refs; write the branch pattern alone (feature/*)",
            "apps.d/t.yaml:10:72: error: spec.generators[4].gitBranches.token: inline secrets are not allowed; put the token in a file and set auth.tokenFile",
            "apps.d/t.yaml:11:56: error: spec.generators[5].gitBranches.pattern: \"feature/[z-a]\" is not a valid pattern: the range 'z-a' is reversed; write 'a-z'",
            "apps.d/t.yaml:12:7: error: spec.generators[6].gitBranches: missing required field \"pattern\"",
        ]),
    Case(
        "pull requests: forge, URL, repo, token, labels", nil,
        set(
            """
            generators:
              - pullRequests: {forge: bitbucket, apiURL: "https://u:p@api.example.com/x", repo: alice, tokenFile: ../t}
              - pullRequests: {forge: github, apiURL: "ftp://x", repo: "group/sub/shop", tokenFile: t, labels: preview}
              - pullRequests: {forge: gitea, apiURL: "https://h", repo: "a/../b", token: x, labels: ["", ok]}
              - pullRequests: {forge: gitlab}
            template: {name: "a-{{branch}}", source: {repoURL: "https://h/o/r"}}
            """),
        [
            "apps.d/t.yaml:6:29: error: spec.generators[0].pullRequests.forge: \"bitbucket\" is not a forge; expected github, gitea or gitlab",
            "apps.d/t.yaml:6:48: error: spec.generators[0].pullRequests.apiURL: \"https://***@api.example.com/…\" has credentials inside; put them in a secret file (secretFile or tokenFile)",
            "apps.d/t.yaml:6:87: error: spec.generators[0].pullRequests.repo: \"alice\" is not OWNER/REPO; write the repository's owner and name (letters, digits, '-', '_' and '.') with one '/' between",
            "apps.d/t.yaml:6:105: error: spec.generators[0].pullRequests.tokenFile: \"../t\" climbs out of the namespace's secrets folder with '..'; secret files come from SECRETS_DIR/NAMESPACE/ only",
            "apps.d/t.yaml:7:45: error: spec.generators[1].pullRequests.apiURL: \"ftp://x\" is not an http:// or https:// URL",
            "apps.d/t.yaml:7:62: error: spec.generators[1].pullRequests.repo: \"group/sub/shop\" is not OWNER/REPO; github names a repository by its owner and name alone (only gitlab takes GROUP/SUBGROUP/PROJECT)",
            "apps.d/t.yaml:7:102: error: spec.generators[1].pullRequests.labels: expected a list, found \"preview\"",
            "apps.d/t.yaml:8:7: error: spec.generators[2].pullRequests: missing required field \"tokenFile\"",
            "apps.d/t.yaml:8:63: error: spec.generators[2].pullRequests.repo: \"a/../b\" is not OWNER/REPO; write the repository's owner and name (letters, digits, '-', '_' and '.') with one '/' between",
            "apps.d/t.yaml:8:73: error: spec.generators[2].pullRequests.token: inline secrets are not allowed; put the token in a file and set tokenFile",
            "apps.d/t.yaml:8:92: error: spec.generators[2].pullRequests.labels[0]: must not be empty",
            "apps.d/t.yaml:9:7: error: spec.generators[3].pullRequests: missing required field \"apiURL\"",
            "apps.d/t.yaml:9:7: error: spec.generators[3].pullRequests: missing required field \"repo\"",
            "apps.d/t.yaml:9:7: error: spec.generators[3].pullRequests: missing required field \"tokenFile\"",
        ]),
    Case(
        "template: a namespace, unknown and unavailable parameters", nil,
        set(
            """
            generators:
              - gitBranches: {repoURL: "https://h/o/r", pattern: "*"}
            template:
              namespace: bob
              name: "a-{{pr.number}}-{{branch.slugg}}-{{}}"
              source:
                repoURL: "https://h/{{branch}}/r"
                branch: '{{path}}'
                path: "{{name}}"
              pathPrefix: "/p/{{foo"
            """),
        [
            "apps.d/t.yaml:8:5: error: spec.template.namespace: a template may not set a namespace: the applications of a set are always in the set's own namespace (alice); remove it",
            "apps.d/t.yaml:9:14: error: spec.template.name: {{pr.number}} is given by none of this set's generators; pullRequests gives it",
            "apps.d/t.yaml:9:28: error: spec.template.name: unknown parameter \"branch.slugg\"; did you mean \"branch.slug\"?",
            "apps.d/t.yaml:9:45: error: spec.template.name: '{{}}' names no parameter; expected one of name, path, path.basename, branch, branch.slug, pr.number, pr.headSHA, pr.branch",
            "apps.d/t.yaml:11:16: error: spec.template.source.repoURL: parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them",
            "apps.d/t.yaml:12:16: error: spec.template.source.branch: {{path}} is given by none of this set's generators; gitDirectories and list elements with a path give it",
            "apps.d/t.yaml:13:14: error: spec.template.source.path: {{name}} is given by none of this set's generators; list elements with a name give it",
            "apps.d/t.yaml:14:21: error: spec.template.pathPrefix: '{{' is not closed by '}}'",
        ]),
    Case(
        "template: fixed text that is wrong for every element", nil,
        set(
            """
            generators:
              - gitBranches: {repoURL: "https://h/o/r", pattern: "*"}
            template:
              name: Shop-{{branch.slug}}
              source:
                repoURL: "https://h/o/r"
                branch: "feature//{{branch}}"
                path: "/abs/{{branch}}"
                tag: v1
              pathPrefix: "preview/{{branch.slug}}"
            """),
        [
            "apps.d/t.yaml:8:11: error: spec.template.name: \"Shop-{{branch.slug}}\" has 'S' in its fixed text; a name takes lowercase letters, digits and '-' (parameters are replaced by their slugs)",
            "apps.d/t.yaml:11:15: error: spec.template.source.branch: \"feature//{{branch}}\" is not a valid branch name",
            "apps.d/t.yaml:12:13: error: spec.template.source.path: \"/abs/{{branch}}\" is an absolute path; write it relative to the repository folder",
            "apps.d/t.yaml:13:7: error: spec.template.source.tag: unknown field \"tag\"; expected one of repoURL, branch, path, auth",
            "apps.d/t.yaml:14:17: error: spec.template.pathPrefix: \"preview/{{branch.slug}}\" must start with '/'",
        ]),
    Case(
        "template: names without a parameter or starting with '-', prefixes that climb", nil,
        set(
            """
            generators:
              - gitBranches: {repoURL: "https://h/o/r", pattern: "*"}
            template:
              name: shop
              source: {repoURL: "https://h/o/r"}
              pathPrefix: "/a/../{{branch.slug}}"
            """),
        [
            "apps.d/t.yaml:8:11: error: spec.template.name: \"shop\" has no parameter; each application of the set needs its own name (such as \"shop-{{branch.slug}}\")",
            "apps.d/t.yaml:10:17: error: spec.template.pathPrefix: \"/a/../{{branch.slug}}\" has a '..' segment; a prefix may not climb",
        ]),
    Case(
        "template: parameters where they are not rendered, inline secrets", nil,
        set(
            """
            generators:
              - gitBranches: {repoURL: "https://h/o/r", pattern: "*"}
            template:
              name: "-{{branch.slug}}"
              labels: {branch: "{{branch.slug}}"}
              source:
                repoURL: "https://h/o/r"
                auth: {tokenFile: "{{branch}}.token"}
                token: abc
              pollInterval: "{{branch}}"
              pathPrefix: /Preview/{{branch.slug}}/
              notify: [{url: "https://hooks/{{branch}}"}]
            """),
        [
            "apps.d/t.yaml:8:11: error: spec.template.name: \"-{{branch.slug}}\" starts or ends with '-'; a name starts and ends with a letter or digit",
            "apps.d/t.yaml:9:22: error: spec.template.labels.branch: parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them",
            "apps.d/t.yaml:9:22: error: spec.template.labels.branch: the label value \"{{branch.slug}}\" is not valid: at most 63 characters, letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            "apps.d/t.yaml:12:25: error: spec.template.source.auth.tokenFile: parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them",
            "apps.d/t.yaml:13:7: error: spec.template.source.token: inline secrets are not allowed; put the token in a file and set auth.tokenFile",
            "apps.d/t.yaml:14:19: error: spec.template.pollInterval: parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them",
            "apps.d/t.yaml:14:19: error: spec.template.pollInterval: \"{{branch}}\" is not a duration; write it like 90s, 5m, 1h or 1h30m",
            "apps.d/t.yaml:15:17: error: spec.template.pathPrefix: \"/Preview/{{branch.slug}}/\" has the segment \"Preview\"; each segment is a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63)",
            "apps.d/t.yaml:16:20: error: spec.template.notify[0].url: parameters are not rendered here; only name, source.branch, source.path and pathPrefix take them",
        ]),
    Case(
        "a parameter left unquoted is a YAML mapping: the hint says to quote it", nil,
        set(
            """
            generators: [{gitBranches: {repoURL: "https://h/o/r", pattern: "*"}}]
            template:
              name: {{branch.slug}}
              source: {repoURL: "https://h/o/r"}
            """),
        [
            "apps.d/t.yaml:7:12: error: a mapping key must be a plain value, not a mapping; quote a value that starts with a parameter (\"{{branch}}\"): unquoted, YAML reads a mapping"
        ]),
]

@Test(arguments: invalidSetCases)
func invalidApplicationSet(_ c: Case) {
    check(c)
}
