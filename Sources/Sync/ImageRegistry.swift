/// Where built Docker images go so that a remote orchestrator's engine can pull them
/// (`--image-registry HOST[:PORT]/PREFIX`, `--image-registry-insecure`). Images are named
/// `HOST[:PORT]/PREFIX/zerverless/NAMESPACE/PATH:TAG` (the tag a digest of the build
/// inputs) and deployed by digest: `...@sha256:...`, the exact bytes that were pushed.
public struct ImageRegistry: Sendable, Hashable {
    /// `HOST[:PORT]` then the path prefix, without a trailing slash.
    public let base: String
    /// Plain HTTP, or TLS without certificate checks (a registry on loopback, a lab).
    public let insecure: Bool

    /// nil with the reason when `text` is not `HOST[:PORT]/PREFIX` (or `HOST[:PORT]`).
    public static func parse(_ text: String, insecure: Bool) -> Result<ImageRegistry, RegistryError> {
        var value = text
        while value.hasSuffix("/") { value.removeLast() }
        if value.contains("://") {
            return .failure(
                RegistryError(
                    "\"\(text)\" has a scheme; give HOST[:PORT]/PREFIX, like registry.example:5000/zerverless"))
        }
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty,
            host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }),
            host.contains(".") || host.contains(":") || host == "localhost"
        else {
            return .failure(
                RegistryError(
                    "\"\(text)\": the first part must be a registry host (with a dot or a port, or localhost), like registry.example:5000/zerverless"
                ))
        }
        for part in parts.dropFirst() {
            guard !part.isEmpty,
                part.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0.isNumber || "._-".contains($0) }),
                part.first!.isLetter || part.first!.isNumber
            else {
                return .failure(
                    RegistryError(
                        "\"\(text)\": \"\(part)\" is not a repository path component (lowercase letters, digits, '.', '_', '-')"
                    ))
            }
        }
        return .success(ImageRegistry(base: value, insecure: insecure))
    }

    public init(base: String, insecure: Bool) {
        self.base = base
        self.insecure = insecure
    }

    /// The name a locally built image (`zerverless/NS/PATH:TAG`) gets in this registry.
    public func qualified(_ image: String) -> String { base + "/" + image }

    /// `HOST/PREFIX/zerverless/NS/PATH@sha256:...` for a pushed `HOST/.../PATH:TAG`.
    public func byDigest(_ qualified: String, digest: String) -> String {
        let repository =
            qualified.lastIndex(of: ":").map { i in
                qualified[i...].contains("/") ? qualified : String(qualified[..<i])
            } ?? qualified
        return repository + "@" + digest
    }

    /// Whether `reference` is one this registry's pushes produced for `qualified`.
    public func isPushed(_ reference: String, of qualified: String) -> Bool {
        guard let at = reference.firstIndex(of: "@"), reference[at...].hasPrefix("@sha256:") else { return false }
        return byDigest(qualified, digest: String(reference[reference.index(after: at)...])) == reference
    }
}

public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
