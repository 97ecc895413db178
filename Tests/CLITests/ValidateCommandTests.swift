import Foundation
import TestSupport
import Testing

private let good = """
    name: my-app
    namespace: myuser
    source:
      repoURL: https://github.com/user/repo
    """

private let bad = """
    name: My-App
    namespace: myuser
    source:
      repoUrl: https://u:s3cret@github.com/user/repo
    """

private func validate(_ args: [String], input: String? = nil) throws -> ProcessOutput {
    try run(Build.binary, ["validate"] + args, input: input.map { Data($0.utf8) })
}

@Test func validFileExitsZero() throws {
    let dir = try TempDir()
    let file = try dir.write("tmpXYZ.tmp", good)  // any name: Ansible passes a temporary one
    let out = try validate([file])
    #expect(out.status == 0)
    #expect(out.stdout == "\(file): valid registration\n")
    #expect(out.stderr.isEmpty)
}

@Test func invalidFileExitsOneWithEveryDiagnostic() throws {
    let dir = try TempDir()
    let file = try dir.write("a.yaml", bad)
    let out = try validate([file])
    #expect(out.status == 1)
    let lines = out.stderr.split(separator: "\n").map(String.init)
    #expect(
        lines.filter { $0.contains(": error: ") } == [
            "\(file):1:7: error: name: \"My-App\" is not a DNS label; use lowercase letters, digits and '-', starting and ending with a letter or digit (\"my-app\")",
            "\(file):3:1: error: source: missing required field \"repoURL\"",
            "\(file):4:3: error: source.repoUrl: unknown field \"repoUrl\"; did you mean \"repoURL\"?",
        ])
    #expect(lines.contains("    name: My-App"))
    #expect(lines.contains("          ^"))
    #expect(!out.stderr.contains("s3cret"))
}

@Test func jsonFormat() throws {
    let dir = try TempDir()
    let g = try dir.write("g.yaml", good)
    let b = try dir.write("b.yaml", bad)
    let out = try validate(["--format", "json", g, b])
    #expect(out.status == 1)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    #expect(json["valid"] as? Bool == false)
    let files = try #require(json["files"] as? [[String: Any]])
    #expect(files.count == 2)
    #expect(files[0]["valid"] as? Bool == true)
    #expect(files[0]["kind"] as? String == "registration")
    let diags = try #require(files[1]["diagnostics"] as? [[String: Any]])
    #expect(diags.count == 3)
    #expect(diags[0]["line"] as? Int == 1)
    #expect(diags[0]["column"] as? Int == 7)
    #expect(diags[0]["field"] as? String == "name")
    #expect(diags[0]["file"] as? String == b)
    #expect(!out.stdout.contains("s3cret"))
}

@Test func severalFilesAndAnUnreadableOneExitTwo() throws {
    let dir = try TempDir()
    let g = try dir.write("g.yaml", good)
    let missing = dir.file("missing.yaml")
    let out = try validate([g, missing, dir.path])
    #expect(out.status == 2)
    #expect(out.stdout == "\(g): valid registration\n")
    #expect(out.stderr.contains("\(missing): error: cannot read: no such file"))
    #expect(out.stderr.contains("\(dir.path): error: cannot read: is a directory"))
}

@Test func unreadableJSON() throws {
    let dir = try TempDir()
    let out = try validate(["--format", "json", dir.file("nope.yaml")])
    #expect(out.status == 2)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    let unreadable = try #require(json["unreadable"] as? [[String: Any]])
    #expect(unreadable.first?["error"] as? String == "cannot read: no such file")
}

@Test func kindIsDetectedFromContentNotName() throws {
    let dir = try TempDir()
    let manifest = try String(
        contentsOfFile: Build.packageRoot + "/examples/hello-app/zerverless.yaml", encoding: .utf8)
    let m = try dir.write("registration.yaml", manifest)
    let r = try dir.write("zerverless.yaml", good)
    let out = try validate([m, r])
    #expect(out.status == 0)
    #expect(out.stdout == "\(m): valid manifest\n\(r): valid registration\n")
}

@Test func forcedKind() throws {
    let dir = try TempDir()
    let r = try dir.write("r.yaml", good)
    let out = try validate(["--manifest", r])
    #expect(out.status == 1)
    #expect(
        out.stderr.contains(
            "\(r):1:1: error: name: unknown field \"name\"; expected one of apiVersion, kind, metadata, spec"))
    let forcedRegistration = try validate(["--registration", r])
    #expect(forcedRegistration.status == 0)
}

@Test func badUsageExitsTwo() throws {
    #expect(try validate([]).status == 2)
    #expect(try validate(["--manifest", "--registration", "x.yaml"]).status == 2)
    #expect(try validate(["--format", "xml", "x.yaml"]).status == 2)
}

@Test func readsStandardInput() throws {
    let out = try validate(["-"], input: good)
    #expect(out.status == 0)
    #expect(out.stdout == "-: valid registration\n")
}

@Test func shippedExamplesValidate() throws {
    let root = Build.packageRoot
    let samples = try FileManager.default.contentsOfDirectory(atPath: root + "/etc/zerverless/apps.d")
        .filter { $0.hasSuffix(".sample") }.map { root + "/etc/zerverless/apps.d/" + $0 }
    #expect(samples.count >= 2)
    let out = try validate([root + "/examples/hello-app/zerverless.yaml"] + samples)
    #expect(out.status == 0, "\(out.stderr)")
}

@Test func oversizedFileIsInvalidNotUnreadable() throws {
    let dir = try TempDir()
    let f = try dir.write("big.yaml", "name: \"" + String(repeating: "x", count: 2 << 20) + "\"\n")
    let out = try validate([f])
    #expect(out.status == 1)
    #expect(out.stderr.hasPrefix("\(f):1:1: error: file is 1048577 bytes, over the limit of 1048576 bytes (1024 KiB)"))
}

@Test func applicationSets() throws {
    let dir = try TempDir()
    let set = """
        apiVersion: zerverless.io/v1
        kind: ApplicationSet
        metadata: {name: previews, namespace: alice}
        spec:
          generators:
            - gitBranches: {repoURL: "https://git.example.com/alice/shop", pattern: "feature/*"}
          template:
            name: "shop-{{branch.slug}}"
            source: {repoURL: "https://git.example.com/alice/shop", branch: "{{branch}}"}
            pathPrefix: "/preview/{{branch.slug}}"

        """
    let good = try dir.write("previews.yaml", set)
    let bad = try dir.write(
        "bad.yaml",
        set.replacingOccurrences(of: "    name: \"shop-", with: "    namespace: bob\n    name: \"shop-{{pr.number}}-"))
    let out = try validate([good, bad])
    #expect(out.status == 1)
    #expect(out.stdout == "\(good): valid applicationSet\n")
    let lines = out.stderr.split(separator: "\n").map(String.init)
    #expect(
        lines.filter { $0.contains(": error: ") } == [
            "\(bad):8:5: error: spec.template.namespace: a template may not set a namespace: the applications of a set are always in the set's own namespace (alice); remove it",
            "\(bad):9:17: error: spec.template.name: {{pr.number}} is given by none of this set's generators; pullRequests gives it",
        ])
    #expect(lines.contains("        name: \"shop-{{pr.number}}-{{branch.slug}}\""))
    #expect(lines.contains(String(repeating: " ", count: 4 + 16) + "^"))
}
