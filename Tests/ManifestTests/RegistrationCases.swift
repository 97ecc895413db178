import Manifest
import Testing

/// A validation case: a file's text, the kind it is checked as, and the exact diagnostics.
struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let kind: DocumentKind?
    let yaml: String
    let expected: [String]

    init(_ name: String, _ kind: DocumentKind? = nil, _ yaml: String, _ expected: [String] = []) {
        self.name = name
        self.kind = kind
        self.yaml = yaml
        self.expected = expected
    }

    var testDescription: String { name }
}

func check(_ c: Case) {
    let result = Validator.validate(Array(c.yaml.utf8), file: "apps.d/t.yaml", as: c.kind)
    #expect(result.diagnostics.map(\.description) == c.expected, "\(c.name)")
    #expect(result.valid == c.expected.allSatisfy { !$0.contains(": error: ") })
}

let header = """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata:
      name: my-app
      namespace: myuser

    """

let registrationCases: [Case] = [
    Case(
        "application form, minimal", .registration,
        header + """
            spec:
              source:
                repoURL: https://github.com/myuser/my-repo
            """),
    Case(
        "application form, every field", .registration,
        header + """
            spec:
              source:
                repoURL: https://github.com/myuser/my-repo
                branch: release/v2
                path: ./deploy
                auth:
                  username: x-access-token
                  tokenFile: /etc/zerverless/secrets/my-app.token
              pollInterval: 1h30m
              syncPolicy:
                automated: false
                prune: false
                allowEmpty: true
                suspend: false
            """),
    Case(
        "flat form (the original REST body)", nil,
        """
        name: my-app
        namespace: myuser
        source:
          repoURL: https://github.com/user/repo
          branch: main
        """),
    Case(
        "scp-like ssh with key and known hosts", nil,
        """
        name: my-app
        namespace: myuser
        source:
          repoURL: git@github.com:user/repo.git
          auth:
            sshKeyFile: /etc/zerverless/secrets/k
            knownHostsFile: /etc/zerverless/known_hosts
        """),
    Case(
        "ssh:// and git:// and file urls parse", nil,
        """
        name: my-app
        namespace: myuser
        source:
          repoURL: file:///srv/git/repo.git
        """),
    Case(
        "plain path is accepted here (refused later by policy)", nil,
        """
        name: my-app
        namespace: myuser
        source:
          repoURL: /srv/git/repo.git
        """),
    Case(
        "credentials in the url are accepted", nil,
        """
        name: my-app
        namespace: myuser
        source:
          repoURL: https://user:hunter2@git.example.com/o/r.git
        """),
    Case(
        "empty syncPolicy is fine", nil,
        """
        name: my-app
        namespace: myuser
        source: {repoURL: "https://h/o/r"}
        syncPolicy:
        """),
    Case(
        "missing required fields (flat)", nil,
        """
        name: my-app
        source:
          branch: main
        """,
        [
            "apps.d/t.yaml:1:1: error: namespace: required field is missing",
            "apps.d/t.yaml:2:1: error: source: missing required field \"repoURL\"",
        ]),
    Case(
        "missing spec (application)", .registration, header,
        [
            "apps.d/t.yaml:1:1: error: spec: required field is missing"
        ]),
    Case(
        "wrong apiVersion and kind", .registration,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a, namespace: b}
        spec: {source: {repoURL: "https://h/o/r"}}
        """,
        [
            "apps.d/t.yaml:1:13: error: apiVersion: unsupported apiVersion \"v1\"; expected \"zerverless.io/v1\"",
            "apps.d/t.yaml:2:7: error: kind: unsupported kind \"ConfigMap\"; expected \"Application\"",
        ]),
    Case(
        "name not a DNS label, with the lowercase fix", .registration,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: My-App
          namespace: my_user
        spec:
          source:
            repoURL: https://h/o/r
        """,
        [
            "apps.d/t.yaml:4:9: error: metadata.name: \"My-App\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit (\"my-app\")",
            "apps.d/t.yaml:5:14: error: metadata.namespace: \"my_user\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit",
        ]),
    Case(
        "name longer than 63", nil,
        """
        name: \(String(repeating: "a", count: 64))
        namespace: x
        source: {repoURL: "https://h/o/r"}
        """,
        [
            "apps.d/t.yaml:1:7: error: name: \"\(String(repeating: "a", count: 64))\" is 64 characters; at most 63 are allowed"
        ]),
    Case(
        "name starting with a dash", nil,
        """
        name: -app
        namespace: x
        source: {repoURL: "https://h/o/r"}
        """,
        [
            "apps.d/t.yaml:1:7: error: name: \"-app\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit"
        ]),
    Case(
        "near-miss key gets a suggestion", nil,
        """
        name: a
        namespace: b
        source:
          repoUrl: https://h/o/r
        """,
        [
            "apps.d/t.yaml:3:1: error: source: missing required field \"repoURL\"",
            "apps.d/t.yaml:4:3: error: source.repoUrl: unknown field \"repoUrl\"; did you mean \"repoURL\"?",
        ]),
    Case(
        "typo key gets a suggestion", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", brnach: dev}
        """,
        [
            "apps.d/t.yaml:3:36: error: source.brnach: unknown field \"brnach\"; did you mean \"branch\"?"
        ]),
    Case(
        "unknown key lists what is allowed", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        replicas: 3
        """,
        [
            "apps.d/t.yaml:4:1: error: replicas: unknown field \"replicas\"; expected one of name, namespace, labels, source, pollInterval, syncPolicy, notify"
        ]),
    Case(
        "inline token is refused and points to tokenFile", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          auth:
            token: ghp_abc
        """,
        [
            "apps.d/t.yaml:6:5: error: source.auth.token: inline secrets are not allowed; put the token in a file and set tokenFile"
        ]),
    Case(
        "inline password is refused", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          auth: {username: me, password: pw}
        """,
        [
            "apps.d/t.yaml:5:24: error: source.auth.password: inline secrets are not allowed; put the password or token in a file and set tokenFile"
        ]),
    Case(
        "inline private key is refused", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: git@h:o/r
          auth:
            privateKey: "-----BEGIN"
        """,
        [
            "apps.d/t.yaml:6:5: error: source.auth.privateKey: inline secrets are not allowed; put the key in a file and set sshKeyFile"
        ]),
    Case(
        "token directly under source is refused", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          token: abc
        """,
        [
            "apps.d/t.yaml:5:3: error: source.token: inline secrets are not allowed; put the token in a file and set auth.tokenFile"
        ]),
    Case(
        "tokenFile climbing out of the secrets folder", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          auth: {tokenFile: ../other/a.token}
        """,
        [
            "apps.d/t.yaml:5:21: error: source.auth.tokenFile: \"../other/a.token\" climbs out of the namespace's secrets folder with '..'; secret files come from SECRETS_DIR/NAMESPACE/ only"
        ]),
    Case(
        "an application's own webhook secret (both forms)", .registration,
        header + """
            spec:
              source:
                repoURL: https://github.com/myuser/my-repo
                webhookSecretFile: hooks/github.secret
            """),
    Case(
        "webhookSecretFile in the flat form", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", webhookSecretFile: hook.secret}
        """),
    Case(
        "webhookSecretFile climbing out of the secrets folder", .registration,
        header + """
            spec:
              source:
                repoURL: https://github.com/myuser/my-repo
                webhookSecretFile: ../bob/hook.secret
            """,
        [
            "apps.d/t.yaml:9:24: error: spec.source.webhookSecretFile: \"../bob/hook.secret\" climbs out of the namespace's secrets folder with '..'; secret files come from SECRETS_DIR/NAMESPACE/ only"
        ]),
    Case(
        "an inline webhook secret is refused", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", webhookSecret: abc}
        """,
        [
            "apps.d/t.yaml:3:36: error: source.webhookSecret: inline secrets are not allowed; put the webhook secret in a file and set webhookSecretFile"
        ]),
    Case(
        "ssh key on an https url", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          auth:
            sshKeyFile: /k
        """,
        [
            "apps.d/t.yaml:6:5: error: source.auth.sshKeyFile: is for ssh repository URLs; this one is https (use tokenFile)"
        ]),
    Case(
        "token on an ssh url", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: ssh://git@h/o/r
          auth:
            tokenFile: /t
        """,
        [
            "apps.d/t.yaml:6:5: error: source.auth.tokenFile: is for https repository URLs; this one is ssh (use sshKeyFile)"
        ]),
    Case(
        "token and key both", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: https://h/o/r
          auth:
            tokenFile: /t
            sshKeyFile: /k
        """,
        [
            "apps.d/t.yaml:7:5: error: source.auth.sshKeyFile: set tokenFile (for https) or sshKeyFile (for ssh), not both",
            "apps.d/t.yaml:7:5: error: source.auth.sshKeyFile: is for ssh repository URLs; this one is https (use tokenFile)",
        ]),
    Case(
        "auth on git:// is refused", nil,
        """
        name: a
        namespace: b
        source:
          repoURL: git://h/o/r
          auth:
            username: me
        """,
        [
            "apps.d/t.yaml:5:3: error: source.auth: git:// repositories take no credentials; remove auth"
        ]),
    Case(
        "unsupported url scheme", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "ftp://h/o/r"}
        """,
        [
            "apps.d/t.yaml:3:19: error: source.repoURL: \"ftp://h/o/r\" unsupported scheme \"ftp\"; use https, http, ssh, git, scp-like user@host:path, or (where allowed) file"
        ]),
    Case(
        "not a url at all", nil,
        """
        name: a
        namespace: b
        source: {repoURL: github}
        """,
        [
            "apps.d/t.yaml:3:19: error: source.repoURL: \"github\" is not a repository URL; use https://host/owner/repo, ssh://git@host/owner/repo, git@host:owner/repo, git://host/owner/repo, or (where allowed) a file:// URL or an absolute path"
        ]),
    Case(
        "a bad url never shows its credentials", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://me:s3cret@host:99999/o/r"}
        """,
        [
            "apps.d/t.yaml:3:19: error: source.repoURL: \"***@host:99999/o/r\" has an invalid port \"99999\""
        ]),
    Case(
        "url with no repository path", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://github.com/"}
        """,
        [
            "apps.d/t.yaml:3:19: error: source.repoURL: \"https://github.com/\" names no repository path after the host"
        ]),
    Case(
        "invalid branch", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", branch: "feature..x"}
        """,
        [
            "apps.d/t.yaml:3:44: error: source.branch: \"feature..x\" is not a valid branch name"
        ]),
    Case(
        "branch with a space", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", branch: "my branch"}
        """,
        [
            "apps.d/t.yaml:3:44: error: source.branch: \"my branch\" is not a valid branch name: it contains a space"
        ]),
    Case(
        "tag", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", tag: v1.4.0}
        """),
    Case(
        "semver", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", semver: ">=1.2.0 <2.0.0 || ^3.1"}
        """),
    Case(
        "commit", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", commit: 4f1c2a9e0b7d3c5f6e8a1b2c3d4e5f6a7b8c9d0e}
        """),
    Case(
        "two refs at once", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", branch: main, tag: v1}
        """,
        [
            "apps.d/t.yaml:3:50: error: source.tag: give exactly one of branch, tag, semver and commit (this source has branch and tag)"
        ]),
    Case(
        "a malformed semver range", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", semver: ">=1.2.x.y"}
        """,
        [
            "apps.d/t.yaml:3:44: error: source.semver: \">=1.2.x.y\" is not a version or a comparator (like >=1.2.0, <2, ^1.4, ~1.2.3, 1.x)"
        ]),
    Case(
        "a short commit", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", commit: 4f1c2a9}
        """,
        [
            "apps.d/t.yaml:3:44: error: source.commit: \"4f1c2a9\" is not a full commit id (40 lowercase hex digits; abbreviations are ambiguous)"
        ]),
    Case(
        "branch written as a ref", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", branch: refs/heads/main}
        """,
        [
            "apps.d/t.yaml:3:44: error: source.branch: \"refs/heads/main\" is not a valid branch name; write the branch name alone (\"main\")"
        ]),
    Case(
        "source path escaping the repository", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", path: ../other}
        """,
        [
            "apps.d/t.yaml:3:42: error: source.path: \"../other\" climbs out of the repository folder with '..'; paths must stay inside it"
        ]),
    Case(
        "absolute source path", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r", path: /etc}
        """,
        [
            "apps.d/t.yaml:3:42: error: source.path: \"/etc\" is an absolute path; write it relative to the repository folder"
        ]),
    Case(
        "bad duration", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        pollInterval: 5 minutes
        """,
        [
            "apps.d/t.yaml:4:15: error: pollInterval: \"5 minutes\" is not a duration; write it like 90s, 5m, 1h or 1h30m"
        ]),
    Case(
        "duration units out of order", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        pollInterval: 30m1h
        """,
        [
            "apps.d/t.yaml:4:15: error: pollInterval: \"30m1h\" is not a duration; write it like 90s, 5m, 1h or 1h30m"
        ]),
    Case(
        "zero duration", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        pollInterval: 0s
        """,
        [
            "apps.d/t.yaml:4:15: error: pollInterval: 0s is out of range; expected 1s to 168h"
        ]),
    Case(
        "a bare number is not a duration", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        pollInterval: 300
        """,
        [
            "apps.d/t.yaml:4:15: error: pollInterval: \"300\" is not a duration; write it like 90s, 5m, 1h or 1h30m"
        ]),
    Case(
        "booleans as the YAML 1.2 core schema spells them (Jinja's True/False)", .registration,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        syncPolicy: {automated: True, prune: FALSE, allowEmpty: false, suspend: False}
        """, []),
    Case(
        "yes is not a boolean", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        syncPolicy:
          prune: yes
          automated: "true"
        """,
        [
            "apps.d/t.yaml:5:10: error: syncPolicy.prune: expected true or false (unquoted), found \"yes\"",
            "apps.d/t.yaml:6:14: error: syncPolicy.automated: expected true or false (unquoted), found the string \"true\"",
        ]),
    Case(
        "syncPolicy typo", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        syncPolicy: {allowempty: true}
        """,
        [
            "apps.d/t.yaml:4:14: error: syncPolicy.allowempty: unknown field \"allowempty\"; did you mean \"allowEmpty\"?"
        ]),
    Case(
        "source is a string", nil,
        """
        name: a
        namespace: b
        source: https://h/o/r
        """,
        [
            "apps.d/t.yaml:3:9: error: source: expected a mapping, found \"https://h/o/r\""
        ]),
    Case(
        "name is a list", nil,
        """
        name: [a, b]
        namespace: b
        source: {repoURL: "https://h/o/r"}
        """,
        [
            "apps.d/t.yaml:1:7: error: name: expected a string, found a list"
        ]),
    Case(
        "empty name", nil,
        """
        name:
        namespace: b
        source: {repoURL: "https://h/o/r"}
        """,
        [
            "apps.d/t.yaml:1:6: error: name: must not be empty"
        ]),
    Case(
        "top level is a list", nil,
        """
        - name: a
        """,
        [
            "apps.d/t.yaml:1:1: error: expected a mapping (name, namespace, source... or apiVersion, kind, metadata, spec) at the top of the file, found a list"
        ]),
    Case(
        "merge keys are refused", nil,
        """
        name: a
        namespace: b
        source: {repoURL: "https://h/o/r"}
        <<: {pollInterval: 5m}
        """,
        [
            "apps.d/t.yaml:4:1: error: <<: merge keys (<<) are not supported; write the fields out"
        ]),
    Case(
        "anchors and aliases resolve", nil,
        """
        name: a
        namespace: &ns b
        source: {repoURL: "https://h/o/r", branch: *ns}
        """),
    Case(
        "labels and annotations are allowed in metadata", .registration,
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: a
          namespace: b
          labels: {team: web}
          annotations: {owner: "ops@example.com"}
        spec:
          source: {repoURL: "https://h/o/r"}
        """),
]

@Test(arguments: registrationCases)
func registration(_ c: Case) {
    check(c)
}
