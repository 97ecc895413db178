// The application most daemon tests sync: one inline Lua function and a few static files,
// and the registration file that points the daemon at it. Shared by the end-to-end tests
// on the built binary (DaemonTests) and the daemon built in process (AgentTests).

/// A manifest with one inline Lua function and the files of `static`.
public func siteManifest(namespace: String, greeting: String = "hello") -> String {
    """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata: {name: site, namespace: \(namespace)}
    spec:
      functions:
        - path: /api/hello
          runtime: lua
          code: |
            function handle(req) return {status=200, body="\(greeting)"} end
      static: {dir: static}

    """
}

/// The repository of the site: its manifest, an index page and a stylesheet.
public func siteFiles(namespace: String, index: String = "main\n") -> [String: String] {
    [
        "zerverless.yaml": siteManifest(namespace: namespace), "static/index.html": index,
        "static/css/site.css": "body{}\n",
    ]
}

/// A registration file for the apps dir.
public func registration(
    _ name: String, namespace: String, url: String, branch: String = "main", path: String = ".",
    poll: String = "1h", policy: String = "", auth: String = ""
) -> String {
    """
    apiVersion: zerverless.io/v1
    kind: Application
    metadata:
      name: \(name)
      namespace: \(namespace)
    spec:
      source:
        repoURL: \(url)
        branch: \(branch)
        path: \(path)
    \(auth.isEmpty ? "" : "    auth: " + auth + "\n")  pollInterval: \(poll)
    \(policy.isEmpty ? "" : "  syncPolicy: " + policy + "\n")
    """
}
